"""Run-time objects (the spec's "store") and instantiation: linking, allocation, initialisation.

Memories, tables and globals are plain Python objects that the machine reads and writes directly;
there is no second sandbox: a bytearray raises on an out-of-bounds access and the machine turns
that into the spec's trap. Values inside these objects are in the internal representation of
values.py; the API (Global.value, HostFunc callables, Instance.invoke) uses signed integers.
"""
from . import opcodes as op
from .errors import LinkError, Trap
from .module import FuncType, GlobalType, Limits, MemType, TableType
from .values import MASK32, MASK64, f32_round, to_signed32, to_signed64

PAGE_SIZE = 65536
MAX_PAGES = 65536
MAX_TABLE_SIZE = 10_000_000  # an implementation limit: table.grow beyond it fails (returns -1)


# ---- conversions between the API form and the internal form ----

def to_internal(valtype, value):
    """An API value (signed ints, floats, refs) -> the internal representation."""
    if valtype == op.I32:
        return int(value) & MASK32
    if valtype == op.I64:
        return int(value) & MASK64
    if valtype == op.F32:
        value = float(value)
        return value if value != value else f32_round(value)
    if valtype == op.F64:
        return float(value)
    return value


def from_internal(valtype, value):
    """An internal value -> the API form."""
    if valtype == op.I32:
        return to_signed32(value)
    if valtype == op.I64:
        return to_signed64(value)
    return value


# ---- the store objects ----

class Memory:
    """A linear memory: ``data`` is a bytearray that grows in place (its identity never changes,
    so the machine may keep a reference to it across memory.grow)."""
    kind = "memory"

    def __init__(self, min_pages, max_pages=None):
        self.data = bytearray(min_pages * PAGE_SIZE)
        self.max = max_pages

    @property
    def pages(self):
        return len(self.data) // PAGE_SIZE

    @property
    def type(self):
        return MemType(Limits(self.pages, self.max))

    def grow(self, delta):
        """Grow by ``delta`` pages; return the old size in pages, or -1 (nothing changes)."""
        old = len(self.data) // PAGE_SIZE
        new = old + delta
        if new > MAX_PAGES or (self.max is not None and new > self.max):
            return -1
        try:
            self.data.extend(bytes(delta * PAGE_SIZE))
        except MemoryError:
            return -1
        return old

    def read(self, addr, length):
        if addr < 0 or length < 0 or addr + length > len(self.data):
            raise Trap("out of bounds memory access")
        return bytes(self.data[addr:addr + length])

    def write(self, addr, data):
        if addr < 0 or addr + len(data) > len(self.data):
            raise Trap("out of bounds memory access")
        self.data[addr:addr + len(data)] = data


class Table:
    """A table of references: ``elements`` holds None (null) or function objects / host refs."""
    kind = "table"

    def __init__(self, reftype, min_size, max_size=None, init=None):
        self.reftype = reftype
        self.elements = [init] * min_size
        self.max = max_size

    @property
    def type(self):
        return TableType(self.reftype, Limits(len(self.elements), self.max))

    def grow(self, delta, init=None):
        """Grow by ``delta`` entries set to ``init``; return the old size, or -1."""
        old = len(self.elements)
        new = old + delta
        limit = MAX_TABLE_SIZE if self.max is None else min(self.max, MAX_TABLE_SIZE)
        if new > limit:
            return -1
        self.elements.extend([init] * delta)
        return old


class Global:
    """A global variable. ``v`` is the internal value (the machine's view); ``value`` the API
    view."""
    kind = "global"

    def __init__(self, valtype, mutable, value=0):
        self.valtype = valtype
        self.mutable = mutable
        self.v = to_internal(valtype, value)

    @property
    def type(self):
        return GlobalType(self.valtype, self.mutable)

    @property
    def value(self):
        return from_internal(self.valtype, self.v)

    @value.setter
    def value(self, value):
        if not self.mutable:
            raise LinkError("cannot set an immutable global")
        self.v = to_internal(self.valtype, value)


class Tag:
    """An exception tag (exception handling). Its identity is what a catch clause matches:
    each instantiation creates its own tags, an imported tag is the exporter's object."""
    kind = "tag"
    __slots__ = ("type",)

    def __init__(self, functype):
        self.type = functype      # FuncType: params = the exception's payload types

    def __repr__(self):
        return "<tag %s>" % (self.type,)


