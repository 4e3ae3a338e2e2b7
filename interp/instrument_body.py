"""The per-function rewrite of interp/instrument.py (read its docstring first): one original body
(with its FuncPlan: constructs, safe points, stack types) -> the instrumented body.

The function becomes

    loop $restart (result <results>)
      block $poll
        <body>                 (a safe point that stops: its stack into slots, $sp = K, br $poll)
        return
      end
      <poll point: $sp_slow; 0: $rw = $sp, br $restart (continue at K); else spill K, return 0s>
    end

so a safe point's code is a few register operations and branches, with no call in it: a call
inside a loop, even on a path never taken, makes the register allocator keep loop values in
memory (floats above all: no callee-saved float registers). Continuing after a poll is a rewind
inside the function: the values are in locals and slots already.

Shape of a construct body that holds safe points, items X1..Xn (call sites, child constructs
holding safe points), segments s0..sn between them; every item is a *stop* the dispatch can
branch to (a call site two: before the call and right after it):

    block $jn (params -> stack at stop n) ... block $j1 (params -> stack at stop 1)
      <dispatch: only when $rw != 0, br $jt carrying the stack at the stop for point $rw>
      [loop bodies: the header check]
      s0
    end  X1  s1  end  X2 ... end  Xn  sn

The function body is one such body; before its dispatch, the rewind entry (when ``$state``
!= 0) reads the frame. Original branches are renumbered past the inserted labels (``_Label``
positions).
"""
from . import opcodes as W
from .module import FuncType

_SHORT = {W.I32: -1, W.I64: -2, W.F32: -3, W.F64: -4, W.FUNCREF: -16, W.EXTERNREF: -17}
_ZERO = {W.I32: (W.I32_CONST, 0), W.I64: (W.I64_CONST, 0), W.F32: (W.F32_CONST, 0.0),
         W.F64: (W.F64_CONST, 0.0), W.FUNCREF: (W.REF_NULL, W.FUNCREF),
         W.EXTERNREF: (W.REF_NULL, W.EXTERNREF)}
_CALLS = (W.CALL, W.CALL_INDIRECT)
LOOP_TICK = 256      # default: loop headers per activation between two global countdown ticks
TICK = 1 << 31       # in $sp: the stop is a loop's tick (count down, maybe go on at once)


class Unsupported(Exception):
    """The function cannot be instrumented (the message says why)."""


class _Label:
    __slots__ = ("pos",)


