"""Tier 1: Python source generated per Wasm function, compile()d, run by the machine's driver.

Why: tier 0 pays a dispatch and a list push/pop for every Wasm instruction, most of which only
move data. Here a whole function becomes one Python function in which

* Wasm locals are Python locals ``l0, l1, ...`` and operand-stack slots are Python locals
  ``s0, s1, ...`` named by their (static, validate's ``heights``) stack height; a branch that
  cuts the stack costs nothing: the slots above are just dead;
* simple expressions are folded: ``local.get; i32.const; i32.add; local.set`` becomes
  ``l1 = (l0 + 5) & 0xFFFFFFFF``. Folding is held back where it would change what is observable
  (see ``_Gen.materialize``): a pending expression that may trap or read memory/globals
  ("impure") is evaluated before any later side effect, pending expressions are evaluated in
  stack order, and one that reads a variable is evaluated before that variable is written;
* i32/i64 masking is deferred through add/sub/and/or/xor/shl chains (mod 2**n arithmetic does
  not care) and applied where an exact value is needed (locals, slots, compares, addresses...);
  comparisons stay Python booleans when a branch consumes them;
* blocks and loops are ``while True:`` loops with ``break``/``continue``, only where a branch
  needs one; a branch that must leave several Python loops sets ``_br`` to the target's id and
  breaks, each loop it leaves checks ``_br`` after it (``_Plan`` decides, before emitting, which
  blocks need a loop and which branches are plain breaks);
* memory goes through precompiled ``struct.Struct`` bound methods on the bytearray (their
  IndexError/struct.error become the spec's trap in the machine);
* numeric ops come from ``numerics.INLINE`` templates, or call the ``numerics`` function.

Calls never recurse in Python: every generated function is a generator; a call is
``s2 = yield T[k](s0, s1)`` where ``T[k]`` is the callee's generator function (tier 1) or a stub
returning ``(function, args)`` (tier 0, host or another instance). The machine's driver
(``Machine._t1``) runs the callee and sends its results back. A generator ``return``s its
results: None, the value, or a tuple for several.

Safe points: function entry (the driver), after a call (the generator is suspended at its
``yield``), and loop back-edges (a local countdown ``t``; at zero the generator yields an int to
the driver, which may stop the machine). A suspended generator is turned into tier 0's frame dict
by ``frame_state``: the line it is suspended on names the safe point (``Compiled.sites``), its
``gi_frame.f_locals`` hold the locals and live slots.

On-stack replacement (OSR): a tier-0 frame (a long first call, a restored frame) moves into tier
1 at a loop header through an *OSR variant* (``osr_entry``): the same walk, generated lazily per
(function, loop header), whose generator takes all locals and the live slots ``s0..`` (the
operand values at the header) as parameters and starts with ``_osr = True``. Along the path of
enclosing constructs to the target loop, what precedes the path's child at each level is
wrapped in ``if not _osr:`` (skipped on entry, run on later iterations of outer loops), an
``if`` on the path takes the branch holding the target (``_osr or cond`` / ``not _osr and
cond``), and ``_osr = False`` is set just before the target's ``while True:``. Its safe points
map exactly like the normal variant's; the normal variant has no trace of OSR (no extra cost).

Debugging: ``SELFHOST_TIER1_DUMP=dir`` (or ``codegen.DUMP_DIR``) writes each generated source to
``dir/<module-hash>-f<index>.py``; ``Compiled.source`` keeps it in memory.
Functions the generator does not handle (too deeply nested for Python's block limit, huge,
huge br_tables) are left in tier 0: ``compile_function`` returns None.
"""
import os
import re
import struct
import time

from . import numerics
from . import opcodes as W
from .errors import Trap
from .lower import _WITH_IMM, lower_function

DUMP_DIR = None   # else $SELFHOST_TIER1_DUMP, read when used: not at import (selfhost.wasm
                  # imports this module at build time, selfhost_preinit.py)
MAX_BODY = 30000          # Wasm instructions: bigger functions stay in tier 0
MAX_LOOP_NESTING = 18     # CPython allows 20 statically nested loops
MAX_INDENT = 90           # and 100 indentation levels
MAX_EXPR = 24             # operators in one folded expression
MAX_TABLE_TARGETS = 64    # distinct targets of one br_table

