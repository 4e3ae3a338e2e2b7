"""Tier 2's engine glue: what instrumented native code spills <-> interpreter frames.

interp/instrument.py makes the module the native side runs and its safe-point map
(``Instrumented.funcs``: function index -> FuncPoints). This module, engine-neutral and pure:

* ``SpillRecorder``: the host side of the ``spill_*`` imports (a launcher forwards its import
  calls to it); ``records`` come innermost first;
* ``frames_from_records(records, points, instance)``: those records -> the frame dicts
  ``Machine.capture()`` returns (bottom first), for ``Machine.resume`` or checkpoint's capture();
* ``rewind_plan(frames, points, instance)``: interpreter frames -> a ``RewindPlan``: which
  function the host calls (with ``$state`` = STATE_REWIND when ``plan.records``), and the
  records ``RewindFeeder`` serves to the ``rewind_*`` imports;
* ``continue_records(records, points)``: spilled records -> the RewindPlan that goes on
  natively at once (a checkpoint that continues: no interpreter in between);
* ``Unwound``: the exception a native side raises when its call unwound;
* ``import_call`` / ``after_import``: an unwind that stopped before a call of an import (so
  that the host makes it, in selfhost's own WASI state): which call, and the records once it
  is made.

Values in records are raw bits (i32/i64 unsigned, f32/f64 their IEEE bits); frames hold the
interpreter's values (interp/values.py). The record layout is instrument.py's.
"""
from .errors import Trap
from .lower import lower_function
from .opcodes import F32, F64, I64
from .values import MASK32, MASK64, f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits


# How often native code polls (every native side sizes its countdown so: bounds the
# checkpoint latency inside native code), the first countdown and the largest one (ticks).
POLL_INTERVAL = 1e-3
FIRST_BUDGET = 1000
MAX_BUDGET = 1 << 30


class Unwound(Exception):
    """Raised by a native side's ``call`` when the instrumented native code unwound (its poll
    answered "stop"): ``records`` innermost first. The Offloader adds ``frames`` (interpreter
    frame dicts, bottom first, frames_from_records); the machine's tier-1 driver puts those
    frames where the native call was and goes on in the interpreter (Machine._adopt)."""

    def __init__(self, records):
        super().__init__("native code unwound (%d frames)" % len(records))
        self.records = records
        self.frames = None


class NotRewindable(Exception):
    """These frames cannot continue in the instrumented module (the message says why)."""


class Record:
    """One frame as the instrumented code spills or rewinds it: function index, safe point
    id, values (bits, in instrument.py's layout)."""
    __slots__ = ("func", "point", "values")

    def __init__(self, func, point, values):
        self.func = func
        self.point = point
        self.values = values

    def __repr__(self):
        return "Record(f%d, point %d, %r)" % (self.func, self.point, self.values)

    def __eq__(self, other):
        return (isinstance(other, Record) and (self.func, self.point, self.values)
                == (other.func, other.point, other.values))


class SpillRecorder:
    """spill_begin / spill_i32 / spill_i64 as the native code calls them (any int accepted:
    engines pass i32/i64 signed)."""

    def __init__(self):
        self.records = []

    def spill_begin(self, func, point):
        self.records.append(Record(func & MASK32, point & MASK32, []))

    def spill_i32(self, v):
        self.records[-1].values.append(v & MASK32)

    def spill_i64(self, v):
        self.records[-1].values.append(v & MASK64)

    def take(self):
        """The records so far (innermost first); the recorder starts empty again."""
        out, self.records = self.records, []
        return out


class RewindFeeder:
    """rewind_begin / rewind_i32 / rewind_i64 over ``records`` (bottom first). Values come
    back signed (the i32/i64 of the engines' APIs)."""

    def __init__(self, records):
        self.records = list(records)
        self.next = 0
        self.values = None
        self.pos = 0

    def rewind_begin(self, func):
        self._check_used()
        if self.next >= len(self.records):
            raise NotRewindable("rewind_begin(%d): no frame left to rewind" % func)
        r = self.records[self.next]
        if r.func != func & MASK32:
            raise NotRewindable("rewind_begin(%d): the next frame is function %d"
                                % (func, r.func))
        self.next += 1
        self.values = r.values
        self.pos = 0
        return r.point

    def _value(self):
        if self.values is None or self.pos >= len(self.values):
            raise NotRewindable("rewind: more values read than the frame has")
        v = self.values[self.pos]
        self.pos += 1
        return v

    def rewind_i32(self):
        v = self._value()
        return v - (1 << 32) if v & 0x80000000 else v

    def rewind_i64(self):
        v = self._value()
        return v - (1 << 64) if v >> 63 else v

    def _check_used(self):
        if self.values is not None and self.pos != len(self.values):
            raise NotRewindable("rewind: %d of the frame's %d values were read"
                                % (self.pos, len(self.values)))

    @property
    def done(self):
        """Every record was served and read whole."""
        return self.next == len(self.records) and (self.values is None
                                                   or self.pos == len(self.values))


