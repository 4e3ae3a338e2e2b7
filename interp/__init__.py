"""interp: a WebAssembly 2.0 interpreter (with exception handling and tail calls) in pure Python
with explicit stacks.

Embedding API (see docs/architecture.md)::

    module = interp.decode(open("app.wasm", "rb").read())   # decode + validate
    inst = interp.instantiate(module, {"env": {"log": interp.HostFunc(ftype, print)}})
    inst.invoke("fib", 20)  # -> [6765]
"""
from .config import Config
from .errors import (Exit, InvalidError, LinkError, MalformedError, ModuleError, Thrown, Trap,
                     UnsupportedFeature, WasmError)
from .module import FuncType, GlobalType, Limits, MemType, Module, TableType
from .runtime import Function, Global, HostFunc, Instance, Memory, Table, Tag, instantiate
from .values import Exn
# Import the stages before defining decode(): importing the submodule interp.decode sets the
# package attribute "decode", which the function below must then replace for good.
from .decode import decode_module
from .validate import validate_module
from .validate_stream import NOT_VALID, validate_streaming
from .codemap import CodeMap

__version__ = "0.1.0"

__all__ = [
    "decode", "instantiate", "Config", "Module", "Instance", "Function", "HostFunc", "Memory", "Table",
    "Global", "Tag", "Exn", "FuncType", "GlobalType", "Limits", "MemType", "TableType",
    "WasmError", "ModuleError", "MalformedError", "InvalidError", "UnsupportedFeature",
    "LinkError", "Trap", "Thrown", "Exit", "__version__",
]


def decode(data):
    """Decode and validate module bytes; raises MalformedError or InvalidError.

    The bodies are checked in one streaming pass (validate_stream); a module it does not find
    valid goes through the reference decode and validation, which name the error."""
    data = bytes(data)
    try:
        module = decode_module(data, check_bodies=False)
        heights, facts = validate_streaming(module)
    except NOT_VALID:
        module = decode_module(data)
        heights, facts = validate_module(module, keep=False), None
    module.codemap = CodeMap(heights, facts)
    return module