COMPILE_STATS = {"functions": 0, "seconds": 0.0, "skipped": 0, "osr": 0, "osr_skipped": 0}
CODE_OF = {}              # generator code object -> lower.Code (the driver's map)

_M = {32: "0xFFFFFFFF", 64: "0xFFFFFFFFFFFFFFFF"}
_SIGN = {32: "0x80000000", 64: "0x8000000000000000"}
_ZERO_SRC = {W.I32: "0", W.I64: "0", W.F32: "0.0", W.F64: "0.0", W.FUNCREF: "None",
             W.EXTERNREF: "None"}


class Unsupported(Exception):
    """This function stays in tier 0."""


# ------------------------------------------------------------------------- run-time helpers

def _indirect(table, i, ftype, args):
    """call_indirect's checks; the driver's call request."""
    elems = table.elements
    if i >= len(elems):
        raise Trap("undefined element %d" % i)
    f = elems[i]
    if f is None:
        raise Trap("uninitialized element %d" % i)
    if f.type is not ftype and f.type != ftype:
        raise Trap("indirect call type mismatch")
    return (f, args)


def _cold_op(op, a, inst, mem, *args):
    """A rare instruction through tier 0's implementation; its result or None."""
    from .machine import _cold
    st = list(args)
    _cold(op, a, None, inst, st, mem)
    return st[-1] if st else None


def _grow(memory, n):
    return memory.grow(n) & 0xFFFFFFFF


def _s(fmt):
    return struct.Struct("<" + fmt)


_HELPERS = {"_Trap": Trap, "_indirect": _indirect, "_cold_op": _cold_op, "_grow": _grow}
for _c in "bBhHiIqQfd":
    _HELPERS["_ld" + _c] = _s(_c).unpack_from
    _HELPERS["_st" + _c] = _s(_c).pack_into
_HELPERS.update(numerics.INLINE_GLOBALS)

# memory ops: Wasm op -> (struct char, mask after a sign-extending load / store mask)
_LOADS = {W.I32_LOAD: ("I", None), W.I64_LOAD: ("Q", None), W.F64_LOAD: ("d", None),
          W.F32_LOAD: ("f32", None), W.I32_LOAD8_U: ("u8", None), W.I64_LOAD8_U: ("u8", None),
          W.I32_LOAD16_U: ("H", None), W.I64_LOAD16_U: ("H", None),
          W.I64_LOAD32_U: ("I", None),
          W.I32_LOAD8_S: ("b", 32), W.I32_LOAD16_S: ("h", 32), W.I64_LOAD8_S: ("b", 64),
          W.I64_LOAD16_S: ("h", 64), W.I64_LOAD32_S: ("i", 64)}
_STORES = {W.I32_STORE: ("I", None), W.I64_STORE: ("Q", None), W.F64_STORE: ("d", None),
           W.F32_STORE: ("f32", None), W.I32_STORE8: ("u8", None), W.I64_STORE8: ("u8", None),
           W.I32_STORE16: ("H", "0xFFFF"), W.I64_STORE16: ("H", "0xFFFF"),
           W.I64_STORE32: ("I", "0xFFFFFFFF")}
# ops run through machine._cold: Wasm op -> produces a value
_COLD = {W.MEMORY_FILL: False, W.MEMORY_COPY: False, W.MEMORY_INIT: False,
         W.DATA_DROP: False, W.TABLE_GET: True, W.TABLE_SET: False, W.TABLE_SIZE: True,
         W.TABLE_GROW: True, W.TABLE_FILL: False, W.TABLE_COPY: False, W.TABLE_INIT: False,
         W.ELEM_DROP: False}
_COLD_INTERNAL = {W.MEMORY_FILL: 105, W.MEMORY_COPY: 106}

_DEFER = {"add", "sub", "mul", "and", "or", "xor", "shl"}
_CMP_PY = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}
_TRAPPING = re.compile(r"^i(32|64)\.(div|rem|trunc_f)")
_A = re.compile(r"\ba\b")
_B = re.compile(r"\bb\b")
_AB = re.compile(r"\b[ab]\b")


# ----------------------------------------------------------------------------- the result

