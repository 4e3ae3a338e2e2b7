"""Hot-function offload: run hot, import-free guest functions natively in the host engine.

Static part (decided once, at load): ``analyze(module)`` finds the *offloadable* defined
functions. A function is offloadable when

* its parameters and results are numbers (i32/i64/f32/f64: they cross the boundary as values),
* nothing it can reach calls an import: direct calls follow the call graph; a
  ``call_indirect`` is assumed to reach every function of a matching type that can be in a
  table (any function named by an element segment or a ``ref.func``); a ``call_indirect`` on
  an imported table makes the function not offloadable,
* nothing it can reach changes state that is not carried back: ``table.set/grow/fill/copy/
  init``, ``elem.drop``, ``memory.init``, ``data.drop`` make a function (and its callers) not
  offloadable.

A module that imports a memory, table or global offloads nothing (the native instance could
not be given the same import), nor one with more than one memory.

Dynamic part: an ``Offloader`` is attached to the module (``module.offload``) by whoever runs
it (interp/cli.py, only when the host offers a native side). The machine asks it, when a
function's heat (tier-0 calls + sampled loop back-edges, the tier-1 counter) passes
``threshold``, for a replacement of the function's tier-1 entries (see Machine._promote): from
then on every call of the function, even a deep call of a recursion that is still running in
the interpreter, is one synchronous call into the native side. The machine reaches no safe
point during it, so a checkpoint trigger that arrives meanwhile is served at the first safe
point after the call returns.

The native side is any object with ``call(instance, func_index, args) -> results`` (internal
values, see values.py): it copies the instance's memory, mutable globals and funcref tables
into its own instance of the same module, calls the function, copies memory, memory size and
mutable globals back, and raises interp's Trap for a trap. host/offload_native.py implements it
with wasmtime-py for selfhost running on CPython.

Limits (documented, not silent): tier 1 must be on (the offload replaces tier-1 entries); f32
NaN payloads are not guaranteed to survive the boundary.
"""
import time

from . import opcodes as W
from .opcodes import NUM_TYPES

DEFAULT_THRESHOLD = 200
PREFIX = "__selfhost_offload_"
_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

_STATE_CHANGING = {W.TABLE_SET, W.TABLE_GROW, W.TABLE_FILL, W.TABLE_COPY, W.TABLE_INIT,
                   W.ELEM_DROP, W.MEMORY_INIT, W.DATA_DROP}


class Analysis:
    """``offloadable``: set of function indices (function index space); ``reason[i]``: why
    function i is not offloadable (a short text)."""

    def __init__(self, offloadable, reason):
        self.offloadable = offloadable
        self.reason = reason


def analyze(module):
    """The Analysis of ``module`` (see the module docstring for the rules)."""
    nimp = len(module.imported("func"))
    ftypes = module.func_types()
    n = len(ftypes)
    reason = {}
    for i in range(nimp):
        imp = module.imports[[k for k, im in enumerate(module.imports)
                              if im.kind == "func"][i]]
        reason[i] = "import %s.%s" % (imp.module, imp.name)
    other_imports = [imp for imp in module.imports if imp.kind != "func"]
    if other_imports or len(module.mem_types()) > 1:
        why = ("imports a %s" % other_imports[0].kind if other_imports
               else "more than one memory")
        return Analysis(set(), {i: reason.get(i, why) for i in range(n)})

    # functions that can be in a table: named by an element segment or a ref.func
    in_table = set()
    for seg in module.elems:
        for expr in seg.init:
            for op, imm, _off in expr:
                if op == W.REF_FUNC:
                    in_table.add(imm)
    for f in module.funcs:
        for op, imm, _off in f.body:
            if op == W.REF_FUNC:
                in_table.add(imm)
    nimp_tables = len(module.imported("table"))

    callees = {}
    for k, f in enumerate(module.funcs):
        i = nimp + k
        out = set()
        for op, imm, _off in f.body:
            if op == W.CALL:
                out.add(imm)
            elif op == W.CALL_INDIRECT:
                type_idx, table_idx = imm
                if table_idx < nimp_tables:
                    reason.setdefault(i, "call_indirect on an imported table")
                want = module.types[type_idx]
                out.update(j for j in in_table if ftypes[j] == want)
            elif op in _STATE_CHANGING:
                reason.setdefault(i, "changes table or segment state (opcode 0x%X)" % op)
        ft = ftypes[i]
        if any(t not in NUM_TYPES for t in ft.params + ft.results):
            reason.setdefault(i, "non-numeric parameter or result")
        callees[i] = out

    # propagate "reaches something not offloadable" from callees to callers (to a fixpoint)
    callers = {i: set() for i in range(n)}
    for i, out in callees.items():
        for j in out:
            callers[j].add(i)
    work = [i for i in range(n) if i in reason]
    while work:
        j = work.pop()
        for i in callers[j]:
            if i not in reason:
                reason[i] = "reaches %s" % _name(module, j)
                work.append(i)
    offloadable = {i for i in range(nimp, n) if i not in reason}
    return Analysis(offloadable, reason)


