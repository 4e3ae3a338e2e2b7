"""The native runtime: the selfhost program's Python source on this CPython, no Wasm at all.

The reference implementation the Wasm hosts are compared with. It sees host paths (each mount's
view is its host directory) and offers offload's native side through wasmtime-py
(host/offload/native.py), injected into the program by native_main.py.
"""
import os
import sys

from .base import ROOT, Command, Runtime, write_config


class NativeRuntime(Runtime):
    name = "native"
    native_side = True
    uses_build = False

    def dir_view(self, index, mount):
        return mount.host

    def command(self, job):
        path = write_config(job, {"argv": job.argv, "offload": job.offload})
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "SYSTEMROOT")}
        env.update(job.env)
        env["PYTHONPATH"] = str(ROOT)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return Command([sys.executable, "-m", "host.runtimes.native_main", "--config", path],
                       env=env)
