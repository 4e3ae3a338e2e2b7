"""A decoded snapshot checked against the module it is to resume, before anything is loaded.

A snapshot is untrusted input (docs/security.md): anyone can write one and recompute its
checksum, so format.py's decoding only proves that the bytes are well formed. Here every
field is held against the module: counts and types of globals, memories and tables as the
module declares them, memory and table sizes within the module's limits, dropped segments that
exist, and for each frame a defined function (not an import), a pc where the machine can
resume it, the function's own locals (count and types) and exactly the operand types that
validation gives at that pc; an outer frame must be suspended right after a call of the next
frame's function. A snapshot that passes runs like one the machine captured itself: the
guest's state is the guest's (untrusted as always), but the interpreter never meets a value
of the wrong type, an index out of range or a pc it cannot resume.

``check(snapshot, module, max_frames)`` raises InvalidState with a one-line reason;
``memory_limits(module)`` gives format.decode the limits it checks before it allocates a
memory.
"""
from interp import opcodes as op
from interp.lower import lower_function
from interp.validate import UNKNOWN, stack_types_at

from .snapshot import InvalidState, PAGE_SIZE

MAX_PAGES = 65536
MAX_TABLE = (1 << 32) - 1


def _bad(what):
    return InvalidState("snapshot does not fit the module: %s" % what)


def memory_limits(module):
    """[(min pages, max pages)] of the module's memories, for format.decode."""
    return [(t.limits.min, MAX_PAGES if t.limits.max is None else t.limits.max)
            for t in module.mem_types()]


def check(snapshot, module, max_frames=None):
    """Raise InvalidState unless ``snapshot`` can be loaded into a fresh instance of
    ``module`` and resumed."""
    nfuncs = len(module.func_types())
    _check_globals(snapshot.globals, module, nfuncs)
    _check_memories(snapshot.memories, module)
    _check_tables(snapshot.tables, module, nfuncs)
    for what, items, count in (("dropped element segment", snapshot.dropped_elems,
                                len(module.elems)),
                               ("dropped data segment", snapshot.dropped_datas,
                                len(module.datas))):
        for i in items:
            if not (type(i) is int and 0 <= i < count):
                raise _bad("%s %r (the module has %d)" % (what, i, count))
    _check_frames(snapshot.frames, module, nfuncs, max_frames)


def _check_value(t, v, nfuncs, where):
    if t == op.FUNCREF:
        if v is not None and not (type(v) is int and 0 <= v < nfuncs):
            raise _bad("%s: function index %r out of range" % (where, v))
    elif t == op.EXTERNREF:
        if v is not None:
            raise _bad("%s: a non-null externref" % where)
    elif t == op.EXNREF:           # an index into the snapshot's exceptions (format checks it)
        if v is not None and not (type(v) is int and v >= 0):
            raise _bad("%s: exception index %r" % (where, v))
    elif t in (op.I32, op.I64):
        bits = 32 if t == op.I32 else 64
        if not (type(v) is int and 0 <= v < (1 << bits)):
            raise _bad("%s: %r is not an i%d" % (where, v, bits))
    elif t in (op.F32, op.F64):
        if type(v) not in (float, int):
            raise _bad("%s: %r is not a float" % (where, v))
    else:
        raise _bad("%s: unknown value type %r" % (where, t))


def _check_values(values, types, nfuncs, where):
    if len(values) != len(types):
        raise _bad("%s: %d values, the module says %d" % (where, len(values), len(types)))
    for i, (item, want) in enumerate(zip(values, types)):
        t, v = item
        if t != want:
            raise _bad("%s %d: type %s, the module says %s"
                       % (where, i, op.VALTYPE_NAMES.get(t, t), op.VALTYPE_NAMES.get(want, want)))
        _check_value(t, v, nfuncs, "%s %d" % (where, i))


def _check_globals(values, module, nfuncs):
    _check_values(values, [g.valtype for g in module.global_types()], nfuncs, "global")


def _check_memories(memories, module):
    types = module.mem_types()
    if len(memories) != len(types):
        raise _bad("%d memories, the module has %d" % (len(memories), len(types)))
    for i, (state, t) in enumerate(zip(memories, types)):
        lo, hi = t.limits.min, MAX_PAGES if t.limits.max is None else t.limits.max
        if not (type(state.pages) is int and lo <= state.pages <= hi):
            raise _bad("memory %d has %r pages, the module allows %d to %d"
                       % (i, state.pages, lo, hi))
        if state.max_pages != t.limits.max:
            raise _bad("memory %d: maximum %r, the module says %r"
                       % (i, state.max_pages, t.limits.max))
        if len(state.data) != state.pages * PAGE_SIZE:
            raise _bad("memory %d holds %d bytes for %d pages" % (i, len(state.data),
                                                                  state.pages))