def _name(module, i):
    name = module.func_names.get(i)
    return "function %d (%s)" % (i, name) if name else "function %d" % i


def _leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_leb(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def _wasm_name(s):
    b = s.encode()
    return _leb(len(b)) + b


def export_everything(data, module):
    """app.wasm bytes with every function, table, memory and global exported as
    PREFIX + "f3" / "t0" / "m0" / "g1", the existing exports kept, the start section dropped."""
    sections = []
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, p = _read_leb(data, pos + 1)
        sections.append((sid, data[pos:p + size], data[p:p + size]))
        pos = p + size
    entries = [_wasm_name(e.name) + bytes((("func", "table", "memory", "global").index(e.kind),))
               + _leb(e.index) for e in module.exports]
    kinds = (("f", 0, len(module.func_types())), ("t", 1, len(module.table_types())),
             ("m", 2, len(module.mem_types())), ("g", 3, len(module.global_types())))
    for letter, kind, count in kinds:
        for i in range(count):
            entries.append(_wasm_name("%s%s%d" % (PREFIX, letter, i)) + bytes((kind,)) + _leb(i))
    payload = _leb(len(entries)) + b"".join(entries)
    export = bytes((7,)) + _leb(len(payload)) + payload
    out = [data[:8]]
    placed = False
    for sid, whole, _payload in sections:
        if sid in (7, 8):
            continue
        if not placed and sid != 0 and _ORDER.get(sid, 99) > _ORDER[7]:
            out.append(export)
            placed = True
        out.append(whole)
    if not placed:
        out.append(export)
    return b"".join(out)


class _NativeCall:
    """What a tier-1 caller's request names: looks like a host function to the machine."""
    host = True

    def __init__(self, call, ftype):
        self.call_internal = call
        self.type = ftype


class Offloader:
    """Per module: the analysis, the hotness threshold, the native side and the statistics."""

    def __init__(self, module, native, threshold=DEFAULT_THRESHOLD):
        if threshold is None or threshold < 0:
            raise ValueError("offload threshold must be >= 0")
        self.module = module
        self.native = native
        self.threshold = threshold
        self.analysis = analyze(module)
        self.calls = {}      # function index -> number of offloaded calls
        self.seconds = {}    # function index -> seconds spent in them (round trips included)
        self.trapped = 0

    def attach(self):
        self.module.offload = self
        return self

    def offloadable(self, func_index):
        return func_index in self.analysis.offloadable

    def take(self, inst, k, heat):
        """Called by the machine for a hot defined function k of ``inst``: if it is
        offloadable and hot enough, install the native path and return the generator function
        tier 0 calls through (else None)."""
        if heat <= self.threshold:
            return None
        index = len(inst.funcs) - len(inst.module.funcs) + k
        if index not in self.analysis.offloadable:
            return None
        from . import codegen
        call = self._caller(inst, index)
        ftype = inst.funcs[index].type
        native = _NativeCall(call, ftype)
        t = codegen.tables(inst)
        nres = len(ftype.results)
        params = ", ".join("l%d" % j for j in range(len(ftype.params)))
        # a generator function (made by exec so that its type is the driver's generator type
        # inside selfhost.wasm too); parameters named like tier 1's, for Machine.capture
        src = ("def _mk(_call):\n"
               "    def off%d(%s):\n"
               "        r = _call([%s])\n"
               "        return %s\n"
               "        yield\n"
               "    return off%d\n") % (index, params, params,
                                        "r[0]" if nres == 1 else ("tuple(r)" if nres else "None"),
                                        index)
        ns = {}
        exec(compile(src, "<offload f%d>" % index, "exec"), ns)
        gen = ns["_mk"](call)

        def request(*args):
            return (native, args)
        t.gens[k] = gen
        t.T[k] = request
        self.calls.setdefault(index, 0)
        self.seconds.setdefault(index, 0.0)
        return gen

    def _caller(self, inst, index):
        native = self.native
        calls = self.calls
        seconds = self.seconds
        clock = time.perf_counter

        def call(args):
            t0 = clock()
            try:
                return native.call(inst, index, args)
            finally:
                calls[index] += 1
                seconds[index] += clock() - t0
        return call

    def stats(self):
        """{"functions": {name: {"calls": n, "seconds": s}}, "calls": total, "seconds": total}"""
        funcs = {}
        for i in sorted(self.calls):
            funcs[_label(self.module, i)] = {"calls": self.calls[i],
                                             "seconds": round(self.seconds[i], 6)}
        return {"functions": funcs, "calls": sum(self.calls.values()),
                "seconds": round(sum(self.seconds.values()), 6),
                "offloadable": len(self.analysis.offloadable)}


def _label(module, i):
    return module.func_names.get(i) or "f%d" % i


# ---------------------------------------------------------------- the doorbell (in selfhost.wasm)
#
# Inside selfhost.wasm the only way out is a WASI call. A launcher that offers offload
# (host/wasmtime_runner.py) shadows fd_advise: a call on MAGIC_FD is a request whose mailbox
# (an array.array in selfhost's linear memory) is at `offset`, `len` bytes long; any other fd
# gets 0 (a valid fd_advise). A plain `wasmtime run` answers EBADF: offload stays off.
# Mailbox: u32 magic, u32 op, u32 status, u32 n, then the payload (u64 words unless bytes).
# The guest memory (a bytearray) is read and written by the host in place: the payload carries
# id() of the bytearray and its length; the host checks CPython's layout in HELLO.

MAGIC_FD = 0x5E1F0FF
MAILBOX_MAGIC = 0x464F4853        # "SHOF"
OP_HELLO, OP_LOAD, OP_CALL, OP_FINISH, OP_TABLES = 0, 1, 2, 3, 4
ST_OK, ST_ERROR, ST_TRAP, ST_GROW, ST_HELLO = 0, 1, 2, 3, 0x600D
_NULL = 0xFFFFFFFFFFFFFFFF


def _bits(valtype, v):
    import struct
    from .values import f32_to_bits
    if valtype == W.F32:
        return f32_to_bits(v)
    if valtype == W.F64:
        return struct.unpack("<Q", struct.pack("<d", v))[0]
    return v


def _from_bits(valtype, b):
    import struct
    from .values import f32_from_bits
    if valtype == W.F32:
        return f32_from_bits(b)
    if valtype == W.F64:
        return struct.unpack("<d", struct.pack("<Q", b))[0]
    return b


class DoorbellNative:
    """The native side seen from inside selfhost.wasm: requests through the fd_advise doorbell.
    ``DoorbellNative.connect(module)`` returns one, or None when no launcher answers."""

    def __init__(self, module):
        import array
        self.module = module
        self._array = array
        self.box = array.array("B", bytes(4096))
        self.gtypes = module.global_types()
        self.mutable = [i for i, t in enumerate(self.gtypes) if t.mutable]
        self.ftypes = module.func_types()
        self._tables_sent = None

    # -- raw mailbox access
    def _ensure(self, nbytes):
        if len(self.box) < nbytes:
            self.box = self._array.array("B", bytes(max(nbytes, 2 * len(self.box))))

    def _ring(self, op, payload=b""):
        import os
        import struct
        self._ensure(16 + len(payload))
        box = self.box
        box[0:16] = self._array.array("B", struct.pack("<IIII", MAILBOX_MAGIC, op, 0xFFFFFFFF,
                                                       len(payload)))
        if payload:
            box[16:16 + len(payload)] = self._array.array("B", payload)
        addr, n = box.buffer_info()
        os.posix_fadvise(MAGIC_FD, addr, n, 0)
        _magic, _op, status, count = struct.unpack("<IIII", box[0:16].tobytes())
        return status, box[16:16 + count].tobytes()

    def _words(self, words):
        import struct
        return struct.pack("<%dQ" % len(words), *words)

    @classmethod
    def connect(cls, module):
        try:
            self = cls(module)
            probe = bytearray(b"selfhost-offload-probe")
            status, _ = self._ring(OP_HELLO, self._words([id(probe), len(probe)]) + bytes(probe))
            if status != ST_HELLO:
                return None
            status, reply = self._ring(OP_LOAD, self._load_payload())
            if status != ST_OK:
                return None
            return self
        except (OSError, AttributeError):
            return None

    def _load_payload(self):
        """words [len(raw), len(rewritten), n info words], the module as is, the module with
        everything exported (export_everything), then info for hosts that cannot decode it
        (node): per function its param and result types, then the mutable globals' types."""
        module = self.module
        raw = module.raw
        rewritten = export_everything(raw, module)
        info = [len(self.ftypes)]
        for ft in self.ftypes:
            info += [len(ft.params), *ft.params, len(ft.results), *ft.results]
        info.append(len(self.mutable))
        info += [self.gtypes[i].valtype for i in self.mutable]
        return (self._words([len(raw), len(rewritten), len(info)]) + raw + rewritten
                + self._words(info))

    def call(self, inst, func_index, args):
        import struct
        from .errors import Trap
        tables = [[(f.index if getattr(f, "instance", None) is inst else _NULL)
                   if f is not None else _NULL for f in t.elements] for t in inst.tables]
        if tables != self._tables_sent:
            words = [len(tables)]
            for t in tables:
                words.append(len(t))
                words.extend(t)
            status, reply = self._ring(OP_TABLES, self._words(words))
            if status != ST_OK:
                raise RuntimeError("offload: %s" % reply.decode("utf-8", "replace"))
            self._tables_sent = tables
        ft = self.ftypes[func_index]
        mem = inst.mems[0].data if inst.mems else bytearray()
        G = inst.globals
        words = [func_index, id(mem), len(mem), len(args)]
        words += [_bits(t, a) for t, a in zip(ft.params, args)]
        words.append(len(self.mutable))
        words += [_bits(self.gtypes[i].valtype, G[i].v) for i in self.mutable]
        status, reply = self._ring(OP_CALL, self._words(words))
        if status == ST_GROW:
            new_len = struct.unpack("<Q", reply[:8])[0]
            inst.mems[0].grow((new_len - len(mem)) >> 16)
            status, reply = self._ring(OP_FINISH, self._words([id(mem), len(mem)]))
        if status == ST_TRAP:
            raise Trap(reply.decode("utf-8", "replace"))
        if status != ST_OK:
            raise RuntimeError("offload: %s" % reply.decode("utf-8", "replace"))
        w = struct.unpack("<%dQ" % (len(reply) // 8), reply)
        nres = w[0]
        results = [_from_bits(t, b) for t, b in zip(ft.results, w[1:1 + nres])]
        for i, b in zip(self.mutable, w[1 + nres:]):
            G[i].v = _from_bits(self.gtypes[i].valtype, b)
        return results