class Compiled:
    """Tier 1 of one defined function (per module; ``bind`` makes it per instance). ``osr``:
    its OSR variants by loop-header offset (each a Compiled, or False: not generated)."""
    __slots__ = ("factory", "source", "name", "sites", "nlocals", "local_masks", "entry",
                 "bindings", "seconds", "gcode", "osr")

    def frame_state(self, gen, code, started=True):
        """(pc, locals, stack) of a generator suspended at a safe point, in tier 0's form."""
        if gen.gi_code is not self.gcode:  # a frame running one of the OSR variants
            for v in self.osr.values():
                if v and v.gcode is gen.gi_code:
                    return v.frame_state(gen, code, started)
            raise AssertionError("generator of another function")
        fr = gen.gi_frame
        fl = fr.f_locals
        n = self.nlocals
        if not started:  # at entry: parameters are set, declared locals are zeros
            return (self.entry, [fl["l%d" % i] for i in range(code.nparams)] + list(code.zeros),
                    [])
        pc, nstack = self.sites[fr.f_lineno]
        return pc, [fl["l%d" % i] for i in range(n)], [fl["s%d" % i] for i in range(nstack)]


class _Tables:
    """Per instance: ``gens[k]`` the bound tier-1 generator function of defined function k or
    None; ``T[k]`` what generated direct calls use (the generator function, or a stub
    returning a call request for the driver)."""
    __slots__ = ("gens", "T", "osr")

    def __init__(self, inst):
        first = len(inst.funcs) - len(inst.module.funcs)
        self.gens = [None] * len(inst.module.funcs)
        self.osr = {}  # (defined index, loop-header offset) -> bound OSR variant or None
        self.T = [_stub(inst.funcs[first + k]) for k in range(len(inst.module.funcs))]


def _stub(func):
    def call(*args):
        return (func, args)
    return call


def tables(inst):
    """The instance's tier-1 tables (created on first use, kept on the instance)."""
    t = inst.__dict__.get("_tier1")
    if t is None:
        t = inst._tier1 = _Tables(inst)
    return t


def compiled(module, k):
    """The Compiled of defined function k (compiled once per module), or False."""
    code = lower_function(module, k)
    comp = code.t1
    if comp is None:
        try:
            comp = compile_function(module, k)
        except Unsupported:
            comp = False
            COMPILE_STATS["skipped"] += 1
        code.t1 = comp
    return comp


def promote(inst, k, check_every):
    """Compile (once per module) and bind (once per instance) defined function k; returns its
    generator function, or None when it stays in tier 0."""
    comp = compiled(inst.module, k)
    if comp is False:
        return None
    gen = bind(comp, inst, check_every)
    t = tables(inst)
    t.gens[k] = gen
    t.T[k] = gen
    return gen


def osr_entry(inst, k, wpc, check_every):
    """On-stack replacement: the generator function that continues a frame of defined function
    k at its loop header at Wasm offset `wpc` (the OSR variant, generated once per module and
    bound once per instance), called with the frame's locals then its operand values; None
    when there is none (no tier 1 for k, not a loop header, or the variant is unsupported)."""
    t = tables(inst)
    key = (k, wpc)
    gen = t.osr.get(key, False)
    if gen is not False:
        return gen
    comp = compiled(inst.module, k)
    if comp is not False:
        var = comp.osr.get(wpc)
        if var is None:
            try:
                var = compile_function(inst.module, k, osr=wpc)
            except Unsupported:
                var = False
                COMPILE_STATS["osr_skipped"] += 1
            comp.osr[wpc] = var
        gen = bind(var, inst, check_every) if var else None
    else:
        gen = None
    t.osr[key] = gen
    return gen


def bind(comp, inst, check_every):
    """The generator function of `comp` bound to `inst` (memory, globals, tables, functions)."""
    env = {}
    for name, what in comp.bindings:
        kind, x = what
        if kind == "helper":
            v = _HELPERS[x]
        elif kind == "num":
            v = x
        elif kind == "const":
            v = x
        elif kind == "mem":
            v = inst.mems[0].data
        elif kind == "memory":
            v = inst.mems[0]
        elif kind == "global":
            v = inst.globals[x]
        elif kind == "table":
            v = inst.tables[x]
        elif kind == "T":
            v = tables(inst).T
        elif kind == "F":
            v = inst.funcs
        elif kind == "inst":
            v = inst
        elif kind == "CE":
            v = check_every
        else:
            raise AssertionError(kind)
        env[name] = v
    return comp.factory(**env)


