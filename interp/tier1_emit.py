"""Tier 1's emitter: one validated function -> the source of a Python generator function.

The module docstring of tier1.py describes the generated code. Here: ``_Plan`` (block structure,
branch targets, which blocks need a Python loop), ``_Ctl`` (an open construct while emitting),
and ``_Gen``, which walks the body with a stack of pending expressions, opens and closes the
Python blocks, places safe points and, for OSR variants, guards the path to the entered loop.
What each instruction emits is tier1_ops.py's ``_OpEmitter``.
"""
from . import opcodes as W
from .tier1_expr import (MAX_BODY, MAX_INDENT, MAX_LOOP_NESTING, TIER0_ONLY, Unsupported,
                         _E, _ZERO_SRC, _slot)
from .tier1_ops import _OpEmitter

# ------------------------------------------------------------------------ control analysis

class _Plan:
    """Before emitting: block structure (matching end/else of each block start), which loops
    are branched to, and which blocks need a Python loop so their branches can ``break``."""

    def __init__(self, body, heights):
        self.body = body
        n = len(body)
        self.end = {}
        self.branches = []     # (chain of enclosing starts innermost first, depth)
        open_ = [-1]           # -1: the function
        dead = [False]         # per open construct: opened in unreachable code (and inside)
        for i, (op, imm, off) in enumerate(body):
            h = heights[i]
            if op in (W.BLOCK, W.LOOP, W.IF, W.TRY_TABLE):
                if op == W.TRY_TABLE and not (h < 0 or dead[-1]):
                    # a catch clause branches from the handler, inside the try_table
                    for _, _, d in imm[1]:
                        self.branches.append(([i] + open_[::-1], d + 1))
                open_.append(i)
                dead.append(h < 0 or dead[-1])
            elif op == W.END:
                self.end[open_.pop()] = i
                dead.pop()
            elif h < 0 or dead[-1]:
                continue
            elif op in (W.BR, W.BR_IF):
                self.branches.append((open_[::-1], imm))
            elif op == W.BR_TABLE:
                for d in set(imm[0]) | {imm[1]}:
                    self.branches.append((open_[::-1], d))
        self.end.setdefault(-1, n - 1)
        self.loops = set()
        for chain, d in self.branches:
            x = chain[d]
            if x >= 0 and body[x][0] == W.LOOP:
                self.loops.add(x)
        wrapped = set(self.loops)
        changed = True
        while changed:
            changed = False
            for chain, d in self.branches:
                x = chain[d]
                if x < 0 or x in wrapped:
                    continue
                p = next((c for c in chain[:d] if c in wrapped), None)
                if p is None or not self.exit_equiv(p, x):
                    wrapped.add(x)
                    changed = True
        self.wrapped = wrapped

    def exit_equiv(self, p, x):
        """Leaving construct p (a Python loop) reaches the end of x with nothing run between."""
        body = self.body
        return all(body[j][0] in (W.END, W.NOP) for j in range(self.end[p] + 1, self.end[x]))


class _Ctl:
    __slots__ = ("kind", "start", "height", "arity", "nres", "wrapped", "id", "crossed",
                 "entry_sym", "dead", "resume", "catches")

    def __init__(self, kind, start, height, arity, nres, wrapped, id_):
        self.kind = kind
        self.start = start
        self.height = height
        self.arity = arity      # values a branch carries
        self.nres = nres        # values at the end
        self.wrapped = wrapped  # a Python `while True:` loop
        self.id = id_
        self.crossed = set()    # ids of targets of multi-level branches that leave this loop
        self.entry_sym = None
        self.dead = False
        self.resume = None      # loops: the Wasm offset tier 0 resumes at
        self.catches = None     # a try_table with clauses: they become a Python try/except


