"""interp: a WebAssembly 2.0 interpreter in pure Python with explicit stacks.

Embedding API (see docs/architecture.md)::

    module = interp.decode(open("app.wasm", "rb").read())   # decode + validate
    inst = interp.instantiate(module, {"env": {"log": interp.HostFunc(ftype, print)}})
    inst.invoke("fib", 20)  # -> [6765]
"""
from .errors import Exit, InvalidError, LinkError, MalformedError, ModuleError, Trap, WasmError
from .module import FuncType, GlobalType, Limits, MemType, Module, TableType
from .runtime import Function, Global, HostFunc, Instance, Memory, Table, instantiate

__version__ = "0.1.0"

__all__ = [
    "decode", "instantiate", "Module", "Instance", "Function", "HostFunc", "Memory", "Table",
    "Global", "FuncType", "GlobalType", "Limits", "MemType", "TableType", "WasmError",
    "ModuleError", "MalformedError", "InvalidError", "LinkError", "Trap", "Exit", "__version__",
]


def decode(data):
    """Decode and validate module bytes; raises MalformedError or InvalidError."""
    from .decode import decode_module
    from .validate import validate_module

    module = decode_module(bytes(data))
    module.heights = validate_module(module)
    return module