def from_bits(t, b):
    """Raw bits -> the interpreter's value of type t (to_bits: back)."""
    if t == F32:
        return f32_from_bits(b)
    if t == F64:
        return f64_from_bits(b)
    return b


def to_bits(t, v):
    if t == F32:
        return f32_to_bits(v)
    if t == F64:
        return f64_to_bits(v)
    return v & (MASK64 if t == I64 else MASK32)


def frames_from_records(records, points, instance):
    """Spilled ``records`` (innermost first) -> frame dicts bottom first, as Machine.capture()
    gives them (func, instance, pc, locals, stack). ``points``: Instrumented.funcs. A local
    dead at its frame's point (SafePoint.live) is written down as 0: the native side spills
    whatever its slot held, and the frame goes on the same with any value there."""
    frames = []
    for r in reversed(records):
        fp = points.get(r.func)
        if fp is None or not 1 <= r.point <= len(fp.points):
            raise NotRewindable("record of function %d at point %d: not in the safe-point map"
                                % (r.func, r.point))
        p = fp.point(r.point)
        n = _spilled_stack(p)
        if len(r.values) != n + len(fp.local_types):
            raise NotRewindable("record of function %d at point %d has %d values, not %d"
                                % (r.func, r.point, len(r.values), n + len(fp.local_types)))
        live = p.live
        frames.append({"func": r.func, "instance": instance, "pc": p.pc,
                       "locals": [from_bits(t, b if live >> j & 1 else 0) for j, (t, b)
                                  in enumerate(zip(fp.local_types, r.values[n:]))],
                       "stack": [from_bits(t, b) for t, b in zip(p.stack, r.values)]})
    for i, d in enumerate(frames):
        kind = points[d["func"]].point(records[len(records) - 1 - i].point).kind
        if (kind == "call") != (i + 1 < len(frames)):
            raise NotRewindable("spilled frame %d of %d is a %r point" % (i, len(frames), kind))
    return frames


def _spilled_stack(p):
    """How many values a spill at point p writes before the locals."""
    return len(p.stack) + (1 if p.kind == "call" and p.indirect is not None else 0)


def continue_records(records, points):
    """Spilled ``records`` (innermost first) -> the RewindPlan that continues them natively
    right away, without interpreter frames (checkpoint-and-continue: the native instance is
    unchanged since the unwind)."""
    out = []
    for i, r in enumerate(records):
        fp = points[r.func]
        p = fp.point(r.point)
        n = _spilled_stack(p)
        values = r.values[n:] + r.values[:len(p.stack)]
        if p.kind == "import":
            raise NotRewindable("the innermost spilled frame stopped before an import call: "
                                "make the call (import_call, after_import) first")
        if p.kind == "call":
            if i == 0:
                raise NotRewindable("the innermost spilled frame waits in a call")
            values += r.values[len(p.stack):n] + [0]    # [table slot], the callee rewinds
        elif i:
            raise NotRewindable("spilled frame %d of %d is a %r point" % (i, len(records),
                                                                         p.kind))
        out.append(Record(r.func, r.point, values))
    out.reverse()
    bottom = points[out[0].func]
    return RewindPlan(out[0].func, [_ZERO.get(t, 0) for t in
                                    bottom.local_types[:bottom.nparams]], out)


def import_call(records, points):
    """Spilled ``records`` whose innermost frame stopped before an import call (a point of
    kind "import"): (the import's function index, its arguments as interpreter values)."""
    r = records[0]
    p = points[r.func].point(r.point)
    if p.kind != "import":
        raise NotRewindable("the innermost spilled frame is not at an import call")
    n = len(p.stack) - len(p.ftype.params)
    return p.callee, [from_bits(t, b) for t, b in zip(p.ftype.params, r.values[n:])]