class _Gen(_OpEmitter):
    def __init__(self, module, k, code, osr=None):
        self.module = module
        self.k = k
        self.code = code
        f = module.funcs[k]
        if len(f.body) > MAX_BODY:
            raise Unsupported("function too big")
        for op, _, _ in f.body:
            if op in TIER0_ONLY:
                raise Unsupported(TIER0_ONLY[op])
        self.body = f.body
        self.heights = module.codemap.heights[k]
        self.ftype = module.types[f.type_idx]
        self.local_types = list(self.ftype.params) + list(f.locals)
        self.nlocals = len(self.local_types)
        self.nimported = len(module.imported("func"))
        self.func_types = module.func_types()
        self.plan = _Plan(self.body, self.heights)
        self.lines = []
        self.indent = 2
        self.sites = {}
        self.bindings = {}
        self.sym = []
        self.ctl = []
        self.nloops = 0
        self.next_id = 1
        self.body_marks = []   # line count at each open Python block (to add `pass`)
        self.in_try = 0        # open try bodies: a call site there may get an exception back
        self.catching = set()  # body line numbers of those call sites
        self.osr = None        # OSR variant: the body index of the loop it is entered at
        if osr is not None:
            self.plan_osr(osr)

    # ---- OSR variants: entered at a loop header (see the module docstring) ----

    def plan_osr(self, wpc):
        """Find the loop entered at (Wasm offset `wpc` of its header) and its path: for each
        construct enclosing it (-1: the function), the child on the way to it."""
        code = self.code
        body = self.body
        loops = [i for i in self.plan.loops
                 if code.offsets[code.pc_at[body[i][2]]] == wpc]
        if not loops:
            raise Unsupported("no loop header at offset %d" % wpc)
        self.osr = target = max(loops)  # nested loops with one header: the innermost
        self.osr_else = set()  # ifs whose else-branch holds the target
        open_ = [-1]
        for i in range(target):
            op = body[i][0]
            if op in (W.BLOCK, W.LOOP, W.IF, W.TRY_TABLE):
                open_.append(i)
            elif op == W.END:
                self.osr_else.discard(open_.pop())
            elif op == W.ELSE:
                self.osr_else.add(open_[-1])
        open_.append(target)
        self.osr_child = dict(zip(open_, open_[1:]))
        self.osr_height = self.heights[target]  # operand values live at the header
        self.guard = None      # the path child at which the open `if not _osr:` closes

    def osr_guard(self, start):
        """Inside construct `start` of the path: skip what precedes the path child on entry."""
        self.open("if not _osr:")
        self.guard = self.osr_child[start]

    def osr_arrive(self, i):
        """At construct i (its stack flushed): close the guard when i is the path child, and
        leave OSR mode when i is the target."""
        if self.guard == i:
            if self.body_marks[-1] == len(self.lines):  # nothing to skip: no guard
                self.lines.pop()
                self.body_marks.pop()
                self.indent -= 1
            else:
                self.close()
            self.guard = None
        if i == self.osr:
            self.emit("_osr = False")

    # ---- output ----

    def emit(self, text):
        self.lines.append("    " * self.indent + text)
        return len(self.lines)  # its line number inside the body (fixed up in run)

    def open(self, text):
        self.emit(text)
        self.indent += 1
        if self.indent > MAX_INDENT:
            raise Unsupported("too deeply nested")
        self.body_marks.append(len(self.lines))

    def close(self):
        if self.body_marks.pop() == len(self.lines):
            self.emit("pass")
        self.indent -= 1

    def bind(self, name, what):
        self.bindings[name] = what
        return name

    def const(self, v):
        name = "_k%d" % len(self.bindings)
        return self.bind(name, ("const", v))

    # ---- the symbolic stack ----

    def exact(self, e):
        return e.e if e.exact else "(%s & %s)" % (e.e, e.mask)

    def cond_of(self, e):
        return e.cond if e.cond is not None else self.exact(e)

    def materialize(self, i):
        """Evaluate sym[i] into its slot s<i> (keeping the order of evaluation observable)."""
        e = self.sym[i]
        name = "s%d" % i
        if e.e == name:
            return
        if not e.pure:
            for j in range(i):
                if not self.sym[j].pure:
                    self.materialize(j)
        self.before_write(name, skip=i)
        self.emit("%s = %s" % (name, self.exact(e)))
        self.sym[i] = _slot(i)

    def before_write(self, name, skip=-1):
        """Entries that read variable `name` are evaluated before it is written."""
        for j, e in enumerate(self.sym):
            if j != skip and name in e.reads:
                self.materialize(j)

    def flush(self):
        for i in range(len(self.sym)):
            self.materialize(i)

    def flush_impure(self):
        for i in range(len(self.sym)):
            if not self.sym[i].pure:
                self.materialize(i)

    def pop(self):
        return self.sym.pop()

    def push(self, e):
        self.sym.append(e)

    def atomize(self, entries):
        """Make popped entries (bottom first, starting at the current height) atoms."""
        h = len(self.sym)
        out = []
        for j, e in enumerate(entries):
            if not e.atom:
                if not e.pure:
                    self.flush_impure()
                name = "s%d" % (h + j)
                self.before_write(name)
                # the later popped entries may read the slot we write: they are evaluated later
                for e2 in entries[j + 1:]:
                    if name in e2.reads:
                        raise Unsupported("slot aliasing")  # cannot happen: see materialize
                self.emit("%s = %s" % (name, self.exact(e)))
                e = _slot(h + j)
            out.append(e)
        return out

    # ---- control ----

    def new_ctl(self, kind, start, height, arity, nres):
        wrapped = start in self.plan.wrapped
        c = _Ctl(kind, start, height, arity, nres, wrapped, self.next_id)
        self.next_id += 1
        return c

    def innermost_loop(self):
        for c in reversed(self.ctl):
            if c.wrapped:
                return c
        return None

    def tick_check(self, resume, nstack):
        self.emit("t -= 1")
        self.open("if not t:")
        line = self.emit("t = yield 0")
        self.sites[line] = (resume, nstack)
        self.close()

    def branch(self, depth):
        """Emit a br to label `depth` (its values are the top entries of sym)."""
        x = self.ctl[-1 - depth]
        if x.kind == "func":
            self.emit_return()
            return
        n = x.arity
        vals = self.sym[len(self.sym) - n:] if n else []
        targets = ["s%d" % (x.height + j) for j in range(n)]
        pairs = [(t, self.exact(v)) for t, v in zip(targets, vals) if v.e != t]
        if pairs:
            self.emit("%s = %s" % (", ".join(p[0] for p in pairs), ", ".join(p[1] for p in pairs)))
        if x.kind == "loop":
            self.tick_check(x.resume, x.height + n)
        p = self.innermost_loop()
        if p is x:
            self.emit("continue" if x.kind == "loop" else "break")
        elif x.kind != "loop" and self.plan.exit_equiv(p.start, x.start):
            self.emit("break")
        else:
            self.emit("_br = %d" % x.id)
            self.emit("break")
            for c in reversed(self.ctl):
                if c is x:
                    break
                if c.wrapped:
                    c.crossed.add(x.id)

    def emit_return(self):
        n = self.code.nresults
        vals = [self.exact(v) for v in self.sym[len(self.sym) - n:]] if n else []
        if n == 0:
            self.emit("return")
        elif n == 1:
            self.emit("return " + vals[0])
        else:
            self.emit("return (%s)" % ", ".join(vals))

    def end_python_loop(self, c):
        """Close the `while True:` of construct c and route multi-level branches onward."""
        self.emit("break")
        self.close()
        if not c.crossed:
            return
        q = self.innermost_loop()  # c is already popped
        self.open("if _br:")
        if q is not None and q.id in c.crossed:
            self.open("if _br == %d:" % q.id)
            self.emit("_br = 0")
            self.emit("continue" if q.kind == "loop" else "break")
            self.close()
        if c.crossed - {q.id if q is not None else None}:
            self.emit("break")
        self.close()

    # ---- the walk ----

    def run(self):
        code = self.code
        ft = self.ftype
        params = ", ".join("l%d" % i for i in range(len(ft.params)))
        self.ctl.append(self.new_ctl("func", -1, 0, code.nresults, code.nresults))
        if self.osr is None:
            for i in range(len(ft.params), self.nlocals):
                self.emit("l%d = %s" % (i, _ZERO_SRC[self.local_types[i]]))
        else:  # all locals and the live operand values are parameters
            params = ", ".join(["l%d" % i for i in range(self.nlocals)]
                               + ["s%d" % i for i in range(self.osr_height)])
        self.bind("CE", ("CE", 0))
        self.emit("t = CE")
        self.emit("_br = 0")
        self.emit("if 0:")
        self.emit("    yield")
        if self.osr is not None:
            self.emit("_osr = True")
            self.osr_guard(-1)
        body = self.body
        heights = self.heights
        for i, (op, imm, off) in enumerate(body):
            h = heights[i]
            if op == W.END:
                self.do_end(i, h)
                if not self.ctl:
                    break
                continue
            if op == W.ELSE:
                self.do_else(i, h)
                continue
            if h < 0 or self.ctl[-1].dead:  # unreachable (validation may still type it)
                if op in (W.BLOCK, W.LOOP, W.IF, W.TRY_TABLE):
                    c = _Ctl("dead", i, 0, 0, 0, False, 0)
                    c.dead = True
                    self.ctl.append(c)
                continue
            if len(self.sym) != h:
                raise AssertionError("stack height %d != %d at %d" % (len(self.sym), h, i))
            self.instr(i, op, imm, off, h)
        if self.osr is not None and self.guard is not None:
            raise Unsupported("OSR target not reached")  # (cannot happen: it is live)
        names = sorted(self.bindings)
        fname = "f%d" % code.func_index if self.osr is None else \
            "f%d_osr%d" % (code.func_index, self.osr)
        head = ["def _factory(%s):" % ", ".join(names),
                "    def %s(%s):" % (fname, params)]
        # sites were recorded as body line numbers; the body starts after the header
        self.sites = {line + len(head): v for line, v in self.sites.items()}
        self.catching = {line + len(head) for line in self.catching}
        return "\n".join(head + self.lines + ["    return " + fname, ""])

    def do_end(self, i, h):
        c = self.ctl.pop()
        if c.dead:
            return
        if h >= 0:
            self.flush()
        if c.kind == "func":
            if h >= 0:
                self.emit_return()
            return
        if c.kind == "if":
            self.close()
        if c.catches:
            self.close()           # the try body
            self.in_try -= 1
            self.nloops -= 1
            self.handlers(c)
        if c.wrapped:
            self.end_python_loop(c)
            if c.kind == "loop":
                self.nloops -= 1
            else:
                self.nloops -= 1
        self.sym = [_slot(j) for j in range(c.height + c.nres)]

    def do_else(self, i, h):
        c = self.ctl[-1]
        if c.dead:
            return
        if h >= 0:
            self.flush()
        self.close()
        self.open("else:")
        self.sym = list(c.entry_sym)
        if self.osr is not None and c.start in self.osr_else:
            self.osr_guard(c.start)

    def open_try(self, c):
        """A try_table with catch clauses: a Python ``try:`` (see handlers)."""
        self.open("try:")
        self.in_try += 1
        self.nloops += 1       # a try is a static block, as a loop is
        if self.nloops > MAX_LOOP_NESTING:
            raise Unsupported("too many nested blocks")

    def handlers(self, c):
        """The ``except`` of try_table c: its clauses in order, each a branch (as the try_table's
        own context sees it, hence depth + 1) with the payload and/or the exnref as the
        values; no match re-raises. The driver delivers an exception that came out of a call
        as the call's result (see call): the call site raises it inside the try."""
        self.ctl.append(c)
        self.bind("_Thrown", ("helper", "_Thrown"))
        self.open("except _Thrown as _x:")
        self.emit("_ex = _x.exn")
        first = True
        for kind, tag, depth in c.catches:
            if tag is not None:
                t = self.bind("TG%d" % tag, ("tag", tag))
                self.open("%s _ex.tag is %s:" % ("if" if first else "elif", t))
            elif not first:
                self.open("else:")
            self.sym = [_slot(j) for j in range(c.height)]
            if kind < 2:
                n = len(self.module.types[self.module.tag_types()[tag]].params)
                self.sym += [_E("_ex.values[%d]" % j, size=1) for j in range(n)]
            if kind & 1:
                self.sym.append(_E("_ex", size=0, atom=True))
            self.branch(depth + 1)
            if tag is not None or not first:
                self.close()
            first = False
            if tag is None:        # a catch_all: the clauses after it never match
                break
        else:
            self.open("else:")
            self.emit("raise")
            self.close()
        self.close()
        self.ctl.pop()

    def open_loop(self, c):
        self.open("while True:")
        self.nloops += 1
        if self.nloops > MAX_LOOP_NESTING:
            raise Unsupported("too many nested loops")

    def block_arity(self, imm):
        if imm == W.BLOCK_EMPTY:
            return 0, 0
        if imm < 0:
            return 0, 1
        t = self.module.types[imm]
        return len(t.params), len(t.results)

    def call(self, ftype, callee_src, off, indirect=None):
        np_, nr = len(ftype.params), len(ftype.results)
        if indirect is not None:
            idx = self.pop()
        args = self.sym[len(self.sym) - np_:] if np_ else []
        del self.sym[len(self.sym) - np_:]
        # everything below the arguments lives in slots across the call (a safe point)
        self.flush()
        if indirect is not None:
            args = self.atomize(args)
            argt = "(%s%s)" % (", ".join(self.exact(a) for a in args), "," if np_ == 1 else "")
            req = "_indirect(%s, %s, %s, %s)" % (indirect[0], self.exact(idx), indirect[1], argt)
        else:
            req = "%s(%s)" % (callee_src, ", ".join(self.exact(a) for a in args))
        self.call_site(req, nr, off)

    def call_site(self, req, nr, off):
        """``yield`` the call request `req`; its `nr` results go to the slots at the current
        height. Inside a try body the driver may send back the exception that came out of the
        call instead (unwind.catch): it is raised here, where the try catches it."""
        h = len(self.sym)
        outs = ", ".join("s%d" % (h + j) for j in range(nr))
        if self.in_try:
            line = self.emit("_r = yield " + req)
            self.emit("if type(_r) is _Thrown:")
            self.emit("    raise _r")
            if nr:
                self.emit("%s%s = _r" % (outs, "," if nr > 1 else ""))
            self.catching.add(line)
        elif nr == 0:
            line = self.emit("yield " + req)
        else:
            line = self.emit("%s%s = yield %s" % (outs, "," if nr > 1 else "", req))
        code = self.code
        self.sites[line] = (code.offsets[code.pc_at[off] + 1], h)
        for j in range(nr):
            self.push(_slot(h + j))
