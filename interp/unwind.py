"""Exception handling and tail calls for tier 0: what the run loop hands off for them.

Exceptions (the final "exnref" proposal). ``throw`` builds an ``Exn`` (runtime.py) and raises
``Thrown`` (errors.py) as a Python exception; the run loop (Machine._run) catches it around its
dispatch loop, so the hot path pays nothing. By then every frame the exception passes is on
``Machine.frames``: the running tier-0 frame is pushed by the run loop, a tier-1 frame by the
tier-1 driver (``Machine._t1``), and ``Thrown.depth`` holds the call depth at the throw. ``catch``
then pops frames from the top: a tier-0 frame is searched through its ``Code.handlers`` (the
static try_table table lower.py builds, innermost first) at the pc of the instruction that threw
or made the call; tier-1 frames have no handlers (functions with a try_table stay in tier 0).
A matching clause cuts the operand stack to its target label's height, pushes the payload
and/or the exnref, and the frame resumes at the label: an ordinary branch. A tier-1 frame
suspended at a call inside a try body (its generated code is a Python try/except, see
tier1_emit) is handed the exception instead: the driver sends it as the call's result, the
call site raises it where the generated ``except`` matches the clauses (or re-raises, and
unwinding goes on). Traps are not exceptions: ``try_table`` never sees them.

Tail calls (``return_call``, ``return_call_indirect``): the running frame is replaced by the
callee's, so a tail-recursive loop runs in constant depth. A host callee is called in place of
the frame and its results go to the frame's caller.
"""
from .errors import Thrown, Trap
from .lower import lower_function
from .values import Exn


def throw(inst, tag_index, n, stack):
    """``throw``: the exception of tag `tag_index` with the top `n` operand values."""
    s = len(stack) - n
    exn = Exn(inst.tags[tag_index], tuple(stack[s:]))
    del stack[s:]
    raise Thrown(exn)


def throw_ref(stack):
    """``throw_ref``: rethrow the exception the exnref on top refers to."""
    exn = stack.pop()
    if exn is None:
        raise Trap("null exception reference")
    raise Thrown(exn)


def catch(machine, e, floor):
    """Unwind ``machine.frames`` above ``floor`` (this run loop's own frames) to the innermost
    handler of ``e.exn``. Returns the registers (code, pc, locals, base, instance, depth) of
    the frame that caught it, ready to run on (pc -3: a tier-1 frame, to be sent the exception),
    or None: no handler here (the frames are then gone; the exception goes on to whoever
    called this run loop)."""
    frames = machine.frames
    stack = machine.stack
    exn = e.exn
    depth = e.depth
    e.with_traceback(None)  # (the frames it passed need not stay alive)
    while len(frames) > floor:
        code, pc, L, base, inst = frames.pop()
        if pc < 0:
            if code.t1 and code.t1.catches_at(L):
                return code, -3, L, base, inst, depth   # -3: send it the exception
        elif code.handlers:
            p = pc - 1  # the throw, or the call the exception came out of
            for start, end, clauses in code.handlers:
                if start <= p < end:
                    for kind, tag, entry in clauses:
                        if tag is None or inst.tags[tag] is exn.tag:
                            del stack[base + entry[2]:]
                            if kind < 2:       # catch, catch_ref: the payload
                                stack.extend(exn.values)
                            if kind & 1:       # catch_ref, catch_all_ref: the exnref
                                stack.append(exn)
                            return code, entry[0], L, base, inst, depth
        depth -= code.cost
    return None


def _callee(op, a, b, inst, stack):
    """The function a return_call (op 122, a = function index) or return_call_indirect (123,
    a = expected FuncType, b = table index; pops the element index) calls."""
    if op == 122:
        return inst.funcs[a]
    i = stack.pop()
    elems = inst.tables[b].elements
    if i >= len(elems):
        raise Trap("undefined element %d" % i)
    f = elems[i]
    if f is None:
        raise Trap("uninitialized element %d" % i)
    if f.type is not a and f.type != a:
        raise Trap("indirect call type mismatch")
    return f


def tail_call(machine, op, a, b, code, base, inst, depth, tick, floor):
    """A tail call from the running tier-0 frame (`code` at `base`, in `inst`): the frame is
    replaced by the callee's. Returns tier 0's registers (code, pc, locals, base, instance,
    depth, tick) of the frame to run next; code is None when the run's bottom frame returned
    (its results are then at stack[base:])."""
    stack = machine.stack
    f = _callee(op, a, b, inst, stack)
    n = len(f.type.params)
    s = len(stack) - n
    args = stack[s:]
    del stack[base:]          # the frame's own operand values, and the arguments
    depth -= code.cost
    if f.host:
        machine._depth = depth
        try:
            stack += f.call_internal(args)
        except Thrown as t:   # the frame is gone already: its handlers do not apply
            t.in_frames = True
            t.depth = depth
            raise
        return _return(machine, base, depth, tick, floor)
    i2 = f.instance
    c = lower_function(i2.module, f.defined_index)
    depth += c.cost
    if depth > machine.max_call_depth:
        raise Trap("call stack exhausted")
    if machine.tier1_threshold is not None:
        g1 = machine._tier1(i2, f.defined_index)
        if g1 is not None:
            return machine._t1(g1(*args), c, i2, base, None, depth, tick, floor, True)
    args += c.zeros
    tick -= 1  # a tail call counts toward the next safe point as a call does
    if not tick:
        tick = machine._safe_point(c, 0, args, base, i2)
    return c, 0, args, base, i2, depth, tick


def _return(machine, base, depth, tick, floor):
    """The results of a finished frame are at stack[base:]: back to its caller (tier 0's
    RETURN, for a host function called in tail position)."""
    frames = machine.frames
    stack = machine.stack
    if len(frames) == floor:
        return None, 0, None, base, None, depth, tick
    s = base
    code, pc, L, base, inst = frames.pop()
    if pc < 0:  # a tier-1 caller: send it the results
        r = stack[s:]
        del stack[s:]
        return machine._t1(L, code, inst, base, (r[0] if len(r) == 1 else tuple(r)) if r else None,
                           depth, tick, floor, False)
    return code, pc, L, base, inst, depth, tick