def after_import(records, points, results):
    """The same records once the host made that import call: the innermost frame right after
    it, ``results`` (interpreter values) on its stack, ready for continue_records."""
    r = records[0]
    fp = points[r.func]
    p = fp.point(r.point)
    if p.kind != "import":
        raise NotRewindable("the innermost spilled frame is not at an import call")
    ret = fp.point(p.id - 1)
    n = len(p.stack) - len(p.ftype.params)
    values = r.values[:n] + [to_bits(t, v) for t, v in zip(p.ftype.results, results)]
    return [Record(r.func, ret.id, values + r.values[len(p.stack):])] + list(records[1:])


class RewindPlan:
    """What the host does to continue ``frames`` natively: call function ``func`` (original
    index) with ``args`` (interpreter values), with ``$state`` = STATE_REWIND and a
    RewindFeeder over ``records`` when there are records (then ``args`` are zeros: the function
    reads its frame back), else plainly (the frames were one call at its entry)."""
    __slots__ = ("func", "args", "records")

    def __init__(self, func, args, records):
        self.func = func
        self.args = args
        self.records = records


def _entry_args(d, instance):
    """The arguments of a frame at its function's entry, or None if it is not at entry."""
    func = instance.funcs[d["func"]]
    if func.host or d["stack"]:
        return None
    code = lower_function(instance.module, func.defined_index)
    if d["pc"] != code.offsets[0] or list(d["locals"][code.nparams:]) != list(code.zeros):
        return None
    return list(d["locals"][:code.nparams])


def _table_slot(instance, table, func_index):
    target = instance.funcs[func_index]
    for j, f in enumerate(instance.tables[table].elements):
        if f is target:
            return j
    raise NotRewindable("function %d is not in table %d: its call_indirect cannot be redone"
                        % (func_index, table))


def rewind_plan(frames, points, instance):
    """Interpreter frames (bottom first, Machine.capture()'s form) -> a RewindPlan. Raises
    NotRewindable when a frame's function is not instrumented or its pc is not a safe point.
    ``points``: Instrumented.funcs."""
    if not frames:
        raise NotRewindable("no frames")
    frames = list(frames)
    for d in frames:
        if d["instance"] is not instance:
            raise NotRewindable("frames of another instance")
    records = []
    top = frames[-1]
    fp = points.get(top["func"])
    p = _innermost_point(fp, top) if fp is not None else None
    fresh = None         # (callee, args): the last frame's callee starts afresh with args
    at_call = None       # the last frame's call point, when it stands at the call instruction
    if p is None:        # at a function's entry: its caller calls it afresh
        args = _entry_args(top, instance)
        if args is None:
            raise NotRewindable("the innermost frame (function %d, pc %d) is not at a safe "
                                "point of the instrumented code" % (top["func"], top["pc"]))
        frames.pop()
        if not frames:
            return RewindPlan(top["func"], args, [])
        fresh = (top["func"], args)
    elif p.kind == "call":   # at the call instruction, its arguments on the stack
        n = len(p.stack)
        stack = top["stack"]
        args = stack[n:n + len(p.ftype.params)]
        fresh = (p.callee if p.indirect is None
                 else _table_func(instance, p.indirect[1], stack[-1]), args)
        frames[-1] = dict(top, stack=stack[:n])
        at_call = p
    else:                    # a loop header, or right after a call returned
        records.append(_record(fp, p, top, []))
        frames.pop()
    for i in range(len(frames) - 1, -1, -1):
        d = frames[i]
        f = points.get(d["func"])
        if i == len(frames) - 1 and at_call is not None:
            pt = at_call
        else:
            k = f.call_at.get(d["pc"]) if f is not None else None
            if k is None:
                raise NotRewindable("frame %d (function %d, pc %d) is not at a call site of "
                                    "the instrumented code" % (i, d["func"], d["pc"]))
            pt = f.point(k)
        if i + 1 < len(frames):
            callee, args = frames[i + 1]["func"], None
        elif fresh is not None:
            callee, args = fresh
        else:
            callee, args = top["func"], None
        records.append(_call_record(f, pt, d, callee, args, instance))
    records.reverse()
    bottom = instance.funcs[records[0].func]
    return RewindPlan(records[0].func, [_ZERO.get(t, 0) for t in bottom.type.params], records)


_ZERO = {F32: 0.0, F64: 0.0}


