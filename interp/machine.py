"""Tier 0: the explicit-stack run loop.

No Wasm call is a Python call: a call saves the caller's state as a tuple on ``self.frames`` and
the loop goes on with the callee, so deep guest recursion never meets Python's recursion limit
and the whole guest state is plain data a checkpoint can read:

* ``self.frames``: saved callers, each ``(code, pc, locals, base, instance)``; ``pc`` is the
  internal pc to continue at (after the call), ``base`` where the frame's operand values start;
* ``self.stack``: one operand stack shared by all frames (a frame's values are
  ``stack[base:next frame's base]``); locals are a list per frame;
* the running frame lives in local variables of ``_run``.

The loop dispatches on small-int internal opcodes (see lower.py) with an if/elif chain split by
ranges, hottest first. Every ``check_every`` back-edges and calls it reaches a *safe point*:
it calls ``self.poll`` (if set; a True result requests a stop) and, if ``self.interrupt`` is
set, stops by raising ``Suspended`` with the captured frames. ``resume(frames)`` continues from
such a capture, in the same or a fresh instance of the same module. Safe points are function
entries and loop headers (the targets of back-edges), so a captured pc always maps back exactly;
only the outermost run loop stops (one nested inside a host function defers the stop).

Tier 1 (tier1.py): hot functions run as generated Python generators driven by ``_t1``, their
frames on ``self.frames`` as ``(code, -1, generator, base, instance)``. A hot tier-0 frame moves
into tier 1 at a loop header's back-edge safe point (on-stack replacement, ``_back_edge``).
Tier 2 (tier2.py, offload.py): native frames unwound into these frames, or rewound from them.

Exceptions and tail calls (interp/unwind.py): a ``throw`` raises ``Thrown``; the run loop catches
it around its dispatch loop (free while nothing is thrown), pushes the running frame and lets
``unwind.catch`` find the handler; the frame that caught it goes on in the same loop.

Call depth: each frame counts ``Code.cost`` toward ``max_call_depth`` (beyond: "call stack
exhausted").
Memory accesses rely on bytearray/struct bounds checks; their IndexError / struct.error /
OverflowError become Trap("out of bounds memory access"). Addresses are unsigned, so
``base + offset`` is never negative and may exceed 2**32 (out of bounds, not wrapped).
"""
import struct

from . import tier1
from .cold import run_cold as _cold
from .config import Config
from .errors import Thrown, Trap
from .lower import OSR_ENTER, lower_function
from .tier2 import Unwound, adopt as _adopt, saved_frames as _saved_frames
from .unwind import catch as _catch, tail_call as _tail_call, throw as _throw
from .unwind import throw_ref as _throw_ref
from .values import f32_from_bits, f32_to_bits

_U32 = struct.Struct("<I")
_F64 = struct.Struct("<d")
_MEM_ERRORS = (struct.error, IndexError, OverflowError)  # what an out-of-bounds access raises


class Suspended(Exception):
    """The machine stopped at a safe point; ``frames`` is the captured state (see capture)."""

    def __init__(self, frames):
        super().__init__("suspended at a safe point (%d frames)" % len(frames))
        self.frames = frames


# The type of generators made by compile()d code (tier-1 call requests). Made through eval: in
# selfhost.wasm this file is compiled by Nuitka, whose own generators have another type.
_GEN = type(eval("(lambda: (yield))()"))
# what the run loop runs after on-stack replacement (see Machine._back_edge)
_OSR_OPS = [(OSR_ENTER, None, None)]