class Function:
    """A Wasm function of an instance (``code`` is its module.Func)."""
    kind = "func"
    host = False
    __slots__ = ("type", "instance", "code", "defined_index", "index")

    def __init__(self, functype, instance, code, defined_index, index):
        self.type = functype
        self.instance = instance
        self.code = code
        self.defined_index = defined_index
        self.index = index

    def __call__(self, *args):
        return self.instance.call(self, args)

    def __repr__(self):
        return "<wasm function %d>" % self.index


class HostFunc:
    """A function written in Python with a declared Wasm type. ``fn`` gets API-form arguments and
    returns None, one value, or a list/tuple of values."""
    kind = "func"
    host = True

    def __init__(self, functype, fn):
        if not isinstance(functype, FuncType):
            raise TypeError("HostFunc needs a FuncType")
        self.type = functype
        self.fn = fn

    def call_internal(self, args):
        """Called by the machine: internal values in, internal values out."""
        params = self.type.params
        result = self.fn(*[from_internal(params[i], a) for i, a in enumerate(args)])
        results = self.type.results
        if not results:
            return []
        if len(results) == 1:
            return [to_internal(results[0], result)]
        return [to_internal(t, v) for t, v in zip(results, result)]

    def __call__(self, *args):
        return self.fn(*args)

    def __repr__(self):
        return "<host function %s>" % getattr(self.fn, "__name__", "?")


class Instance:
    """A module instance: its index spaces, segments and exports."""

    def __init__(self, module, machine):
        self.module = module
        self.machine = machine
        self.types = module.types
        self.funcs = []
        self.tables = []
        self.mems = []
        self.globals = []
        self.tags = []    # Tag objects, the tag index space
        self.elems = []   # per element segment: list of refs ([] once dropped)
        self.datas = []   # per data segment: bytes (b"" once dropped)
        self.exports = {}
        self.tier1 = None  # tier1._Tables: this instance's bound tier-1 code, made on first use

    def call(self, func, args):
        """Call a function object with API-form args; API-form results (a list)."""
        params = func.type.params
        if len(args) != len(params):
            raise TypeError("%r expects %d arguments, got %d" % (func, len(params), len(args)))
        internal = [to_internal(t, a) for t, a in zip(params, args)]
        results = self.machine.call(func, internal)
        return [from_internal(t, r) for t, r in zip(func.type.results, results)]

    def invoke(self, name, *args):
        """Call the exported function ``name``."""
        func = self.exports.get(name)
        if func is None or func.kind != "func":
            raise LinkError("no exported function named %r" % name)
        return self.call(func, args)


# ---- instantiation ----

def _limits_match(actual_min, actual_max, limits):
    """Import subtyping of limits (spec: "match limits")."""
    if actual_min < limits.min:
        return False
    if limits.max is not None:
        return actual_max is not None and actual_max <= limits.max
    return True


def _import_name(imp):
    """module.name of an import for a message: control characters escaped (a name is any
    UTF-8, newlines included, and an error is one line)."""
    text = "%s.%s" % (imp.module, imp.name)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c) if ord(c) < 256
                   else "\\u%04x" % ord(c) for c in text)


def _link(module, imports):
    """Resolve and type-check every import; return the extern objects by kind."""
    resolved = {"func": [], "table": [], "memory": [], "global": [], "tag": []}
    for imp in module.imports:
        namespace = imports.get(imp.module)
        extern = namespace.get(imp.name) if namespace is not None else None
        if extern is None:
            raise LinkError("unknown import: %s" % _import_name(imp))
        kind = getattr(extern, "kind", None)
        if kind != imp.kind:
            raise LinkError("incompatible import type for %s: expected %s, got %s"
                            % (_import_name(imp), imp.kind, kind or type(extern).__name__))
        if kind == "func":
            ok = extern.type == module.types[imp.desc]
        elif kind == "table":
            ok = (extern.reftype == imp.desc.reftype
                  and _limits_match(len(extern.elements), extern.max, imp.desc.limits))
        elif kind == "memory":
            ok = _limits_match(extern.pages, extern.max, imp.desc.limits)
        elif kind == "tag":
            ok = extern.type == module.types[imp.desc]
        else:
            ok = extern.valtype == imp.desc.valtype and extern.mutable == imp.desc.mutable
        if not ok:
            raise LinkError("incompatible import type for %s" % _import_name(imp))
        resolved[kind].append(extern)
    return resolved