def _table_func(instance, table, slot):
    elems = instance.tables[table].elements
    f = elems[slot] if slot < len(elems) else None
    if f is None or getattr(f, "instance", None) is not instance:
        raise NotRewindable("call_indirect to slot %d of table %d: not a function of this "
                            "instance" % (slot, table))
    return f.index


def _innermost_point(fp, d):
    """The safe point of an innermost frame: a loop header, right after a call returned, or
    at a call instruction with its arguments (None: none of these)."""
    n = len(d["stack"])
    k = fp.loop_at.get(d["pc"])
    if k is not None and len(fp.point(k).stack) == n:
        return fp.point(k)
    k = fp.return_at.get(d["pc"])
    if k is not None and len(fp.point(k).stack) == n:
        return fp.point(k)
    k = fp.call_instr_at.get(d["pc"])
    if k is not None:
        p = fp.point(k)
        if len(p.stack) + len(p.ftype.params) + (p.indirect is not None) == n:
            return p
    return None


def _record(fp, p, d, tail):
    values = [to_bits(t, v) for t, v in zip(fp.local_types, d["locals"])]
    values += [to_bits(t, v) for t, v in zip(p.stack, d["stack"])]
    if len(d["locals"]) != len(fp.local_types) or len(d["stack"]) != len(p.stack):
        raise NotRewindable("frame of function %d at pc %d: %d locals / %d values, expected "
                            "%d / %d" % (fp.func, d["pc"], len(d["locals"]), len(d["stack"]),
                                         len(fp.local_types), len(p.stack)))
    return Record(fp.func, p.id, values + tail)


def _call_record(fp, p, d, callee, args, instance):
    """A frame waiting in call site p of function ``callee``; ``args``: the callee's arguments
    when it starts afresh (its frame was at entry), else None (it rewinds itself)."""
    tail = []
    if p.indirect is not None:
        if instance.funcs[callee].type != p.ftype:
            raise NotRewindable("callee of function %d's call_indirect has another type"
                                % fp.func)
        tail.append(_table_slot(instance, p.indirect[1], callee))
    elif callee != p.callee:
        raise NotRewindable("frame of function %d calls %d, the code calls %d"
                            % (fp.func, callee, p.callee))
    if args is None:
        tail.append(0)
    else:
        tail.append(1)
        tail += [to_bits(t, v) for t, v in zip(p.ftype.params, args)]
    return _record(fp, p, d, tail)


def adopt(machine, frames, code, g, base, inst, depth):
    """The tier-1 driver's side of an Unwound: native code unwound into interpreter ``frames``
    (dicts, bottom first) in the place of the native call that tier-1 frame ``g`` (of
    ``code``, at ``base``) made. An offload entry generator (it only made that call) is
    replaced by them; any other tier-1 frame waits in its call under them. The top frame is
    at a safe point: the machine polls there at once. Returns tier 0's registers for the top
    frame (code, pc, locals, base, instance, depth, tick), as Machine._t1 does."""
    off = inst.module.codemap.offload
    if off is not None and g.gi_code in off.entry_codes:
        depth -= code.cost
    else:
        machine.frames.append((code, -1, g, base, inst))
    saved = saved_frames(machine.stack, frames)
    for c, _pc, _L, _b, _i in saved:
        depth += c.cost
    if depth > machine.max_call_depth:
        raise Trap("call stack exhausted")
    code, pc, L, base, inst = saved.pop()
    machine.frames.extend(saved)
    tick = machine._safe_point(code, pc, L, base, inst)
    return code, pc, L, base, inst, depth, tick


def saved_frames(stack, frames):
    """Frame dicts (bottom first) -> tier 0's saved-frame tuples (code, pc, locals, base,
    instance), their operand values pushed onto ``stack`` (Machine.resume and adopt)."""
    saved = []
    base = len(stack)
    for d in frames:
        inst = d["instance"]
        func = inst.funcs[d["func"]]
        if func.host:
            raise ValueError("frame of a host function cannot be resumed")
        code = lower_function(inst.module, func.defined_index)
        pc = code.pc_at.get(d["pc"])
        if pc is None:
            raise ValueError("offset %d is not a resume point of function %d"
                             % (d["pc"], d["func"]))
        saved.append((code, pc, list(d["locals"]), base, inst))
        base += len(d["stack"])
    for d in frames:
        stack.extend(d["stack"])
    return saved
