"""The decoded module: plain data, produced by decode and read by every later stage.

An *instruction* is a tuple ``(op, imm, offset)``: ``op`` from opcodes.py, ``imm`` as described
there, ``offset`` the byte offset of the opcode in the module file. An *expression* (function
body, constant expression) is a list of instructions that ends with its ``end``.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FuncType:
    params: tuple   # valtype codes
    results: tuple


@dataclass(frozen=True)
class Limits:
    min: int
    max: int = None  # None: no maximum


@dataclass(frozen=True)
class TableType:
    reftype: int     # FUNCREF or EXTERNREF
    limits: Limits


@dataclass(frozen=True)
class MemType:
    limits: Limits   # in 64 KiB pages


@dataclass(frozen=True)
class GlobalType:
    valtype: int
    mutable: bool


@dataclass
class Import:
    module: str
    name: str
    kind: str        # "func" | "table" | "memory" | "global" | "tag"
    desc: object     # type index (int) for func and tag, else TableType | MemType | GlobalType


@dataclass
class Export:
    name: str
    kind: str        # "func" | "table" | "memory" | "global" | "tag"
    index: int


class Func:
    """A function defined in this module (not imported).

    A decoded module keeps each body as its bytes and decodes it on first use of ``body``
    (``source``: a callable decode gives, which decodes the body from the module bytes; this
    module imports no stage), which keeps the list: a big module then costs about its own size
    plus the functions that run.
    ``instrs()`` is a pass over the instructions that keeps nothing (whole-module scans).
    A Func built from a list (tests, encode, instrument) holds it from the start."""
    __slots__ = ("type_idx", "locals", "_body", "offset", "_source", "code_at", "code_end")

    def __init__(self, type_idx, locals, body, offset, source=None, code_at=None, code_end=None):
        self.type_idx = type_idx
        self.locals = locals   # valtype codes of the declared locals, expanded (no params)
        self._body = body      # expression, or None until decoded by source()
        self.offset = offset   # byte offset of the body (its local declarations) in the module
        self._source = source
        # a decoded Func: where its instructions start and its code entry ends in the module
        self.code_at = code_at
        self.code_end = code_end

    @property
    def body(self):
        if self._body is None:
            self._body = self.instrs()
        return self._body

    @body.setter
    def body(self, value):
        self._body = value

    def instrs(self):
        """The body's instructions: the kept list, else a fresh decode that is not kept."""
        if self._body is not None:
            return self._body
        return self._source()

    def __eq__(self, other):
        if not isinstance(other, Func):
            return NotImplemented
        return ((self.type_idx, self.locals, self.body, self.offset)
                == (other.type_idx, other.locals, other.body, other.offset))

    __hash__ = None

    def __repr__(self):
        return "Func(type_idx=%r, locals=%r, body=%s, offset=%r)" % (
            self.type_idx, self.locals,
            "<undecoded>" if self._body is None else repr(self._body),
            self.offset)


@dataclass
class Global:
    type: GlobalType
    init: list       # constant expression


@dataclass
class Elem:
    reftype: int
    init: list       # list of constant expressions (a funcidx vector becomes [ref.func i, end])
    mode: str        # "active" | "passive" | "declarative"
    table: int = 0
    offset: list = None  # constant expression when active


@dataclass
class Data:
    init: bytes
    mode: str        # "active" | "passive"
    memory: int = 0
    offset: list = None  # constant expression when active


@dataclass
class Module:
    types: list = field(default_factory=list)
    imports: list = field(default_factory=list)
    funcs: list = field(default_factory=list)
    tables: list = field(default_factory=list)     # TableType, defined ones only
    mems: list = field(default_factory=list)       # MemType, defined ones only
    globals: list = field(default_factory=list)    # Global, defined ones only
    tags: list = field(default_factory=list)       # type index of each defined tag
    exports: list = field(default_factory=list)
    start: int = None
    elems: list = field(default_factory=list)
    datas: list = field(default_factory=list)
    datacount: int = None
    customs: list = field(default_factory=list)    # (name, bytes) in order of appearance
    func_names: dict = field(default_factory=dict)  # function index -> name (name section)
    raw: bytes = b""                                # the module bytes (for hashing, offsets)
    # the engine's products for this module (interp/codemap.py): set by interp.decode
    codemap: object = None

    # index spaces: imports first, then definitions
    def imported(self, kind):
        return [imp for imp in self.imports if imp.kind == kind]

    def func_types(self):
        """FuncType of every function in the function index space."""
        return ([self.types[imp.desc] for imp in self.imported("func")]
                + [self.types[f.type_idx] for f in self.funcs])

    def table_types(self):
        return [imp.desc for imp in self.imported("table")] + list(self.tables)

    def mem_types(self):
        return [imp.desc for imp in self.imported("memory")] + list(self.mems)

    def global_types(self):
        return [imp.desc for imp in self.imported("global")] + [g.type for g in self.globals]

    def tag_types(self):
        """Type index of every tag in the tag index space (exception handling)."""
        return [imp.desc for imp in self.imported("tag")] + list(self.tags)