class BodyRewriter:
    """Rewrites one function: ``run()`` -> (new body, the extra locals' types)."""

    def __init__(self, plan, points, env, module):
        self.plan = plan
        self.fp = points
        self.body = plan.body
        self.types = plan.types
        self.nodes = plan.nodes
        self.point_at = plan.point_at
        self.helpers = env["helpers"]
        self.state = env["state"]
        self.ctr = env["ctr"]
        self.slow = env["slow"]
        self.rw = env["rw"]
        self.gslot = env["gslot"]
        self.lslot = env["lslot"]
        self.loop_tick = env["loop_tick"]
        self.intern = env["intern"]
        self.fmap = env["fmap"]
        self.module = module
        self.ftypes = module.func_types()
        self.out = []
        self.labels = []
        self.orig = []          # positions in self.labels of the original labels
        self.nlocals = len(plan.local_types)
        self.extra = []
        self.slots = {}         # (height, type) -> local
        self.ptemps = {}        # (position, type) -> local (save code only)
        self._tmp = self._ci = self._lc = self._sp = self._rwl = None
        self.live = 0            # the locals live at some safe point (a bit each)
        self.saves = []          # the save block's label

    # ---- output, labels, locals ----

    def emit(self, op, imm=None):
        self.out.append((op, imm, None))

    def _push(self, orig):
        lab = _Label()
        lab.pos = len(self.labels)
        self.labels.append(lab)
        if orig:
            self.orig.append(lab.pos)
        return lab

    def _pop(self):
        lab = self.labels.pop()
        if self.orig and self.orig[-1] == lab.pos:
            self.orig.pop()

    def open(self, op, bt, orig=False):
        self.emit(op, bt)
        return self._push(orig)

    def close(self):
        self.emit(W.END)
        self._pop()

    def depth(self, lab):
        return len(self.labels) - 1 - lab.pos

    def orig_depth(self, d):
        return len(self.labels) - 1 - self.orig[-1 - d]

    def bt(self, params, results):
        if not params:
            if not results:
                return W.BLOCK_EMPTY
            if len(results) == 1:
                return _SHORT[results[0]]
        return self.intern(FuncType(tuple(params), tuple(results)))

    def local(self, t):
        self.extra.append(t)
        return self.nlocals + len(self.extra) - 1

    @property
    def tmp(self):
        if self._tmp is None:
            self._tmp = self.local(W.I32)
        return self._tmp

    @property
    def rwl(self):
        if self._rwl is None:
            self._rwl = self.local(W.I32)
        return self._rwl

    @property
    def sp(self):
        if self._sp is None:
            self._sp = self.local(W.I32)
        return self._sp

    @property
    def lc(self):
        if self._lc is None:
            self._lc = self.local(W.I32)
        return self._lc

    @property
    def ci(self):
        if self._ci is None:
            self._ci = self.local(W.I32)
        return self._ci

    def inner_base(self, p):
        """The base of the construct that holds point p: the values below it are in save
        slots (locals, copied at construct entry), the ones above in transfer slots."""
        return self.plan.owner[p.index].base

    def get_value(self, d, t, ib):
        """Push stack height d's value (type t) for a point whose inner base is ib."""
        if d < ib:
            self.emit(W.LOCAL_GET, self.slot(d, t))
        else:
            self.emit(W.GLOBAL_GET, self.gslot(d, t))

    def set_value(self, d, t, ib):
        if d < ib:
            self.emit(W.LOCAL_SET, self.slot(d, t))
        else:
            self.emit(W.GLOBAL_SET, self.gslot(d, t))

    def slot(self, d, t):
        n = self.slots.get((d, t))
        if n is None:
            n = self.slots[(d, t)] = self.local(t)
        return n

    def ptemp(self, j, t):
        n = self.ptemps.get((j, t))
        if n is None:
            n = self.ptemps[(j, t)] = self.local(t)
        return n

    # ---- values through the helpers (floats as bits) ----

    def load(self, t):
        """Push the next record value of type t (rewind_i32 / rewind_i64)."""
        if t == W.I32 or t == W.F32:
            self.emit(W.CALL, self.helpers["rewind_i32"])
            if t == W.F32:
                self.emit(W.F32_REINTERPRET_I32)
        else:
            self.emit(W.CALL, self.helpers["rewind_i64"])
            if t == W.F64:
                self.emit(W.F64_REINTERPRET_I64)

    def store(self, t):
        """Spill the value of type t on top of the stack."""
        if t == W.F32:
            self.emit(W.I32_REINTERPRET_F32)
        elif t == W.F64:
            self.emit(W.I64_REINTERPRET_F64)
        self.emit(W.CALL, self.helpers["spill_i32" if t in (W.I32, W.F32) else "spill_i64"])

    # ---- the walk ----

    def run(self):
        plan = self.plan
        self._push(True)                    # the function's own label
        results = plan.ftype.results
        stops = [p for p in self.fp.points if _spills(p)]
        for p in self.fp.points:
            self.live |= p.live
        if any(p.kind == "loop" for p in self.fp.points):
            self.emit(W.I32_CONST, self.loop_tick)     # the activation's loop countdown
            self.emit(W.LOCAL_SET, self.lc)
        if stops:
            restart = self.open(W.LOOP, self.bt((), results))
            poll = self.open(W.BLOCK, W.BLOCK_EMPTY)
            # a stop branches to $save, which copies the locals live at some safe point into
            # the local slots and goes on to the poll point (a spill writes the ones dead at
            # its point with whatever their slots hold: tier2 writes them down as 0)
            save = self.open(W.BLOCK, W.BLOCK_EMPTY)
            self.saves = [save]
        self.body_of(plan.root, 0, len(self.body) - 1, 0)
        if stops:
            self.emit(W.RETURN)
            self.close()
            for k, t in enumerate(plan.local_types):
                if self.live >> k & 1:
                    self.emit(W.LOCAL_GET, k)
                    self.emit(W.GLOBAL_SET, self.lslot(k, t))
            self.close()
            self.poll_point(restart, stops)
            self.close()
        self.emit(W.END)
        return self.out, self.extra

    def poll_point(self, restart, stops):
        """After ``br $poll``: a loop's tick (``$sp`` with TICK set) counts the global $ctr
        down and goes on unless it ran out; then $sp_slow decides: continue at $sp (a rewind
        inside the function), or spill: spill_begin(func, $sp), the point's stack from its
        slots, then the locals from theirs (those dead at the point hold any value: the frame
        goes on the same without them; tier2 writes them down as 0)."""
        self.emit(W.LOCAL_GET, self.sp)
        self.emit(W.I32_CONST, 0)
        self.emit(W.I32_LT_S)
        self.open(W.IF, W.BLOCK_EMPTY)
        self.emit(W.LOCAL_GET, self.sp)
        self.emit(W.I32_CONST, TICK - 1)
        self.emit(W.I32_AND)
        self.emit(W.LOCAL_SET, self.sp)
        self.countdown()
        self.emit(W.I32_EQZ)
        self.open(W.IF, W.BLOCK_EMPTY)
        self.emit(W.LOCAL_GET, self.sp)
        self.emit(W.GLOBAL_SET, self.rw)
        self.emit(W.BR, self.depth(restart))
        self.close()
        self.close()
        self.emit(W.CALL, self.slow)
        self.emit(W.I32_EQZ)
        self.open(W.IF, W.BLOCK_EMPTY)
        self.emit(W.LOCAL_GET, self.sp)
        self.emit(W.GLOBAL_SET, self.rw)
        self.emit(W.BR, self.depth(restart))
        self.close()
        self.emit(W.I32_CONST, self.fp.func)
        self.emit(W.LOCAL_GET, self.sp)
        self.emit(W.CALL, self.helpers["spill_begin"])
        done = self.open(W.BLOCK, W.BLOCK_EMPTY)
        points = self.fp.points

        def case(j):
            p = points[j]
            if not _spills(p):
                return False
            ib = self.inner_base(p)
            for d, t in enumerate(p.stack):
                self.get_value(d, t, ib)
                self.store(t)
            if p.kind == "call" and p.indirect is not None:
                self.emit(W.LOCAL_GET, self.ci)
                self.store(W.I32)
        self.switch(lambda: self.emit(W.LOCAL_GET, self.sp), 1, len(points), case,
                    lambda j: done)
        self.close()
        for k, t in enumerate(self.plan.local_types):       # (dead ones: any value)
            self.emit(W.GLOBAL_GET, self.lslot(k, t))
            self.store(t)
        for t in self.plan.ftype.results:
            self.emit(*_ZERO[t])

    def switch(self, selector, first, n, case, target):
        """A br_table over cases 0..n-1 on (selector - first): ``case(j)`` emits case j's code
        (False: no such case, it traps), then a branch to ``target(j)``. Cases with the same
        code and target share one block, so a table over many points stays small."""
        codes = []
        keys = {}
        table = []
        for j in range(n):
            mark = len(self.out)
            ok = case(j)
            code = self.out[mark:]
            del self.out[mark:]
            if ok is False:
                table.append(None)
                continue
            lab = target(j)
            key = (tuple(code), lab.pos)
            k = keys.get(key)
            if k is None:
                k = keys[key] = len(codes)
                codes.append((code, lab))
            table.append(k)
        m = len(codes)
        self.open(W.BLOCK, W.BLOCK_EMPTY)          # the default: no such case
        for _ in range(m):
            self.open(W.BLOCK, W.BLOCK_EMPTY)
        runs = []                                  # (last j, case) of equal neighbours
        for j, k in enumerate(table):
            k = m if k is None else k
            if runs and runs[-1][1] == k:
                runs[-1] = (j, k)
            else:
                runs.append((j, k))
        if 8 * (len(runs) - 1) < n:                # long runs: a chain of compares is smaller
            for last, k in runs[:-1]:
                selector()
                self.emit(W.I32_CONST, first + last)
                self.emit(W.I32_LE_U)
                self.emit(W.BR_IF, k)
            self.emit(W.BR, runs[-1][1])
        else:
            selector()
            if first:
                self.emit(W.I32_CONST, first)
                self.emit(W.I32_SUB)
            self.emit(W.BR_TABLE, (tuple(m if k is None else k for k in table), m))
        for code, lab in codes:
            self.close()
            self.out.extend(code)
            self.emit(W.BR, self.depth(lab))
        self.close()
        self.emit(W.UNREACHABLE)

    def copy(self, a, b):
        """Original instructions [a, b) (no safe point among them), branches renumbered."""
        body = self.body
        out = self.out
        fmap = self.fmap
        for i in range(a, b):
            ins = body[i]
            op = ins[0]
            if op == W.BLOCK or op == W.LOOP or op == W.IF:
                out.append((op, ins[1], None))
                self._push(True)
            elif op == W.END:
                out.append((op, None, None))
                self._pop()
            elif op == W.BR or op == W.BR_IF:
                out.append((op, self.orig_depth(ins[1]), None))
            elif op == W.BR_TABLE:
                depths, default = ins[1]
                out.append((op, (tuple(self.orig_depth(d) for d in depths),
                                 self.orig_depth(default)), None))
            elif op == W.CALL or op == W.REF_FUNC:
                out.append((op, fmap(ins[1]), None))
            else:
                out.append(ins)

    def params_of(self, node):
        if node.start < 0:
            return ()
        t = self.types[node.start]
        return t[node.base:len(t) - (1 if node.kind == "if" else 0)]

    def stops(self, items):
        """The places of a body the dispatch can branch to, in order: (kind, index, id range):
        "open" before a child construct, "call" before a call, "return" after it (and after
        its unwind check)."""
        out = []
        for it in items:
            if self.body[it][0] in _CALLS:
                k = self.point_at[it]
                out.append(("call", it, k, k))
                out.append(("return", it, k + 1, k + 1))
            else:
                x = self.nodes[it]
                out.append(("open", it, x.lo, x.hi))
        return out

    def stop_types(self, kind, it):
        """The operand-stack types at a stop."""
        if kind == "return":
            p = self.fp.point(self.point_at[it] + 1)
            return p.stack
        return self.types[it]

    def body_of(self, node, a, b, part, pre=None):
        """Body [a, b) of construct ``node`` (``part`` 1: an else-branch); ``pre`` emits the
        loop header check."""
        items = node.items[part]
        if not items:
            if pre is not None:
                pre()
            self.copy(a, b)
            return
        base = node.base
        params = self.params_of(node)
        stops = self.stops(items)
        js = [None] * len(stops)
        for s in range(len(stops) - 1, -1, -1):
            kind, it, _, _ = stops[s]
            js[s] = self.open(W.BLOCK, self.bt(params, self.stop_types(kind, it)[base:]))
        # the first item right at the start of a block or if body: the rewinds for points in
        # it need no branch here (the stack is already the one at that stop)
        fall = stops[0][1] == a and pre is None and stops[0][0] == "open"
        self.dispatch(node, stops, params, js, fall)
        if pre is not None:
            pre()
        pos = a
        for s, (kind, it, _, _) in enumerate(stops):
            if kind == "return":        # after the call's check: a rewind there skips it
                p = self.fp.point(self.point_at[it])
                if p.unwinds:
                    self.call_check(p, base, self.types[it])
                self.close()
                pos = it + 1
                continue
            self.copy(pos, it)
            if kind == "call" and it in self.plan.import_sites:
                self.import_unwind(it, base)
            self.close()
            if kind == "call":
                op, imm, _ = self.body[it]
                if op == W.CALL_INDIRECT and self.fp.point(self.point_at[it]).unwinds:
                    self.emit(W.LOCAL_TEE, self.ci)     # the table slot, for the spill
                self.emit(op, self.fmap(imm) if op == W.CALL else imm)
            else:
                pos = self.construct(it, node)
        self.copy(pos, b)

    def dispatch(self, node, stops, params, js, fall):
        """When $rw != 0: branch to the stop for point $rw (the stop before the item that
        holds it, or the point's own stop), carrying the stack there; ``fall``: the first stop
        is the body's start, its points just go on. At the function's start, first the rewind
        entry when $state != 0: the frame from rewind_*, $rw = its point."""
        lo, hi = stops[0][2], stops[-1][3]
        if node.start < 0:
            self.rewind_entry()
        stop_of = []
        own = []
        s = 0
        for id_ in range(lo, hi + 1):
            while stops[s][3] < id_:
                s += 1
            stop_of.append(s)
            kind, it, first, _ = stops[s]
            own.append(kind != "open" or (self.body[it][0] == W.LOOP and first == id_))
        root = node.start < 0
        through = [fall and stop_of[j] == 0 and not own[j] for j in range(len(own))]
        if all(through) and not root:
            return
        if root:                     # a register copy of $rw for the dispatches inside
            self.emit(W.GLOBAL_GET, self.rw)
            self.emit(W.LOCAL_TEE, self.rwl)
        else:
            self.emit(W.LOCAL_GET, self.rwl)
        end = self.open(W.IF, self.bt(params, params))
        if root:            # a rewind or a continue after the poll point: the locals back
            for k, t in enumerate(self.plan.local_types):
                if self.live >> k & 1:
                    self.emit(W.GLOBAL_GET, self.lslot(k, t))
                    self.emit(W.LOCAL_SET, k)

        def case(j):
            id_ = lo + j
            kind, it, _, _ = stops[stop_of[j]]
            if through[j]:
                for d, t in enumerate(params):
                    self.get_value(node.base + d, t, self.inner_base(self.fp.point(id_)))
                return
            if own[j]:
                self.emit(W.I32_CONST, 0)              # the stop is the point itself: arrived
                self.emit(W.LOCAL_TEE, self.rwl)
                self.emit(W.GLOBAL_SET, self.rw)
            self.push_stop_values(kind, it, id_, node.base)
        self.switch(lambda: self.emit(W.LOCAL_GET, self.rwl), lo, hi - lo + 1, case,
                    lambda j: end if through[j] else js[stop_of[j]])
        self.close()

    def rewind_entry(self):
        """$state != 0 at entry: rewind_begin -> $rw, the locals, the point's stack."""
        self.emit(W.GLOBAL_GET, self.state)
        self.open(W.IF, W.BLOCK_EMPTY)
        self.emit(W.I32_CONST, self.fp.func)
        self.emit(W.CALL, self.helpers["rewind_begin"])
        self.emit(W.GLOBAL_SET, self.rw)
        for j, t in enumerate(self.plan.local_types):      # into the local slots: the
            self.load(t)                                   # dispatch sets the live ones
            self.emit(W.GLOBAL_SET, self.lslot(j, t))
        done = self.open(W.BLOCK, W.BLOCK_EMPTY)
        self.switch(lambda: self.emit(W.GLOBAL_GET, self.rw), 1, len(self.fp.points),
                    lambda j: self.rewind_loads(j + 1), lambda j: done)
        self.close()
        self.close()

    def rewind_loads(self, id_):
        """At rewind entry, point id_: its stack into slots; the state for what follows."""
        p = self.fp.point(id_)
        ib = self.inner_base(p)
        for d, t in enumerate(p.stack):
            self.load(t)
            self.set_value(d, t, ib)
        if p.kind != "call":               # the innermost frame: the rewind ends here
            self.emit(W.I32_CONST, 0)
            self.emit(W.GLOBAL_SET, self.state)
            return
        if p.indirect is not None:
            self.emit(W.CALL, self.helpers["rewind_i32"])
            self.emit(W.LOCAL_SET, self.ci)
        self.emit(W.CALL, self.helpers["rewind_i32"])    # 1: the callee starts at its entry
        self.open(W.IF, W.BLOCK_EMPTY)
        h = len(p.stack)
        for j, t in enumerate(p.ftype.params):
            self.load(t)
            self.set_value(h + j, t, ib)
        self.emit(W.I32_CONST, 0)
        self.emit(W.GLOBAL_SET, self.state)
        self.close()

    def push_stop_values(self, kind, it, id_, base):
        """The stack at a stop above ``base``, as the rewind to point id_ needs it."""
        types = self.stop_types(kind, it)
        op = self.body[it][0]
        top = len(types) - 1
        ib = self.inner_base(self.fp.point(id_))
        for d in range(base, len(types)):
            if kind == "open" and d == top and op == W.IF:
                x = self.nodes[it]
                idx = self.fp.point(id_).index
                self.emit(W.I32_CONST, 0 if x.else_ is not None and idx > x.else_ else 1)
            elif kind == "call" and d == top and op == W.CALL_INDIRECT:
                self.emit(W.LOCAL_GET, self.ci)
            else:
                self.get_value(d, types[d], ib)

    def construct(self, it, parent):
        """Emit child construct ``it`` (it holds safe points); returns the index after it."""
        op, imm, _ = self.body[it]
        x = self.nodes[it]
        if x.spills and x.base > parent.base:
            self.save(parent.base, x.base, self.types[it])
        self.emit(op, imm)
        self._push(True)
        if op == W.LOOP:
            self.body_of(x, it + 1, x.end, 0, pre=lambda: self.loop_check(x, it))
        elif op == W.BLOCK:
            self.body_of(x, it + 1, x.end, 0)
        else:
            self.body_of(x, it + 1, x.else_ if x.else_ is not None else x.end, 0)
            if x.else_ is not None:
                self.emit(W.ELSE)
                self.body_of(x, x.else_ + 1, x.end, 1)
        self.close()
        return x.end + 1

    def save(self, pbase, xbase, types):
        """Copy the values between the parent's base and the construct's into their slots."""
        for d in range(len(types) - 1, xbase - 1, -1):
            self.emit(W.LOCAL_SET, self.ptemp(d - xbase, types[d]))
        for d in range(xbase - 1, pbase - 1, -1):
            self.emit(W.LOCAL_SET, self.slot(d, types[d]))
        for d in range(pbase, xbase):
            self.emit(W.LOCAL_GET, self.slot(d, types[d]))
        for d in range(xbase, len(types)):
            self.emit(W.LOCAL_GET, self.ptemp(d - xbase, types[d]))

    # ---- the unwind checks ----

    def countdown(self):
        """Decrement the global $ctr; push (the new value < 1)."""
        self.emit(W.GLOBAL_GET, self.ctr)
        self.emit(W.I32_CONST, 1)
        self.emit(W.I32_SUB)
        self.emit(W.LOCAL_TEE, self.tmp)
        self.emit(W.GLOBAL_SET, self.ctr)
        self.emit(W.LOCAL_GET, self.tmp)
        self.emit(W.I32_CONST, 1)
        self.emit(W.I32_LT_S)

    def loop_check(self, x, it):
        """At a loop header: the activation's own countdown ``$lc`` (a register, ``loop_tick``
        at entry); when it runs out, a stop for the poll point, which ticks the global
        countdown (no store to a global in the loop: the compiler keeps the memory base and
        other loop-invariant loads out of the loop)."""
        p = self.fp.point(self.point_at[it])
        types = self.types[it]
        sig = types[x.base:]
        bt = self.bt(sig, sig)
        self.emit(W.LOCAL_GET, self.lc)
        self.emit(W.I32_CONST, 1)
        self.emit(W.I32_SUB)
        self.emit(W.LOCAL_TEE, self.lc)
        self.emit(W.I32_CONST, 0)
        self.emit(W.I32_LT_S)
        self.open(W.IF, bt)
        self.emit(W.I32_CONST, self.loop_tick)
        self.emit(W.LOCAL_SET, self.lc)
        self.to_poll(p, types, x.base, len(types), TICK)
        self.close()

    def call_check(self, p, base, types):
        """After a call whose callee can unwind. A call back into its own recursion counts
        down the global $ctr; at zero it stops for the poll point, as point K (``$state``
        says the callee unwound: the frame waits in the call, the dummy results dropped) or
        K + 1 (the call returned: its results are part of the stack). While unwinding $ctr
        stays at 1, so this check sees it. Other calls test $state only (unwinding)."""
        results = p.ftype.results
        h = len(p.stack)
        sig = tuple(types[base:h]) + tuple(results)
        bt = self.bt(sig, sig)

        def in_call():
            for _ in results:
                self.emit(W.DROP)
            self.to_poll(p, types, base, h)

        if not p.polls:
            self.emit(W.GLOBAL_GET, self.state)
            self.open(W.IF, bt)
            in_call()
            self.close()
            return
        ret = self.fp.point(p.id + 1)
        self.countdown()
        self.open(W.IF, bt)
        self.emit(W.GLOBAL_GET, self.state)
        self.open(W.IF, bt)
        in_call()
        self.close()
        self.to_poll(ret, ret.stack, base, len(ret.stack))
        self.close()

    def import_unwind(self, it, base):
        """Before a call of an import that unwinds (the normal path; a rewind to the call or
        after it skips this): unwind at point K + 2, the arguments on the stack."""
        p = self.fp.point(self.point_at[it] + 2)
        self.emit(W.I32_CONST, 1)                  # STATE_UNWIND
        self.emit(W.GLOBAL_SET, self.state)
        self.emit(W.I32_CONST, 1)                  # the callers' countdowns see it at once
        self.emit(W.GLOBAL_SET, self.ctr)
        types = self.types[it]
        self.to_poll(p, types, base, len(types))

    def to_poll(self, p, types, base, h, flags=0):
        """Stop at point p: the values types[base:h] (the top of the stack) into their slots,
        $sp = p (| TICK: a loop's tick), on to the poll point (the values below base are in
        slots already)."""
        for d in range(h - 1, base - 1, -1):
            self.set_value(d, types[d], base)
        self.emit(W.I32_CONST, (p.id | flags) & 0xFFFFFFFF)
        self.emit(W.LOCAL_SET, self.sp)
        self.emit(W.BR, self.depth(self.saves[0]))


def _spills(p):
    """Can point p be where a frame spills (or stops for a poll)?"""
    return p.unwinds and (p.kind != "return" or p.polls)