class Machine:
    def __init__(self, config=None, **changes):
        """``config``: an interp.Config (default: Config()); keyword ``changes`` override its
        fields (``Machine(tier1_threshold=None)``). The live settings are attributes: a run may
        tighten ``check_every`` (the checkpoint session does)."""
        config = (config or Config()).but(**changes)
        self.config = config
        self.max_call_depth = config.max_call_depth
        self.check_every = config.check_every   # back-edges + calls between two safe points
        # tier 1 (tier1.py): a function is compiled once its tier-0 calls + back-edges pass
        # this; 0 = at its first call, None = tier 1 off
        self.tier1_threshold = config.tier1_threshold
        self.frames = []                 # saved callers: (code, pc, locals, base, instance)
        self.stack = []                  # the operand stack
        self.interrupt = False           # set (by anyone) to stop at the next safe point
        self.safe_point_soon = False     # (a host function) safe point at the next call/back-edge
        self.poll = None                 # optional callable, run at safe points; True = stop
        self.stop_conditions = None      # callable -> (deadline, trigger counts), doorbell.py
        self._floors = []                # per active run loop: len(frames) when it started
        self._depth = 0                  # call depth below a nested run (set at host calls)
        self._cur = None                 # the running frame, while at a safe point
        # on-stack replacement (see _back_edge): frames moved from tier 0 into tier 1 so far;
        # Config.osr_always (for testing) moves every tier-0 frame at its first back-edge
        self.osr_count = 0
        self.osr_always = config.osr_always
        if self.osr_always:
            self.check_every = 1

    # ---- entry points ----

    def call(self, func, args):
        """Run `func` (Function or HostFunc) on internal-form `args` to completion."""
        if func.host:
            return func.call_internal(list(args))
        inst = func.instance
        code = lower_function(inst.module, func.defined_index)
        if self.tier1_threshold is not None:
            gen = self._tier1(inst, func.defined_index)
            if gen is not None:
                return self._run(code, -2, gen(*args), len(self.stack), inst, ())
        locals_ = list(args)
        locals_ += code.zeros
        return self._run(code, 0, locals_, len(self.stack), inst, ())

    def _env(self, inst):
        """What the loop keeps in locals about the running frame's instance."""
        mems = inst.mems
        gens = tier1.tables(inst).gens if self.tier1_threshold is not None else None
        return (inst.module.codemap.lowered, inst.funcs, inst.globals,
                mems[0].data if mems else None, inst.module, gens)

    def _tier1(self, inst, k):
        """Count a call of defined function k of `inst`; its tier-1 generator function once
        it is hot (compiled and bound on the way), else None."""
        gen = tier1.tables(inst).gens[k]
        if gen is None:
            code = lower_function(inst.module, k)
            code.heat += 1
            if code.heat > self._threshold(inst.module) and code.t1 is not False:
                gen = self._promote(inst, k)
        return gen

    def _threshold(self, module):
        """The heat at which a function is handed to _promote: tier 1's threshold, or the
        offload threshold when that is lower (interp/offload.py)."""
        off = module.codemap.offload
        if off is None or off.threshold >= self.tier1_threshold:
            return self.tier1_threshold
        return off.threshold

    def _promote(self, inst, k):
        """A hot defined function k: offloaded (when the module has an Offloader that takes
        it), else compiled to tier 1 once past tier 1's threshold. Returns its generator
        function or None (stays in tier 0 for now)."""
        off = inst.module.codemap.offload
        if off is not None:
            heat = lower_function(inst.module, k).heat
            gen = off.take(inst, k, heat)
            if gen is not None or heat <= self.tier1_threshold:
                return gen
        return tier1.promote(inst, k, self.check_every, self.config.tier1_dump_dir)

    def capture(self):
        """The guest state at the current safe point (from ``poll``; or ``Suspended.frames``):
        frames bottom first, dicts of "func" (in its instance's function space), "instance",
        "pc" (Wasm offset of the next instruction), "locals", "stack" (+ "tier" in tier 1)."""
        if self._cur is None or len(self._floors) != 1:
            raise RuntimeError("capture() needs the machine stopped at an outermost safe point")
        saved = self.frames[self._floors[0]:] + [self._cur]
        stack = self.stack
        out = []
        for i, (code, pc, locals_, base, inst) in enumerate(saved):
            if pc == -2:  # a generator not started yet: at function entry, parameters set
                fl = locals_.gi_frame.f_locals
                out.append({"func": code.func_index, "instance": inst, "pc": code.offsets[0],
                            "locals": [fl["l%d" % j] for j in range(code.nparams)]
                            + list(code.zeros), "stack": [], "tier": "tier1"})
                continue
            if pc < 0:  # tier 1: locals_ is the generator
                wpc, locals_, values = code.t1.frame_state(locals_, code, pc == -1)
                out.append({"func": code.func_index, "instance": inst, "pc": wpc,
                            "locals": locals_, "stack": values, "tier": "tier1"})
                continue
            if i + 1 < len(saved):  # suspended in a call: at the instruction right after it
                end = saved[i + 1][3]
                wpc = code.after_call.get(pc, code.offsets[pc])
            else:
                end = len(stack)
                wpc = code.offsets[pc]
            out.append({"func": code.func_index, "instance": inst, "pc": wpc,
                        "locals": list(locals_), "stack": stack[base:end]})
        return out

    def resume(self, frames):
        """Continue a captured state (list of frame dicts, bottom first) to completion; returns
        the bottom frame's results. Each frame's instance may be a fresh instance of the same
        module (its memory, globals and tables restored by the caller)."""
        if not frames:
            raise ValueError("nothing to resume: no frames")
        off = frames[-1]["instance"].module.codemap.offload
        split = (off.rewind_split(frames) if off is not None and self.tier1_threshold is not None
                 else None)
        if split is not None:  # tier 2: the top frames go on in native code (rewound)
            inst = frames[-1]["instance"]
            frames, code, g = split
            saved = _saved_frames(self.stack, frames)
            return self._run(code, -1, g, len(self.stack), inst, saved)
        saved = _saved_frames(self.stack, frames)
        code, pc, L, base, inst = saved.pop()
        # the top frame is at a safe point: at a loop header it may go straight into tier 1
        # (the others, at call sites, at a loop header when a back-edge safe point finds them)
        code.heat += self.check_every
        g = self._osr(code, pc, L, base, inst)
        if g is not None:
            return self._run(code, -1, g, base, inst, saved)
        return self._run(code, pc, L, base, inst, saved)

    def stop_wanted(self):
        """Asked by a native side while native code runs: should the machine stop? Runs the
        poll hook; True sets ``interrupt`` (the first safe point after the unwind stops)."""
        if len(self._floors) != 1:
            return False
        if not self.interrupt and self.poll is not None and self.poll():
            self.interrupt = True
        return self.interrupt

    def at_safe_point(self):
        """Is the machine stopped at an outermost safe point (can capture() run)?"""
        return self._cur is not None and len(self._floors) == 1

    def _safe_point(self, code, pc, locals_, base, inst):
        """Reached every check_every back-edges/calls: poll, maybe stop. Returns the next
        countdown. Only the outermost run loop stops (a nested one runs inside a host call).
        A tier-0 frame here is credited check_every toward its tier-1 heat: back-edges are
        counted this way, sampled, not one by one (pc < 0: a tier-1 frame, see _t1)."""
        if pc >= 0:
            code.heat += self.check_every
        prof = inst.module.codemap.profile  # interp/profile.py, when asked for
        if prof is not None:
            prof.at_safe_point(self, code, pc)
        if len(self._floors) != 1:  # nested: poll and stop once back in the outer loop
            return self.check_every
        self._cur = (code, pc, locals_, base, inst)
        try:
            if self.poll is not None and self.poll():
                self.interrupt = True
            if self.interrupt:
                self.interrupt = False
                raise Suspended(self.capture())
        finally:
            self._cur = None
        return self.check_every

    def _back_edge(self, code, pc, L, base, inst):
        """A safe point at loop header `pc` of a tier-0 frame: poll (_safe_point), then maybe
        on-stack replacement. Returns the run loop's (ops, pc, L, tick): unchanged, or after
        OSR _OSR_OPS, 0 and the frame's tier-1 generator (its OSR_ENTER starts the driver)."""
        tick = self._safe_point(code, pc, L, base, inst)
        g = self._osr(code, pc, L, base, inst)
        if g is None:
            return code.ops, pc, L, tick
        return _OSR_OPS, 0, g, tick

    def _osr(self, code, pc, L, base, inst):
        """On-stack replacement of the top tier-0 frame, at its loop header `pc`, once the
        function is hot: a generator of its tier-1 OSR variant entered at that header, which
        takes the locals and the operand values (removed from the stack: tier-1 frames keep
        them in Python locals). None when the frame stays in tier 0."""
        thr = self.tier1_threshold
        if thr is None or code.t1 is False or (code.heat <= thr and not self.osr_always):
            return None
        make = tier1.osr_entry(inst, code.defined_index, code.offsets[pc], self.check_every,
                               self.config.tier1_dump_dir)
        if make is None:
            return None
        stack = self.stack
        g = make(*L, *stack[base:])
        del stack[base:]
        self.osr_count += 1
        return g

    # ---- the run loop ----

    def _run(self, code, pc, L, base, inst, saved):
        """Run from the given frame (with `saved` callers below it) until the bottom frame
        returns; return its results. On any exception the stacks are cut back to the entry."""
        frames = self.frames
        stack = self.stack
        floor = len(frames)
        entry_base = saved[0][3] if saved else base
        # depth counts frames, a frame with many locals as several (Code.cost): the limit
        # bounds memory too, not just the number of frames
        depth = self._depth + code.cost + sum(fr[0].cost for fr in saved)
        maxdepth = self.max_call_depth
        if depth > maxdepth:
            raise Trap("call stack exhausted")
        frames.extend(saved)
        self._floors.append(floor)
        push = stack.append
        pop = stack.pop
        unpack_I = _U32.unpack_from
        pack_I = _U32.pack_into
        pack_d = _F64.pack_into
        lowered, funcs, G, mem, module, gens = self._env(inst)
        tick = self.check_every
        thr = self.tier1_threshold if self.tier1_threshold is None else self._threshold(module)
        v0 = None  # what a tier-1 frame on top is sent first: an exception it catches
        try:
            while True:  # once, and again after a try_table caught an exception
                try:
                    if pc < 0:  # a tier-1 frame on top: the driver runs it first
                        code, pc, L, base, i2, depth, tick = self._t1(
                            L, code, inst, base, v0, depth, tick, floor, pc == -2)
                        v0 = None
                        if code is not None and i2 is not inst:
                            inst = i2
                            lowered, funcs, G, mem, module, gens = self._env(inst)
                    ops = code.ops if code is not None else ()
                    if code is not None:  # (else the tier-1 bottom frame already returned)
                        while True:
                            op, a, b = ops[pc]
                            pc += 1
                            if op < 16:
                                if op < 8:
                                    if op == 0:  # LGET
                                        push(L[a])
                                    elif op == 1:  # CONST
                                        push(a)
                                    elif op == 2:  # LSET
                                        L[a] = pop()
                                    elif op == 3:  # LTEE
                                        L[a] = stack[-1]
                                    elif op == 4:  # I32_ADD
                                        b = pop()
                                        stack[-1] = (stack[-1] + b) & 0xFFFFFFFF
                                    elif op == 5:  # BR_IF (forward)
                                        if pop():
                                            pc = a
                                    elif op == 6:  # JUMP (forward)
                                        pc = a
                                    elif op == 7:  # LOOP_JUMP (back-edge)
                                        pc = a
                                        tick -= 1
                                        if not tick:
                                            ops, pc, L, tick = self._back_edge(code, pc, L, base, inst)
                                elif op == 8:  # BR_IF_LOOP
                                    if pop():
                                        pc = a
                                        tick -= 1
                                        if not tick:
                                            ops, pc, L, tick = self._back_edge(code, pc, L, base, inst)
                                elif op == 9:  # BR_IFZ
                                    if not pop():
                                        pc = a
                                elif op == 10:  # CALL a function of this module (b: its defined index)
                                    try:
                                        c = lowered[b]
                                    except KeyError:
                                        c = lower_function(module, b)
                                    if gens is not None:  # tier 1 on: is the callee compiled, or hot?
                                        g1 = gens[b]
                                        if g1 is None:
                                            c.heat += 1
                                            if c.heat > thr and c.t1 is not False:
                                                g1 = self._promote(inst, b)
                                        if g1 is not None:
                                            s = len(stack) - c.nparams
                                            args = stack[s:]
                                            del stack[s:]
                                            frames.append((code, pc, L, base, inst))
                                            depth += c.cost
                                            if depth > maxdepth:
                                                raise Trap("call stack exhausted")
                                            code, pc, L, base, i2, depth, tick = self._t1(
                                                g1(*args), c, inst, s, None, depth, tick, floor, True)
                                            if code is None:
                                                break
                                            ops = code.ops
                                            if i2 is not inst:
                                                inst = i2
                                                lowered, funcs, G, mem, module, gens = self._env(inst)
                                            continue
                                    s = len(stack) - c.nparams
                                    L2 = stack[s:]
                                    del stack[s:]
                                    L2 += c.zeros
                                    frames.append((code, pc, L, base, inst))
                                    depth += c.cost
                                    if depth > maxdepth:
                                        raise Trap("call stack exhausted")
                                    code = c
                                    ops = c.ops
                                    pc = 0
                                    L = L2
                                    base = s
                                    tick -= 1
                                    if not tick:
                                        tick = self._safe_point(code, pc, L, base, inst)
                                elif op == 11:  # RETURN (the results are exactly stack[base:])
                                    if len(frames) == floor:
                                        break
                                    depth -= code.cost
                                    s = base
                                    code, pc, L, base, i2 = frames.pop()
                                    if pc < 0:  # back to a tier-1 caller: send it the results
                                        r = stack[s:]
                                        del stack[s:]
                                        code, pc, L, base, i2, depth, tick = self._t1(
                                            L, code, i2, base,
                                            (r[0] if len(r) == 1 else tuple(r)) if r else None,
                                            depth, tick, floor, False)
                                        if code is None:
                                            break
                                    ops = code.ops
                                    if i2 is not inst:
                                        inst = i2
                                        lowered, funcs, G, mem, module, gens = self._env(inst)
                                elif op == 12:  # ADD_C
                                    stack[-1] = (stack[-1] + a) & 0xFFFFFFFF
                                elif op == 13:  # LGET2
                                    push(L[a])
                                    push(L[b])
                                elif op == 14:  # GGET
                                    push(G[a].v)
                                else:  # 15 GSET
                                    G[a].v = pop()
                            elif op < 26:
                                if op == 16:  # LC_ADD
                                    push((L[a] + b) & 0xFFFFFFFF)
                                elif op == 17:  # L_ADD
                                    stack[-1] = (stack[-1] + L[a]) & 0xFFFFFFFF
                                elif op == 18:  # LC_BR_CMP
                                    x, y, k, flip = b
                                    x = L[x] ^ flip
                                    if k == 0:
                                        t = x < y
                                    elif k == 1:
                                        t = x != y
                                    elif k == 2:
                                        t = x == y
                                    elif k == 3:
                                        t = x >= y
                                    elif k == 4:
                                        t = x > y
                                    else:
                                        t = x <= y
                                    if t:
                                        if a < pc:
                                            tick -= 1
                                            if not tick:
                                                ops, pc, L, tick = self._back_edge(code, a, L, base, inst)
                                                continue
                                        pc = a
                                elif op == 19:  # BR_CMP
                                    k, flip, src, y = b
                                    if src is None:
                                        y = pop() ^ flip
                                    elif src:
                                        y = L[y] ^ flip
                                    x = pop() ^ flip
                                    if k == 0:
                                        t = x < y
                                    elif k == 1:
                                        t = x != y
                                    elif k == 2:
                                        t = x == y
                                    elif k == 3:
                                        t = x >= y
                                    elif k == 4:
                                        t = x > y
                                    else:
                                        t = x <= y
                                    if t:
                                        if a < pc:
                                            tick -= 1
                                            if not tick:
                                                ops, pc, L, tick = self._back_edge(code, a, L, base, inst)
                                                continue
                                        pc = a
                                elif op == 20:  # L_BR_IF
                                    if L[b]:
                                        if a < pc:
                                            tick -= 1
                                            if not tick:
                                                ops, pc, L, tick = self._back_edge(code, a, L, base, inst)
                                                continue
                                        pc = a
                                elif op == 21:  # SET_GET
                                    L[a] = stack[-1]
                                    stack[-1] = L[b]
                                elif op == 22:  # TEE_SET
                                    L[a] = L[b] = pop()
                                elif op == 23:  # TEE_GET
                                    L[a] = stack[-1]
                                    push(L[b])
                                elif op == 24:  # LC_CMP
                                    y, k, flip = b
                                    x = L[a] ^ flip
                                    if k == 0:
                                        push(1 if x < y else 0)
                                    elif k == 1:
                                        push(1 if x != y else 0)
                                    elif k == 2:
                                        push(1 if x == y else 0)
                                    elif k == 3:
                                        push(1 if x >= y else 0)
                                    elif k == 4:
                                        push(1 if x > y else 0)
                                    else:
                                        push(1 if x <= y else 0)
                                else:  # 25 L_BR_IFZ (forward)
                                    if not L[b]:
                                        pc = a
                            elif op < 48:
                                if op < 34:  # right operand: stack, constant a or local a (see lower.py)
                                    if b is None:
                                        y = pop()
                                    elif b:
                                        y = L[a]
                                    else:
                                        y = a
                                    x = stack[-1]
                                    if op == 26:  # I32_SUB
                                        stack[-1] = (x - y) & 0xFFFFFFFF
                                    elif op == 27:  # I32_MUL
                                        stack[-1] = (x * y) & 0xFFFFFFFF
                                    elif op == 28:  # I32_AND
                                        stack[-1] = x & y
                                    elif op == 29:  # I32_OR
                                        stack[-1] = x | y
                                    elif op == 30:  # I32_XOR
                                        stack[-1] = x ^ y
                                    elif op == 31:  # I32_SHL
                                        stack[-1] = (x << (y & 31)) & 0xFFFFFFFF
                                    elif op == 32:  # I32_SHR_U
                                        stack[-1] = x >> (y & 31)
                                    else:  # 33 I32_SHR_S
                                        stack[-1] = (((x ^ 0x80000000) - 0x80000000) >> (y & 31)) & 0xFFFFFFFF
                                elif op == 34:  # I32_EQZ
                                    stack[-1] = 0 if stack[-1] else 1
                                elif op < 45:  # i32 compares
                                    if b is None:
                                        y = pop()
                                    elif b:
                                        y = L[a]
                                    else:
                                        y = a
                                    x = stack[-1]
                                    if op == 35:  # I32_EQ
                                        stack[-1] = 1 if x == y else 0
                                    elif op == 36:  # I32_NE
                                        stack[-1] = 1 if x != y else 0
                                    elif op == 37:  # I32_LT_S
                                        stack[-1] = 1 if x ^ 0x80000000 < y ^ 0x80000000 else 0
                                    elif op == 38:  # I32_LT_U
                                        stack[-1] = 1 if x < y else 0
                                    elif op == 39:  # I32_GT_S
                                        stack[-1] = 1 if x ^ 0x80000000 > y ^ 0x80000000 else 0
                                    elif op == 40:  # I32_GT_U
                                        stack[-1] = 1 if x > y else 0
                                    elif op == 41:  # I32_LE_S
                                        stack[-1] = 1 if x ^ 0x80000000 <= y ^ 0x80000000 else 0
                                    elif op == 42:  # I32_LE_U
                                        stack[-1] = 1 if x <= y else 0
                                    elif op == 43:  # I32_GE_S
                                        stack[-1] = 1 if x ^ 0x80000000 >= y ^ 0x80000000 else 0
                                    else:  # 44 I32_GE_U
                                        stack[-1] = 1 if x >= y else 0
                                elif op == 45:  # I32_LOAD
                                    stack[-1] = unpack_I(mem, stack[-1] + a)[0]
                                elif op == 46:  # I32_STORE
                                    y = pop()
                                    pack_I(mem, pop() + a, y)
                                else:  # 47 LOAD8_U
                                    stack[-1] = mem[stack[-1] + a]
                            elif op < 100:
                                if op < 56:
                                    if op == 48:  # STORE8 (b: None, or the constant to store)
                                        y = pop() if b is None else b
                                        mem[pop() + a] = y & 0xFF
                                    elif op == 49:  # LOAD (unsigned int or f64: b = unpack_from)
                                        stack[-1] = b(mem, stack[-1] + a)[0]
                                    elif op == 50:  # LOAD_S (b = (unpack_from, mask))
                                        stack[-1] = b[0](mem, stack[-1] + a)[0] & b[1]
                                    elif op == 51:  # STORE (b = (pack_into, mask))
                                        y = pop()
                                        b[0](mem, pop() + a, y & b[1])
                                    elif op == 52:  # DROP
                                        pop()
                                    elif op == 53:  # SELECT
                                        t = pop()
                                        y = pop()
                                        if not t:
                                            stack[-1] = y
                                    elif op == 54:  # BINOP (a = numerics function)
                                        y = pop()
                                        stack[-1] = a(stack[-1], y)
                                    else:  # 55 UNOP
                                        stack[-1] = a(stack[-1])
                                elif op < 64:
                                    if b is None:
                                        y = pop()
                                    elif b:
                                        y = L[a]
                                    else:
                                        y = a
                                    x = stack[-1]
                                    if op == 56:  # I64_ADD
                                        stack[-1] = (x + y) & 0xFFFFFFFFFFFFFFFF
                                    elif op == 57:  # I64_SUB
                                        stack[-1] = (x - y) & 0xFFFFFFFFFFFFFFFF
                                    elif op == 58:  # I64_MUL
                                        stack[-1] = (x * y) & 0xFFFFFFFFFFFFFFFF
                                    elif op == 59:  # I64_AND
                                        stack[-1] = x & y
                                    elif op == 60:  # I64_OR
                                        stack[-1] = x | y
                                    elif op == 61:  # I64_XOR
                                        stack[-1] = x ^ y
                                    elif op == 62:  # I64_SHL
                                        stack[-1] = (x << (y & 63)) & 0xFFFFFFFFFFFFFFFF
                                    else:  # 63 I64_SHR_U
                                        stack[-1] = x >> (y & 63)
                                elif op == 64:  # I64_EQZ
                                    stack[-1] = 0 if stack[-1] else 1
                                elif op == 65:  # I64_EQ
                                    y = pop()
                                    stack[-1] = 1 if stack[-1] == y else 0
                                elif op == 66:  # I64_NE
                                    y = pop()
                                    stack[-1] = 1 if stack[-1] != y else 0
                                elif op == 67:  # F64_ADD
                                    y = pop()
                                    stack[-1] += y
                                elif op == 68:  # F64_SUB
                                    y = pop()
                                    stack[-1] -= y
                                elif op == 69:  # F64_MUL
                                    y = pop()
                                    stack[-1] *= y
                                elif op == 70:  # LOAD_F32 (through the bits: a signalling NaN stays one)
                                    stack[-1] = f32_from_bits(unpack_I(mem, stack[-1] + a)[0])
                                elif op == 71:  # STORE_F32
                                    y = pop()
                                    pack_I(mem, pop() + a, f32_to_bits(y))
                                elif op == 72:  # STORE_F64
                                    y = pop()
                                    pack_d(mem, pop() + a, y)
                                elif op == 73 or op == 74:  # BR_CUT, BR_IF_CUT: b = (keep, height, back)
                                    if op == 73 or pop():
                                        keep, h, back = b
                                        h += base
                                        if keep:
                                            stack[h:] = stack[len(stack) - keep:]
                                        else:
                                            del stack[h:]
                                        pc = a
                                        if back:
                                            tick -= 1
                                            if not tick:
                                                ops, pc, L, tick = self._back_edge(code, pc, L, base, inst)
                                elif op == 76:  # L_LOAD
                                    push(unpack_I(mem, L[a] + b)[0])
                                elif op == 77:  # TEE_BR_IF
                                    L[b] = t = pop()
                                    if t:
                                        if a < pc:
                                            tick -= 1
                                            if not tick:
                                                ops, pc, L, tick = self._back_edge(code, a, L, base, inst)
                                                continue
                                        pc = a
                                else:  # 75 BR_TABLE: a = entries [target, keep, height, back], last default
                                    i = pop()
                                    n = len(a) - 1
                                    pc, keep, h, back = a[i] if i < n else a[n]
                                    h += base
                                    if len(stack) - keep != h:
                                        if keep:
                                            stack[h:] = stack[len(stack) - keep:]
                                        else:
                                            del stack[h:]
                                    if back:
                                        tick -= 1
                                        if not tick:
                                            ops, pc, L, tick = self._back_edge(code, pc, L, base, inst)
                            else:  # cold: calls through objects, memory/table management, traps
                                if op == 100:  # CALL_IMPORT a
                                    f = funcs[a]
                                elif op == 101:  # CALL_INDIRECT a = expected FuncType, b = table index
                                    i = pop()
                                    elems = inst.tables[b].elements
                                    if i >= len(elems):
                                        raise Trap("undefined element %d" % i)
                                    f = elems[i]
                                    if f is None:
                                        raise Trap("uninitialized element %d" % i)
                                    if f.type is not a and f.type != a:
                                        raise Trap("indirect call type mismatch")
                                elif op == 104:  # MEM_GROW
                                    r = inst.mems[0].grow(stack[-1])
                                    stack[-1] = r & 0xFFFFFFFF
                                    mem = inst.mems[0].data
                                    continue
                                elif op == 119:  # OSR_ENTER: the frame went to tier 1, L: its generator
                                    code, pc, L, base, i2, depth, tick = self._t1(
                                        L, code, inst, base, None, depth, tick, floor, False)
                                    if code is None:
                                        break
                                    ops = code.ops
                                    if i2 is not inst:
                                        inst = i2
                                        lowered, funcs, G, mem, module, gens = self._env(inst)
                                    continue
                                elif op < 120 or op == 124:
                                    _cold(op, a, b, inst, stack, mem)
                                    continue
                                elif op == 120:  # THROW a = tag index, b = payload count
                                    _throw(inst, a, b, stack)
                                elif op == 121:  # THROW_REF
                                    _throw_ref(stack)
                                elif op == 122 or op == 123:  # RETURN_CALL, RETURN_CALL_INDIRECT
                                    code, pc, L, base, i2, depth, tick = _tail_call(
                                        self, op, a, b, code, base, inst, depth, tick, floor)
                                    if code is None:
                                        break
                                    ops = code.ops
                                    if i2 is not inst:
                                        inst = i2
                                        lowered, funcs, G, mem, module, gens = self._env(inst)
                                    continue
                                # a call through a function object: host, or Wasm (maybe another instance)
                                if f.host:
                                    s = len(stack) - len(f.type.params)
                                    args = stack[s:]
                                    del stack[s:]
                                    self._depth = depth  # a nested run (host calls Wasm) starts here
                                    stack += f.call_internal(args)
                                    if self.safe_point_soon:  # e.g. the guest asked for a checkpoint
                                        self.safe_point_soon = False
                                        tick = 1
                                    continue
                                i2 = f.instance
                                c = lower_function(i2.module, f.defined_index)
                                if thr is not None:
                                    g1 = self._tier1(i2, f.defined_index)
                                    if g1 is not None:
                                        s = len(stack) - c.nparams
                                        args = stack[s:]
                                        del stack[s:]
                                        frames.append((code, pc, L, base, inst))
                                        depth += c.cost
                                        if depth > maxdepth:
                                            raise Trap("call stack exhausted")
                                        code, pc, L, base, i2, depth, tick = self._t1(
                                            g1(*args), c, i2, s, None, depth, tick, floor, True)
                                        if code is None:
                                            break
                                        ops = code.ops
                                        if i2 is not inst:
                                            inst = i2
                                            lowered, funcs, G, mem, module, gens = self._env(inst)
                                        continue
                                s = len(stack) - c.nparams
                                L2 = stack[s:]
                                del stack[s:]
                                L2 += c.zeros
                                frames.append((code, pc, L, base, inst))
                                depth += c.cost
                                if depth > maxdepth:
                                    raise Trap("call stack exhausted")
                                code = c
                                ops = c.ops
                                pc = 0
                                L = L2
                                base = s
                                if i2 is not inst:
                                    inst = i2
                                    lowered, funcs, G, mem, module, gens = self._env(inst)
                                tick -= 1
                                if not tick:
                                    tick = self._safe_point(code, pc, L, base, inst)
                    break
                except Thrown as e:  # unwind to a handler (interp/unwind.py), or pass it on
                    if not e.in_frames:  # thrown by tier 0's running frame: push it
                        frames.append((code, pc, L, base, inst))
                        e.depth = depth
                    e.in_frames = False
                    caught = _catch(self, e, floor)
                    if caught is None:
                        raise
                    code, pc, L, base, inst, depth = caught
                    if pc == -3:  # a tier-1 frame catches it in its generated code
                        pc = -1
                        v0 = e
                    lowered, funcs, G, mem, module, gens = self._env(inst)
        except BaseException as e:
            del frames[floor:]
            del stack[entry_base:]
            if isinstance(e, _MEM_ERRORS):
                raise Trap("out of bounds memory access") from None
            raise
        finally:
            self._floors.pop()
            if not self._floors:
                self._depth = 0
        results = stack[base:]
        del stack[base:]
        return results

    # ---- tier 1: the driver of generated functions (see tier1.py) ----

    def _t1(self, g, code, inst, base, v, depth, tick, floor, fresh):
        """Run tier-1 frames, starting with generator `g` (of `code`, in `inst`): `fresh`, it
        has not started (a call: function entry is a safe point), else it gets `v` (the
        results of the call it made: None, a value, or a tuple). Generators yield requests:

        * a generator: a call to a compiled function of the same instance;
        * an int: the generator's back-edge countdown ran out (a safe point);
        * (function, args): any other call (tier 0, host, another instance).

        Returns tier 0's registers (code, pc, locals, base, instance, depth, tick) when the
        next frame to run is a tier-0 frame; code is None when the run's bottom frame returned
        (its results are then pushed at stack[base:]). Saved tier-1 frames are
        (code, -1, generator, base, instance) on self.frames; they hold no operand values on
        the shared stack."""
        frames = self.frames
        stack = self.stack
        maxdepth = self.max_call_depth
        GEN = _GEN
        if fresh:
            tick -= 1
            if not tick:
                tick = self._safe_point(code, -2, g, base, inst)
        try:
            while True:
                try:
                    req = g.send(v)
                except StopIteration as e:
                    v = e.value
                    depth -= code.cost
                    nres = code.nresults
                    if len(frames) == floor:  # the bottom frame of this run returned
                        if nres == 1:
                            stack.append(v)
                        elif nres:
                            stack.extend(v)
                        return None, 0, None, base, None, depth, tick
                    code, pc, g, base, inst = frames.pop()
                    if pc < 0:
                        continue
                    if nres == 1:  # a tier-0 caller: results onto its stack
                        stack.append(v)
                    elif nres:
                        stack.extend(v)
                    return code, pc, g, base, inst, depth, tick
                if type(req) is GEN:
                    frames.append((code, -1, g, base, inst))
                    code = inst.module.codemap.code_of[req.gi_code]  # same instance
                    depth += code.cost
                    if depth > maxdepth:
                        raise Trap("call stack exhausted")
                    g = req
                    v = None
                    tick -= 1
                    if not tick:
                        tick = self._safe_point(code, -2, g, base, inst)
                    continue
                if type(req) is int:  # a back-edge safe point of g
                    self._safe_point(code, -1, g, base, inst)
                    v = self.check_every
                    continue
                f, args = req
                if f.host:
                    self._depth = depth  # a nested run (host calls Wasm) starts here
                    try:
                        r = f.call_internal(list(args))
                    except Unwound as u:  # instrumented native code stopped (tier 2)
                        return _adopt(self, u.frames, code, g, base, inst, depth)
                    v = (r[0] if len(r) == 1 else tuple(r)) if r else None
                    if self.safe_point_soon:
                        self.safe_point_soon = False
                        tick = 1
                    continue
                i2 = f.instance
                c = lower_function(i2.module, f.defined_index)
                frames.append((code, -1, g, base, inst))
                depth += c.cost
                if depth > maxdepth:
                    raise Trap("call stack exhausted")
                gen = self._tier1(i2, f.defined_index)
                if gen is not None:
                    g = gen(*args)
                    code = c
                    inst = i2
                    v = None
                    tick -= 1
                    if not tick:
                        tick = self._safe_point(code, -2, g, base, inst)
                    continue
                L = list(args)
                L += c.zeros
                base = len(stack)
                tick -= 1
                if not tick:
                    tick = self._safe_point(c, 0, L, base, i2)
                return c, 0, L, base, i2, depth, tick
        except Thrown as e:  # a throw in g, or out of a host call it made: g's frame is gone
            if not e.in_frames:
                frames.append((code, -1, g, base, inst))
                e.in_frames = True
                e.depth = depth
            raise
