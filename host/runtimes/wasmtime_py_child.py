"""Run one WASI preview1 module under wasmtime-py, as a process of its own.

    python -m host.runtimes.wasmtime_py_child CONFIG.json

CONFIG.json: {"module": path, "args": [argv0, ...], "env": {K: V},
              "preopens": [[host, guest], ...], "cache": dir or null, "offload": bool,
              "trigger": the checkpoint trigger's host path or null}
stdin/stdout/stderr are this process's own; the exit code is the guest's (134 for a trap, as
the wasmtime CLI does). With "cache", the compiled module is kept there (Module.serialize) under
a name made of wasmtime's version and the module's SHA-256, so later runs skip the compile.
With $SELFHOST_STARTUP_TRACE set to a path, the times (time.time()) at which this runner
started, had the module loaded and had it instantiated are written there as JSON
(bench/startup.py).
"""
import time

_STARTED = time.time()     # (first: the start-up trace counts this runner's own imports)

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from host.runtimes.base import read_config  # noqa: E402
from host.runtimes.compile_cache import (module_hash, prune, wasmtime_version,  # noqa: E402
                                         write_file)
from selfhost.exit_codes import TRAP as EXIT_TRAP  # noqa: E402
from selfhost.exit_codes import USAGE as EXIT_LAUNCH  # noqa: E402

KEEP_CACHED = 4


def _fail(message):
    sys.stderr.write("selfhost wasmtime runner: error: %s\n" % message)
    return EXIT_LAUNCH


def cached_module_path(cache, module_path):
    return Path(cache) / ("wasmtime-%s-%s.cwasm" % (wasmtime_version(),
                                                    module_hash(cache, module_path)))


def load_module(engine, module_path, cache=None):
    """Compile module_path, or load it from the cache; returns (module, how) where how is
    "compiled", "cached" or "compiled+stored"."""
    import wasmtime
    if cache is None:
        return wasmtime.Module.from_file(engine, module_path), "compiled"
    cached = cached_module_path(cache, module_path)
    if cached.is_file():
        try:
            return wasmtime.Module.deserialize_file(engine, str(cached)), "cached"
        except wasmtime.WasmtimeError:
            pass                      # stale or corrupt: compile again and replace it
    module = wasmtime.Module.from_file(engine, module_path)
    try:
        write_file(cached, module.serialize())
        prune(cached.parent, "wasmtime-*.cwasm", KEEP_CACHED)
    except OSError as e:
        sys.stderr.write("selfhost wasmtime runner: warning: cannot cache the compiled "
                         "module in %s: %s\n" % (cache, e))
    return module, "compiled+stored"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    config, problem = read_config(argv, "host.runtimes.wasmtime_py_child")
    if problem:
        return _fail(problem)
    try:
        import wasmtime
    except ImportError:
        return _fail("the wasmtime Python package is missing: pip install wasmtime==50.0.1")

    marks = {"started": _STARTED}
    try:
        return _run(config, marks)
    finally:
        trace = os.environ.get("SELFHOST_STARTUP_TRACE")
        if trace:
            with open(trace, "w") as f:
                json.dump(marks, f)


def _run(config, marks):
    import wasmtime
    engine = wasmtime.Engine()
    try:
        module, how = load_module(engine, config["module"], config.get("cache"))
    except (OSError, wasmtime.WasmtimeError) as e:
        return _fail("cannot load %s: %s" % (config["module"], e))
    marks["loaded"] = time.time()
    marks["load"] = how

    wasi = wasmtime.WasiConfig()
    wasi.argv = config.get("args", [])
    wasi.env = sorted(config.get("env", {}).items())
    for host, guest in config.get("preopens", []):
        wasi.preopen_dir(host, guest)
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()

    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    doorbell = None
    if config.get("offload", True):
        # hot-function offload: answer selfhost.wasm's doorbell (host/offload/doorbell_host.py,
        # behind a shim that imports it at the first request: a run that never offloads never
        # imports the native side)
        from host.offload.lazy_doorbell import LazyDoorbell
        doorbell = LazyDoorbell(config.get("trigger"))
        doorbell.install(linker, store)
    try:
        instance = linker.instantiate(store, module)
        marks["instantiated"] = time.time()
        if doorbell is not None:
            doorbell.bind(instance, store)
        start = instance.exports(store).get("_start")
        if start is None:
            return _fail("%s has no _start export" % config["module"])
        start(store)
    except wasmtime.ExitTrap as e:
        return e.code
    except wasmtime.Trap as e:
        sys.stderr.write("selfhost wasmtime runner: wasm trap: %s\n" % e.message)
        return EXIT_TRAP
    except wasmtime.WasmtimeError as e:
        return _fail(str(e))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # leave at once: tearing down wasmtime's store and the mapped module is a slow part of an
    # exit, and nothing is left to flush (the guest wrote to the inherited fds itself)
    os._exit(code)
