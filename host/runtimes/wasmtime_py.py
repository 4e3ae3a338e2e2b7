"""wasmtime-py (PyPI wasmtime) in a child process (wasmtime_py_child.py): the default runtime.

Each mount is preopened at its guest name. The compiled selfhost.wasm is cached (serialized
modules keyed by wasmtime's version and the module's hash). It offers offload's native side:
the child answers selfhost.wasm's doorbell (host/offload/doorbell_host.py).
"""
from .base import (Command, Runtime, python_command, python_env, trigger_host_path,
                   write_config)


class WasmtimePyRuntime(Runtime):
    name = "wasmtime"
    native_side = True

    def command(self, job):
        config = {"module": str(job.module), "args": ["selfhost"] + job.argv, "env": job.env,
                  "preopens": [[h, v] for h, v in job.preopens], "cache": str(job.cache),
                  "offload": job.offload, "trigger": trigger_host_path(job)}
        return Command(python_command("host.runtimes.wasmtime_py_child", write_config(job, config)),
                       env=python_env(), config=config)