def _check_tables(tables, module, nfuncs):
    types = module.table_types()
    if len(tables) != len(types):
        raise _bad("%d tables, the module has %d" % (len(tables), len(types)))
    for i, (state, t) in enumerate(zip(tables, types)):
        if state.reftype != t.reftype:
            raise _bad("table %d: element type %r, the module says %r"
                       % (i, state.reftype, t.reftype))
        lo, hi = t.limits.min, MAX_TABLE if t.limits.max is None else t.limits.max
        if not lo <= len(state.elements) <= hi:
            raise _bad("table %d has %d elements, the module allows %d to %d"
                       % (i, len(state.elements), lo, hi))
        if state.max != t.limits.max:
            raise _bad("table %d: maximum %r, the module says %r" % (i, state.max,
                                                                     t.limits.max))
        for e in state.elements:
            if e is not None and not (type(e) is int and 0 <= e < nfuncs):
                raise _bad("table %d: function index %r out of range" % (i, e))


class _Body:
    """What a frame of defined function k may hold (computed once per function)."""

    def __init__(self, module, k):
        func = module.funcs[k]
        self.module, self.k, self.body = module, k, func.body
        self.local_types = list(module.types[func.type_idx].params) + list(func.locals)
        self.index_of = {instr[2]: i for i, instr in enumerate(func.body)}
        self.resume_points = lower_function(module, k).pc_at
        self._types = {}

    def types_at(self, pc):
        types = self._types.get(pc)
        if types is None:
            types = self._types[pc] = stack_types_at(self.module, self.k,
                                                     self.index_of[pc])[0]
        return types


def _check_frames(frames, module, nfuncs, max_frames):
    if not frames:
        raise _bad("no frames")
    if max_frames is not None and len(frames) > max_frames:
        raise _bad("%d frames, more than the call depth limit %d" % (len(frames), max_frames))
    ftypes = module.func_types()
    first_defined = nfuncs - len(module.funcs)
    bodies = {}
    for n, fr in enumerate(frames):
        where = "frame %d" % n
        if not (type(fr.func) is int and first_defined <= fr.func < nfuncs):
            raise _bad("%s: %r is not a function defined by the module (%d to %d)"
                       % (where, fr.func, first_defined, nfuncs - 1))
        k = fr.func - first_defined
        body = bodies.get(k) or bodies.setdefault(k, _Body(module, k))
        if fr.pc not in body.resume_points or fr.pc not in body.index_of:
            raise _bad("%s: pc 0x%x is not a resume point of function %d"
                       % (where, fr.pc, fr.func))
        _check_values(fr.locals, body.local_types, nfuncs, "%s local" % where)
        types = body.types_at(fr.pc)
        if n + 1 < len(frames):      # suspended in a call of the next frame's function
            callee = frames[n + 1].func
            if not (type(callee) is int and 0 <= callee < nfuncs):
                raise _bad("frame %d: %r is not a function" % (n + 1, callee))
            _check_call_site(body, fr.pc, callee, ftypes, module, where)
            types = types[:len(types) - len(ftypes[callee].results)]
        if UNKNOWN in types:
            raise _bad("%s: pc 0x%x is in unreachable code" % (where, fr.pc))
        _check_values(fr.stack, types, nfuncs, "%s operand" % where)


def _check_call_site(body, pc, callee, ftypes, module, where):
    i = body.index_of[pc]
    opcode, imm, _off = body.body[i - 1] if i > 0 else (None, None, None)
    if opcode == op.CALL:
        if imm != callee:
            raise _bad("%s calls function %d, but the next frame runs function %d"
                       % (where, imm, callee))
    elif opcode == op.CALL_INDIRECT:
        want = module.types[imm[0]]
        got = ftypes[callee]
        if (list(want.params), list(want.results)) != (list(got.params), list(got.results)):
            raise _bad("%s: the next frame's function %d is not of the type its "
                       "call_indirect expects" % (where, callee))
    else:
        raise _bad("%s: pc 0x%x does not follow a call, but a frame above it runs"
                   % (where, pc))