_CONST_ARITH = {  # extended-const
    op.I32_ADD: lambda x, y: (x + y) & MASK32, op.I32_SUB: lambda x, y: (x - y) & MASK32,
    op.I32_MUL: lambda x, y: (x * y) & MASK32, op.I64_ADD: lambda x, y: (x + y) & MASK64,
    op.I64_SUB: lambda x, y: (x - y) & MASK64, op.I64_MUL: lambda x, y: (x * y) & MASK64}


def eval_const(expr, instance):
    """Evaluate a (validated) constant expression to an internal value."""
    stack = []
    for opcode, imm, _ in expr:
        if opcode in (op.I32_CONST, op.I64_CONST, op.F32_CONST, op.F64_CONST):
            stack.append(imm)
        elif opcode in _CONST_ARITH:  # extended-const
            y = stack.pop()
            stack[-1] = _CONST_ARITH[opcode](stack[-1], y)
        elif opcode == op.REF_NULL:
            stack.append(None)
        elif opcode == op.REF_FUNC:
            stack.append(instance.funcs[imm])
        elif opcode == op.GLOBAL_GET:
            stack.append(instance.globals[imm].v)
        elif opcode == op.END:
            break
        else:
            raise Trap("unsupported constant expression")
    return stack[-1]


def instantiate(module, imports=None, machine=None, max_call_depth=None, run_start=True):
    """Link ``module`` against ``imports`` ({module: {name: extern}}), allocate and initialise
    it in the Wasm 2.0 order, run its start function (unless ``run_start`` is False, as when a
    snapshot is restored into the instance), and return the Instance."""
    from .machine import Machine  # the run loop; imported here to keep this module light

    if machine is None:
        machine = Machine() if max_call_depth is None else Machine(max_call_depth=max_call_depth)
    resolved = _link(module, imports or {})
    inst = Instance(module, machine)
    inst.funcs = list(resolved["func"])
    first = len(inst.funcs)
    for k, func in enumerate(module.funcs):
        inst.funcs.append(Function(module.types[func.type_idx], inst, func, k, first + k))
    inst.tables = list(resolved["table"])
    inst.tables += [Table(t.reftype, t.limits.min, t.limits.max) for t in module.tables]
    inst.mems = list(resolved["memory"])
    inst.mems += [Memory(m.limits.min, m.limits.max) for m in module.mems]
    inst.tags = list(resolved["tag"])
    inst.tags += [Tag(module.types[t]) for t in module.tags]
    inst.globals = list(resolved["global"])
    for g in module.globals:
        glob = Global(g.type.valtype, g.type.mutable)
        glob.v = eval_const(g.init, inst)
        inst.globals.append(glob)
    spaces = {"func": inst.funcs, "table": inst.tables, "memory": inst.mems, "global": inst.globals,
              "tag": inst.tags}
    for exp in module.exports:
        inst.exports[exp.name] = spaces[exp.kind][exp.index]
    inst.elems = [[eval_const(e, inst) for e in seg.init] for seg in module.elems]
    inst.datas = [seg.init for seg in module.datas]

    # Active and declarative segments, in order; a trap leaves earlier writes in place.
    for i, seg in enumerate(module.elems):
        if seg.mode == "active":
            offset = eval_const(seg.offset, inst)
            table = inst.tables[seg.table]
            refs = inst.elems[i]
            if offset + len(refs) > len(table.elements):
                raise Trap("out of bounds table access")
            table.elements[offset:offset + len(refs)] = refs
        if seg.mode != "passive":
            inst.elems[i] = []
    for i, seg in enumerate(module.datas):
        if seg.mode == "active":
            offset = eval_const(seg.offset, inst)
            mem = inst.mems[seg.memory]
            if offset + len(seg.init) > len(mem.data):
                raise Trap("out of bounds memory access")
            mem.data[offset:offset + len(seg.init)] = seg.init
            inst.datas[i] = b""
    if run_start and module.start is not None:
        machine.call(inst.funcs[module.start], [])
    return inst
