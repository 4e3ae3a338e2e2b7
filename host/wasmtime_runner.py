"""Run one WASI preview1 module under wasmtime-py, as a process of its own.

    python -m host.wasmtime_runner CONFIG_JSON

CONFIG_JSON: {"module": path, "args": [argv0, ...], "env": {K: V},
              "preopens": [[host, guest], ...], "cache": dir or null}
stdin/stdout/stderr are this process's own; the exit code is the guest's (134 for a trap, as
the wasmtime CLI does). With "cache", the compiled module is kept there (Module.serialize) under
a name made of wasmtime's version and the module's SHA-256, so later runs skip the compile.
With $SELFHOST_STARTUP_TRACE set to a path, the times (time.time()) at which this runner
started, had the module loaded and had it instantiated are written there as JSON
(bench/startup.py).
"""
import json
import os
import sys
import tempfile
import time
from pathlib import Path

_STARTED = time.time()

EXIT_TRAP = 134
EXIT_LAUNCH = 2
KEEP_CACHED = 4


def _fail(message):
    sys.stderr.write("selfhost wasmtime runner: error: %s\n" % message)
    return EXIT_LAUNCH


def wasmtime_version():
    from importlib import metadata
    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:
        return "unknown"


def module_hash(cache, module_path):
    """SHA-256 of the module file, remembered in the cache by (path, size, mtime) so that a
    start does not re-read 13 MB just to find its compiled copy."""
    from host.launch import file_sha256
    import hashlib
    st = os.stat(module_path)
    key = "%d %d" % (st.st_size, st.st_mtime_ns)
    memo = Path(cache) / ("hash-%s.txt" % hashlib.sha1(
        os.path.abspath(module_path).encode()).hexdigest())
    try:
        known_key, digest = memo.read_text().rsplit(" ", 1)
        if known_key == key and len(digest) == 64:
            return digest
    except (OSError, ValueError):
        pass
    digest = file_sha256(module_path)
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=str(memo.parent), suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write("%s %s" % (key, digest))
        os.replace(tmp, memo)
    except OSError:
        pass
    return digest


def cached_module_path(cache, module_path):
    return Path(cache) / ("wasmtime-%s-%s.cwasm" % (wasmtime_version(),
                                                    module_hash(cache, module_path)))


def _prune(cache, keep):
    """Drop all but the `keep` most recently written compiled modules (each is ~40 MB)."""
    entries = sorted(Path(cache).glob("wasmtime-*.cwasm"), key=lambda p: p.stat().st_mtime,
                     reverse=True)
    for old in entries[keep:]:
        try:
            old.unlink()
        except OSError:
            pass


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
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=str(cached.parent), suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(module.serialize())
        os.replace(tmp, cached)
        _prune(cached.parent, keep=KEEP_CACHED)
    except OSError as e:
        sys.stderr.write("selfhost wasmtime runner: warning: cannot cache the compiled "
                         "module in %s: %s\n" % (cache, e))
    return module, "compiled+stored"


def export(store, instance, name):
    """The export ``name`` of ``instance`` (None if absent), looked up alone: wasmtime-py's
    ``instance.exports(store)`` wraps every export first."""
    import ctypes
    import wasmtime
    from wasmtime import _ffi as ffi
    from wasmtime._extern import wrap_extern
    item = ffi.wasmtime_extern_t()
    raw = name.encode()
    if not ffi.wasmtime_instance_export_get(store._context(), ctypes.byref(instance._instance),
                                            ctypes.create_string_buffer(raw), len(raw),
                                            ctypes.byref(item)):
        return None
    return wrap_extern(item)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        return _fail("usage: python -m host.wasmtime_runner CONFIG_JSON")
    try:
        config = json.loads(argv[0])
    except ValueError as e:
        return _fail("bad config JSON: %s" % e)
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
        # hot-function offload: answer selfhost.wasm's fd_advise doorbell (host/doorbell.py)
        from host.doorbell import DoorbellShim
        doorbell = DoorbellShim()
        doorbell.install(linker, store)
    try:
        instance = linker.instantiate(store, module)
        marks["instantiated"] = time.time()
        if doorbell is not None:
            doorbell.bind(instance, store)
        start = export(store, instance, "_start")
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