def compile_function(module, k, osr=None):
    """Generate, compile and return the Compiled of defined function k (raises Unsupported);
    with `osr` (a loop-header offset), its OSR variant entered there."""
    t0 = time.perf_counter()
    code = lower_function(module, k)
    gen = _Gen(module, k, code, osr)
    source = gen.run()
    name = "<tier1 f%d>" % code.func_index if osr is None else \
        "<tier1 f%d osr@%d>" % (code.func_index, osr)
    ns = {}
    exec(compile(source, name, "exec"), ns)
    comp = Compiled()
    comp.factory = ns["_factory"]
    comp.source = source
    comp.name = name
    comp.sites = gen.sites
    comp.nlocals = gen.nlocals
    comp.entry = code.offsets[0]
    comp.bindings = sorted(gen.bindings.items())
    # the generator's code object: the only constant code object of the factory
    inner = [c for c in comp.factory.__code__.co_consts if hasattr(c, "co_code")][0]
    CODE_OF[inner] = code
    comp.gcode = inner
    comp.osr = {}
    comp.seconds = time.perf_counter() - t0
    COMPILE_STATS["functions" if osr is None else "osr"] += 1
    COMPILE_STATS["seconds"] += comp.seconds
    dump_dir = DUMP_DIR or os.environ.get("SELFHOST_TIER1_DUMP")
    if dump_dir:
        import hashlib
        os.makedirs(dump_dir, exist_ok=True)
        tag = hashlib.sha256(module.raw).hexdigest()[:12]
        fname = "%s-f%d%s.py" % (tag, code.func_index, "" if osr is None else "-osr%d" % osr)
        with open(os.path.join(dump_dir, fname), "w") as fh:
            fh.write(source)
    return comp


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
            if op in (W.BLOCK, W.LOOP, W.IF):
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
                 "entry_sym", "dead", "resume")

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


class _E:
    """A symbolic operand-stack entry: a Python expression."""
    __slots__ = ("e", "exact", "mask", "pure", "reads", "size", "atom", "cond")

    def __init__(self, e, exact=True, mask=None, pure=True, reads=frozenset(), size=1,
                 atom=False, cond=None):
        self.e = e          # the expression (parenthesized unless atomic)
        self.exact = exact  # False: congruent to the value modulo 2**w; `mask` makes it exact
        self.mask = mask
        self.pure = pure    # cannot trap, reads only locals/slots
        self.reads = reads  # names of locals/slots read
        self.size = size
        self.atom = atom    # a name or a literal
        self.cond = cond    # a Python bool expression equal to value != 0 (compares)


def _par(x):
    """x, parenthesized unless it is a name or already parenthesized."""
    return x if x.isidentifier() or (x[0] == "(" and x[-1] == ")") else "(%s)" % x


def _slot(i):
    n = "s%d" % i
    return _E(n, reads=frozenset((n,)), size=0, atom=True)


class _Gen:
    def __init__(self, module, k, code, osr=None):
        self.module = module
        self.k = k
        self.code = code
        f = module.funcs[k]
        if len(f.body) > MAX_BODY:
            raise Unsupported("function too big")
        self.body = f.body
        self.heights = module.heights[k]
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
            if op in (W.BLOCK, W.LOOP, W.IF):
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
                if op in (W.BLOCK, W.LOOP, W.IF):
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
        h = len(self.sym)
        if nr == 0:
            line = self.emit("yield " + req)
        else:
            outs = ", ".join("s%d" % (h + j) for j in range(nr))
            line = self.emit("%s%s = yield %s" % (outs, "," if nr > 1 else "", req))
        code = self.code
        self.sites[line] = (code.offsets[code.pc_at[off] + 1], h)
        for j in range(nr):
            self.push(_slot(h + j))

    def instr(self, i, op, imm, off, h):
        push, pop = self.push, self.pop
        if op == W.LOCAL_GET:
            n = "l%d" % imm
            push(_E(n, reads=frozenset((n,)), size=0, atom=True))
        elif op == W.LOCAL_SET or op == W.LOCAL_TEE:
            v = pop()
            n = "l%d" % imm
            if not v.pure:
                self.flush_impure()
            self.before_write(n)
            if v.e != n:
                self.emit("%s = %s" % (n, self.exact(v)))
            if op == W.LOCAL_TEE:
                push(_E(n, reads=frozenset((n,)), size=0, atom=True))
        elif op in (W.I32_CONST, W.I64_CONST):
            push(_E(str(imm), size=0, atom=True))
        elif op in (W.F32_CONST, W.F64_CONST):
            if imm != imm or imm in (float("inf"), float("-inf")):
                push(_E(self.const(imm), size=0, atom=True))
            else:
                r = repr(imm)
                push(_E(r if r[0] != "-" else "(%s)" % r, size=0, atom=r[0] != "-"))
        elif op == W.BLOCK or op == W.LOOP:
            np_, nr = self.block_arity(imm)
            self.flush()
            if op == W.BLOCK:
                c = self.new_ctl("block", i, h - np_, nr, nr)
            else:
                c = self.new_ctl("loop", i, h - np_, np_, nr)
                c.resume = self.code.offsets[self.code.pc_at[off]]
            self.ctl.append(c)
            if self.osr is not None:
                self.osr_arrive(i)
            if c.wrapped:
                self.open_loop(c)
            if self.osr is not None and i in self.osr_child:
                self.osr_guard(i)
        elif op == W.IF:
            np_, nr = self.block_arity(imm)
            cond = pop()
            self.flush()
            c = self.new_ctl("if", i, h - 1 - np_, nr, nr)
            self.ctl.append(c)
            test = self.cond_of(cond)
            if self.osr is not None:
                self.osr_arrive(i)
                if i in self.osr_else:  # on entry: to the else-branch
                    test = "not _osr and (%s)" % test
                elif i in self.osr_child:
                    test = "_osr or (%s)" % test
            if c.wrapped:
                self.open_loop(c)
            self.open("if %s:" % test)
            c.entry_sym = list(self.sym)
            if self.osr is not None and i in self.osr_child and i not in self.osr_else:
                self.osr_guard(i)
        elif op == W.BR:
            self.flush_impure()
            self.branch(imm)
        elif op == W.BR_IF:
            cond = pop()
            self.flush_impure()
            self.open("if %s:" % self.cond_of(cond))
            self.branch(imm)
            self.close()
        elif op == W.BR_TABLE:
            self.br_table(imm)
        elif op == W.RETURN:
            self.flush_impure()
            self.emit_return()
        elif op == W.UNREACHABLE:
            self.flush_impure()
            self.bind("_Trap", ("helper", "_Trap"))
            self.emit('raise _Trap("unreachable")')
        elif op == W.NOP:
            pass
        elif op == W.DROP:
            v = pop()
            if not v.pure:
                self.flush_impure()
                self.emit(v.e)
        elif op == W.SELECT or op == W.SELECT_T:
            c, b = pop(), pop()
            a = pop()
            if not (a.pure and b.pure):
                a, b = self.atomize([a, b])
            if not c.pure:
                self.flush_impure()
            push(_E("(%s if %s else %s)" % (self.exact(a), self.cond_of(c), self.exact(b)),
                    pure=c.pure, reads=a.reads | b.reads | c.reads,
                    size=a.size + b.size + c.size + 1))
        elif op == W.GLOBAL_GET:
            n = self.bind("G%d" % imm, ("global", imm))
            push(_E(n + ".v", pure=False, size=1))
        elif op == W.GLOBAL_SET:
            v = pop()
            self.flush_impure()
            n = self.bind("G%d" % imm, ("global", imm))
            self.emit("%s.v = %s" % (n, self.exact(v)))
        elif op in _LOADS:
            self.load(op, imm[1])
        elif op in _STORES:
            self.store(op, imm[1])
        elif op == W.MEMORY_SIZE:
            m = self.bind("M", ("mem", 0))
            push(_E("(len(%s) >> 16)" % m, pure=False))
        elif op == W.MEMORY_GROW:
            v = pop()
            self.flush_impure()
            self.bind("MEM", ("memory", 0))
            self.bind("_grow", ("helper", "_grow"))
            self.emit("s%d = _grow(MEM, %s)" % (h - 1, self.exact(v)))
            push(_slot(h - 1))
        elif op == W.CALL:
            self.bind("T", ("T", 0))
            if imm < self.nimported:
                self.bind("F", ("F", 0))
                self.call_import(self.func_types[imm], imm, off)
            else:
                self.call(self.func_types[imm], "T[%d]" % (imm - self.nimported), off)
        elif op == W.CALL_INDIRECT:
            ti, table = imm
            tb = self.bind("TB%d" % table, ("table", table))
            ty = self.const(self.module.types[ti])
            self.bind("_indirect", ("helper", "_indirect"))
            self.call(self.module.types[ti], None, off, indirect=(tb, ty))
        elif op == W.REF_NULL:
            push(_E("None", size=0, atom=True))
        elif op == W.REF_IS_NULL:
            v = pop()
            push(_E("(1 if %s is None else 0)" % v.e, pure=v.pure, reads=v.reads,
                    size=v.size + 1, cond="%s is None" % v.e))
        elif op == W.REF_FUNC:
            self.bind("F", ("F", 0))
            push(_E("F[%d]" % imm, size=1))
        elif op in _COLD:
            self.cold(op, imm, h)
        elif op in numerics.BINARY:
            self.binary(op)
        elif op in numerics.UNARY:
            self.unary(op)
        else:
            raise Unsupported("opcode %s" % W.NAMES.get(op, op))

    def call_import(self, ft, idx, off):
        # a request the driver serves: host function or another instance's function
        np_ = len(ft.params)
        args = self.sym[len(self.sym) - np_:] if np_ else []
        del self.sym[len(self.sym) - np_:]
        self.flush()
        argt = "(%s%s)" % (", ".join(self.exact(a) for a in args), "," if np_ == 1 else "")
        nr = len(ft.results)
        h = len(self.sym)
        req = "(F[%d], %s)" % (idx, argt)
        if nr == 0:
            line = self.emit("yield " + req)
        else:
            outs = ", ".join("s%d" % (h + j) for j in range(nr))
            line = self.emit("%s%s = yield %s" % (outs, "," if nr > 1 else "", req))
        code = self.code
        self.sites[line] = (code.offsets[code.pc_at[off] + 1], h)
        for j in range(nr):
            self.push(_slot(h + j))

    def br_table(self, imm):
        depths, default = imm
        idx = self.pop()
        self.flush_impure()
        groups = {}
        for n, d in enumerate(depths):
            if d != default:
                groups.setdefault(d, []).append(n)
        if len(groups) > MAX_TABLE_TARGETS:
            raise Unsupported("br_table too big")
        if not groups:
            self.branch(default)
            return
        (i_e,) = self.atomize([idx]) if not idx.atom else (idx,)
        x = self.exact(i_e)
        first = True
        for d, ns in groups.items():
            if len(ns) == 1:
                test = "%s == %d" % (x, ns[0])
            elif ns == list(range(ns[0], ns[-1] + 1)):
                test = "%d <= %s <= %d" % (ns[0], x, ns[-1])
            else:
                test = "%s in %s" % (x, self.const(frozenset(ns)))
            self.open(("if " if first else "elif ") + test + ":")
            self.branch(d)
            self.close()
            first = False
        self.open("else:")
        self.branch(default)
        self.close()

    def cold(self, op, imm, h):
        n_in = {W.MEMORY_FILL: 3, W.MEMORY_COPY: 3, W.MEMORY_INIT: 3, W.DATA_DROP: 0,
                W.TABLE_GET: 1, W.TABLE_SET: 2, W.TABLE_SIZE: 0, W.TABLE_GROW: 2,
                W.TABLE_FILL: 3, W.TABLE_COPY: 3, W.TABLE_INIT: 3, W.ELEM_DROP: 0}[op]
        args = self.sym[len(self.sym) - n_in:] if n_in else []
        del self.sym[len(self.sym) - n_in:]
        self.flush_impure()
        self.bind("_cold_op", ("helper", "_cold_op"))
        self.bind("INST", ("inst", 0))
        m = self.bind("M", ("mem", 0)) if self.module.mem_types() else "None"
        internal = _COLD_INTERNAL.get(op, _WITH_IMM.get(op))
        a = imm if op not in _COLD_INTERNAL else None
        call = "_cold_op(%d, %s, INST, %s%s)" % (
            internal, self.const(a) if a is not None else "None", m,
            "".join(", " + self.exact(v) for v in args))
        if _COLD[op]:
            hh = len(self.sym)
            self.emit("s%d = %s" % (hh, call))
            self.push(_slot(hh))
        else:
            self.emit(call)

    def load(self, op, offset):
        a = self.pop()
        kind, ext = _LOADS[op]
        m = self.bind("M", ("mem", 0))
        addr = self.exact(a) if not offset else "%s + %d" % (self.exact(a), offset)
        if kind == "u8":
            e = "%s[%s]" % (m, addr)
        elif kind == "f32":
            self.bind("_ldI", ("helper", "_ldI"))
            self.bind("_f32_from_bits", ("helper", "_f32_from_bits"))
            e = "_f32_from_bits(_ldI(%s, %s)[0])" % (m, addr)
        else:
            f = self.bind("_ld" + kind, ("helper", "_ld" + kind))
            e = "%s(%s, %s)[0]" % (f, m, addr)
            if ext:
                e = "(%s & %s)" % (e, _M[ext])
        self.push(_E(e, pure=False, reads=a.reads, size=a.size + 1))

    def store(self, op, offset):
        v = self.pop()
        a = self.pop()
        self.flush_impure()
        kind, mask = _STORES[op]
        m = self.bind("M", ("mem", 0))
        addr = self.exact(a) if not offset else "%s + %d" % (self.exact(a), offset)
        if kind == "u8":
            self.emit("%s[%s] = %s & 0xFF" % (m, addr, v.e))
        elif kind == "f32":
            self.bind("_stI", ("helper", "_stI"))
            self.bind("_f32_to_bits", ("helper", "_f32_to_bits"))
            self.emit("_stI(%s, %s, _f32_to_bits(%s))" % (m, addr, v.e))
        else:
            f = self.bind("_st" + kind, ("helper", "_st" + kind))
            val = "%s & %s" % (v.e, mask) if mask else self.exact(v)
            self.emit("%s(%s, %s, %s)" % (f, m, addr, val))

    def unary(self, op):
        a = self.pop()
        name = W.NAMES[op]
        kind = name.split(".", 1)[1]
        if kind == "eqz":
            c = "not (%s)" % a.cond if a.cond is not None else "not %s" % self.exact(a)
            self.push(_E("(0 if %s else 1)" % self.cond_of(a), pure=a.pure, reads=a.reads,
                         size=a.size + 1, cond=c))
            return
        if op == W.I32_WRAP_I64:  # the mask is deferred like an add's
            self.push(_E(a.e, exact=False, mask=_M[32], pure=a.pure, reads=a.reads,
                         size=a.size, atom=a.atom))
            return
        if op == W.I64_EXTEND_I32_U:
            self.push(_E(self.exact(a), pure=a.pure, reads=a.reads, size=a.size + 1,
                         atom=a.atom and a.exact))
            return
        tmpl = numerics.INLINE.get(op)
        trapping = bool(_TRAPPING.match(name))
        if tmpl is not None and not trapping:
            self.bind_helpers(tmpl)
            if len(_A.findall(tmpl)) > 1 or a.size > MAX_EXPR:
                (a,) = self.atomize([a])
            x = _par(self.exact(a))
            self.push(_E("(%s)" % _A.sub(lambda m: x, tmpl), pure=a.pure, reads=a.reads,
                         size=a.size + 1))
            return
        fname = "_" + name.replace(".", "_")
        self.bind(fname, ("num", numerics.UNARY[op]))
        if trapping:
            self.flush_impure()
        self.push(_E("%s(%s)" % (fname, self.exact(a)), pure=a.pure and not trapping,
                     reads=a.reads, size=a.size + 1))

    def bind_helpers(self, tmpl):
        for hname in re.findall(r"\b_[a-z0-9_]+\b", tmpl):
            if hname in _HELPERS:
                self.bind(hname, ("helper", hname))

    def binary(self, op):
        b = self.pop()
        a = self.pop()
        name = W.NAMES[op]
        ty, kind = name.split(".", 1)
        pure = a.pure and b.pure
        reads = a.reads | b.reads
        size = a.size + b.size + 1
        if size > MAX_EXPR:
            a, b = self.atomize([a, b])
            size = 1
        if ty in ("i32", "i64"):
            w = 32 if ty == "i32" else 64
            if kind in _DEFER:
                if kind == "add":
                    e, ex = "(%s + %s)" % (a.e, b.e), False
                elif kind == "sub":
                    e, ex = "(%s - %s)" % (a.e, b.e), False
                elif kind == "mul":
                    e, ex = "(%s * %s)" % (self.exact(a), self.exact(b)), False
                elif kind == "and":
                    e, ex = "(%s & %s)" % (a.e, b.e), a.exact or b.exact
                elif kind == "or":
                    e, ex = "(%s | %s)" % (a.e, b.e), a.exact and b.exact
                elif kind == "xor":
                    e, ex = "(%s ^ %s)" % (a.e, b.e), a.exact and b.exact
                else:  # shl
                    sh = str(int(b.e) & (w - 1)) if b.atom and b.e.isdigit() \
                        else "(%s & %d)" % (b.e, w - 1)
                    e, ex = "(%s << %s)" % (a.e, sh), False
                self.push(_E(e, exact=ex, mask=None if ex else _M[w], pure=pure, reads=reads,
                             size=size))
                return
            if kind in ("eq", "ne", "lt_u", "gt_u", "le_u", "ge_u", "lt_s", "gt_s", "le_s",
                        "ge_s"):
                o = _CMP_PY[kind[:2]]
                x, y = self.exact(a), self.exact(b)
                if kind.endswith("_s"):
                    s = _SIGN[w]
                    if b.atom and b.exact and b.e.isdigit():  # a constant: flip it now
                        y = str(int(b.e) ^ int(s, 16))
                    else:
                        y = "(%s ^ %s)" % (y, s)
                    x = "(%s ^ %s)" % (x, s)
                c = "%s %s %s" % (x, o, y)
                self.push(_E("(1 if %s else 0)" % c, pure=pure, reads=reads, size=size, cond=c))
                return
            if kind in ("shr_u", "shr_s"):
                sh = str(int(b.e) & (w - 1)) if b.atom and b.e.isdigit() \
                    else "(%s & %d)" % (b.e, w - 1)
                if kind == "shr_u":
                    e = "(%s >> %s)" % (self.exact(a), sh)
                    self.push(_E(e, pure=pure, reads=reads, size=size))
                else:
                    s = _SIGN[w]
                    e = "(((%s ^ %s) - %s) >> %s)" % (self.exact(a), s, s, sh)
                    self.push(_E(e, exact=False, mask=_M[w], pure=pure, reads=reads,
                                 size=size))
                return
        elif kind in _CMP_PY:
            c = "%s %s %s" % (a.e, _CMP_PY[kind], b.e)
            self.push(_E("(1 if %s else 0)" % c, pure=pure, reads=reads, size=size, cond=c))
            return
        tmpl = numerics.INLINE.get(op)
        trapping = bool(_TRAPPING.match(name))
        if tmpl is not None and not trapping:
            self.bind_helpers(tmpl)
            occ = _AB.findall(tmpl)
            if occ not in (["a", "b"], ["a"], ["b"], []):
                a, b = self.atomize([a, b])
            x, y = _par(self.exact(a)), _par(self.exact(b))
            e = _AB.sub(lambda m: x if m.group(0) == "a" else y, tmpl)
            self.push(_E("(%s)" % e, pure=pure, reads=a.reads | b.reads, size=size))
            return
        fname = "_" + name.replace(".", "_")
        self.bind(fname, ("num", numerics.BINARY[op]))
        if trapping:
            self.flush_impure()
        self.push(_E("%s(%s, %s)" % (fname, self.exact(a), self.exact(b)),
                     pure=pure and not trapping, reads=reads, size=size))
