"""Tier 2's instrumenter: a decoded module -> the module the native side runs, in which the chosen
functions can be stopped at safe points (unwind: every frame on the native stack spills itself
through imported helpers and returns) and re-entered at a safe point (rewind: every frame reads
itself back and continues there). The frames are ordinary interpreter frames (interp/tier2.py
converts), so a snapshot never says which tier made a frame.

Safe points (numbered 1.. per function, in body order, so every construct's points form a
contiguous range; 0 means "not rewinding"):

* the header of every reachable ``loop`` (the frame is the innermost one there: its pc is the
  offset tier 0 gives a frame at that loop header, the stack the values at the header);
* every reachable ``call`` / ``call_indirect`` (the frame waits in the call: its pc is the offset
  of the instruction after the call, its stack the values below the arguments, as tier 0 and
  tier 1 capture a caller).

The unwind check runs at every loop header and after every call whose callee can unwind (it
reaches a loop or a recursion, see ``unwinding``): a countdown global ``$ctr`` is decremented
and, at zero, the slow path ``$sp_slow`` asks the imported ``poll()`` for the next countdown
(``<= 0``: unwind now). The host answers from its own clock or flags, so no thread ever touches
the store while native code runs (Node, wasmtime-py). Once unwinding (``$state`` = 1), the slow
path answers 1 at once, so every caller sees it after its call. A frame spills itself with
``spill_begin(func, point)`` then ``spill_i32`` / ``spill_i64`` per value (f32/f64 as their bits
through reinterpret, NaN payloads exact): the stack values bottom first, then every local;
nothing in the app's memory or globals changes. It then returns zeros.

Values below a construct cannot be reached from inside it, so a construct holding spill points
that is entered with values of its parent's below its parameters copies those into *slot*
locals at entry (``$s<height,type>``: one local per stack height and type); a spill pops the
values of its innermost construct into slots too and spills all slots. (LLVM's output never has
values below a block: this costs it nothing.)

Rewind: the host sets ``$state`` = 2 and calls the bottom function. An instrumented function
entered with ``$state`` != 0 calls ``rewind_begin(func)`` -> point K, reads all its locals and K's
stack into slots (``rewind_i32`` / ``rewind_i64``), sets the local ``$rw`` = K and jumps there:
each construct body that holds safe points starts inside one ``block`` per item (a call site or
a child construct holding safe points), each block ending just before its item, typed from
validation ([the body's params] -> [the stack at the item]); a ``br_table`` on ``$rw`` (run only
when ``$rw`` != 0: one test per body entry on the normal path) branches to the block that ends
before the item holding K, carrying the item's stack from the slots (an ``if`` item gets the
constant that selects the branch holding K). Entering a child construct repeats this inside it.
At K itself: a loop header is entered with ``$rw`` = 0 (``$state`` was cleared at rewind_begin:
this is the innermost frame); a call site is called again with its stack re-established: the
callee rewinds itself (``$state`` still 2), or, when the record says so, it is the innermost
frame at its entry and gets its arguments from the record (``$state`` cleared).

Record layout (``spill_*`` writes, ``rewind_*`` reads, in this order):
  spill:  stack (len(point.stack) values), [a call_indirect's "call" point: its table slot],
          locals (len(func.local_types) values)
  rewind: locals, stack, then for a "call" point: [call_indirect: the table slot],
          flag (1: the callee is entered fresh, its arguments follow; 0: it rewinds itself),
          [arguments].
tier2.py owns the conversion of these records to and from interpreter frames.

The new imports (module ``selfhost_tier2``) come right after the module's own function imports,
so defined functions move up by len(HELPERS): ``Instrumented.new_index`` maps. Optionally every
function, table, memory and global is exported under interp.offload's PREFIX with its *original*
index (the native side's convention), the start function is dropped, the two globals are
exported as STATE_EXPORT / CTR_EXPORT.

Functions instrumented: the given set, less those that cannot be (reference-typed locals or
reference values at a safe point) and those that can reach a defined function outside the
result (a non-instrumented callee could not pass an unwind on). Functions with neither loops nor
calls are left as they are (they hold no safe point).
"""
from . import opcodes as W
from .encode import encode_module, name_section
from .instrument_body import LOOP_TICK, BodyRewriter
from .lower import lower_function
from .module import Export, Func, FuncType, Global, GlobalType, Import, Module
from .offload import PREFIX
from .validate import stack_types_at_many, validate_module

IMPORT_MODULE = "selfhost_tier2"
# name -> (params, results)
HELPERS = (
    ("poll", (), (W.I32,)),
    ("spill_begin", (W.I32, W.I32), ()),
    ("spill_i32", (W.I32,), ()),
    ("spill_i64", (W.I64,), ()),
    ("rewind_begin", (W.I32,), (W.I32,)),
    ("rewind_i32", (), (W.I32,)),
    ("rewind_i64", (), (W.I64,)),
)
STATE_NORMAL, STATE_UNWIND, STATE_REWIND = 0, 1, 2
STATE_EXPORT = "__selfhost_t2_state"
CTR_EXPORT = "__selfhost_t2_ctr"
_REFS = (W.FUNCREF, W.EXTERNREF)
_ZERO_CONST = {W.I32: (W.I32_CONST, 0, None), W.I64: (W.I64_CONST, 0, None),
               W.F32: (W.F32_CONST, 0.0, None), W.F64: (W.F64_CONST, 0.0, None)}


class SafePoint:
    """One safe point of a function. ``kind``: "loop" (the innermost frame at a loop header),
    "call" (the frame waits in a call) or "return" (the innermost frame right after a call
    returned, its results on the stack: where a poll after the call started an unwind); a call
    site has both, as ids K and K + 1. ``pc``: the Wasm offset an interpreter frame there
    carries; ``stack``: its operand-stack types (for "call": below the arguments); ``callee``:
    the function index of a direct call; ``indirect``: (type index, table index) of a
    call_indirect; ``ftype``: the callee's FuncType; ``unwinds``: an unwind can pass here (loops:
    always; calls: the callee can unwind); ``polls``: the countdown runs after this call (a
    call back into its own recursion); ``call_pc``: the offset of the call instruction. A call
    of an import that unwinds has a third point, K + 2, "import": the innermost frame at the
    call instruction (pc), its arguments on the stack; the interpreter makes the call.)"""
    __slots__ = ("id", "kind", "pc", "stack", "callee", "indirect", "ftype", "unwinds", "index",
                 "call_pc", "polls")

    def __init__(self, id_, kind, pc, stack, index, callee=None, indirect=None, ftype=None,
                 unwinds=True, call_pc=None, polls=False):
        self.id = id_
        self.kind = kind
        self.pc = pc
        self.stack = tuple(stack)
        self.index = index          # the loop's or call's index in the original body
        self.callee = callee
        self.indirect = indirect
        self.ftype = ftype
        self.unwinds = unwinds
        self.call_pc = call_pc
        self.polls = polls

    def __repr__(self):
        return "SafePoint(%d, %s, pc=%d, stack=%r)" % (self.id, self.kind, self.pc, self.stack)


class FuncPoints:
    """The safe points of one instrumented function (original function index ``func``).
    ``local_types``: params then declared locals; ``entry_pc``: the pc of a frame at entry;
    ``loop_at`` / ``call_at`` / ``return_at``: pc -> point id (a loop header shared by nested
    loops names the innermost); ``call_instr_at``: call instruction offset -> its "call" id."""
    __slots__ = ("func", "local_types", "nparams", "points", "entry_pc", "loop_at", "call_at",
                 "return_at", "call_instr_at")

    def __init__(self, func, local_types, nparams, points, entry_pc):
        self.func = func
        self.local_types = tuple(local_types)
        self.nparams = nparams
        self.points = points        # points[id - 1]
        self.entry_pc = entry_pc
        self.loop_at = {}
        self.call_at = {}
        self.return_at = {}
        self.call_instr_at = {}
        for p in points:
            if p.kind == "loop":
                self.loop_at[p.pc] = p.id       # later (inner) loops win
            elif p.kind == "call":
                self.call_at[p.pc] = p.id
                self.call_instr_at[p.call_pc] = p.id
            elif p.kind == "return":
                self.return_at[p.pc] = p.id

    def point(self, id_):
        return self.points[id_ - 1]


class Instrumented:
    """The result: ``module`` (the instrumented Module) and its bytes ``data``; ``funcs``:
    original function index -> FuncPoints for every function with safe points; ``unwinding``:
    the instrumented functions that can unwind; ``skipped``: function index -> why it is not
    instrumented; ``new_index(i)``: an original function index in the instrumented module;
    ``state_global`` / ``ctr_global``: the indices of the two globals."""

    def __init__(self, module, funcs, unwinding, skipped, nimported, state_global, ctr_global):
        self.module = module
        self.data = encode_module(module)
        self.funcs = funcs
        self.unwinding = unwinding
        self.skipped = skipped
        self._nimported = nimported
        self.state_global = state_global
        self.ctr_global = ctr_global

    def new_index(self, i):
        return i if i < self._nimported else i + len(HELPERS)


# ----------------------------------------------------------------------------- analysis

class _Node:
    """A construct of a body (the function itself: start -1). ``items[part]``: the body
    positions (call instructions, child openers) holding safe points, per part (1: else)."""
    __slots__ = ("kind", "start", "else_", "end", "dead", "base", "lo", "hi", "spills",
                 "items", "parent")

    def __init__(self, kind, start, dead, base, parent):
        self.kind = kind
        self.start = start
        self.else_ = None
        self.end = None
        self.dead = dead
        self.base = base            # stack height below the construct's params
        self.lo = self.hi = None    # its safe-point id range (a loop's header included)
        self.spills = False         # holds a point where a spill can happen
        self.items = ([], [])
        self.parent = parent


class FuncPlan:
    """Structure, safe points and types of one function, before rewriting."""

    def __init__(self, module, k, func_index, ftypes, import_unwind=frozenset()):
        f = module.funcs[k]
        self.k = k
        self.func_index = func_index
        self.body = body = f.body
        self.ftype = module.types[f.type_idx]
        self.local_types = list(self.ftype.params) + list(f.locals)
        heights = module.heights[k]
        root = _Node("func", -1, False, 0, None)
        self.root = root
        self.nodes = {}             # opener index -> _Node
        self.calls = []             # (index, callee or None, indirect or None)
        self.point_at = {}          # instruction index -> id (loops: the opener)
        self.owner = {}             # instruction index -> the construct whose body holds it
        self.import_sites = set()   # calls of imports that unwind (point K + 2: before it)
        stack = [root]
        part = [0]
        types = module.types
        nid = 0
        for i, (op, imm, _off) in enumerate(body):
            top = stack[-1]
            h = heights[i]
            if op == W.BLOCK or op == W.LOOP or op == W.IF:
                dead = top.dead or h < 0
                base = 0
                if not dead:
                    np = len(types[imm].params) if imm >= 0 else 0
                    base = h - np - (1 if op == W.IF else 0)
                node = _Node(("block", "loop", "if")[op - W.BLOCK], i, dead, base, top)
                self.nodes[i] = node
                stack.append(node)
                part.append(0)
                if op == W.LOOP and not dead:
                    nid += 1
                    self.point_at[i] = nid
                    self.owner[i] = node
                    for n in stack:
                        if n.lo is None:
                            n.lo = nid
                        n.hi = nid
            elif op == W.ELSE:
                top.else_ = i
                part[-1] = 1
            elif op == W.END:
                if top is root:
                    break
                top.end = i
                stack.pop()
                part.pop()
                if top.lo is not None:
                    stack[-1].items[part[-1]].append(top.start)
            elif (op == W.CALL or op == W.CALL_INDIRECT) and not top.dead and h >= 0:
                # K: in the call; K + 1: the call returned; K + 2: before an import call
                first = nid + 1
                nid += 2
                if op == W.CALL and imm in import_unwind:
                    nid += 1
                    self.import_sites.add(i)
                self.point_at[i] = first
                self.owner[i] = top
                for n in stack:
                    if n.lo is None:
                        n.lo = first
                    n.hi = nid
                top.items[part[-1]].append(i)
                if op == W.CALL:
                    self.calls.append((i, imm, None))
                else:
                    self.calls.append((i, None, imm))
        self.npoints = nid
        self.types = {}
        self.points = []
        self.ftypes = ftypes

    def type_at(self, module):
        """Operand-stack types before every item (one validation pass)."""
        want = set(self.point_at)
        for n in self.nodes.values():
            if n.lo is not None:
                want.add(n.start)
        self.types = stack_types_at_many(module, self.k, want) if want else {}

    def make_points(self, module, unwinds_call, polls_call):
        """The SafePoints (pcs from the lowered code: lower.py owns the pc <-> offset maps)."""
        code = lower_function(module, self.k)
        body = self.body
        pts = []
        for i in sorted(self.point_at):
            id_ = self.point_at[i]
            op, imm, off = body[i]
            t = self.types[i]
            if op == W.LOOP:
                pts.append(SafePoint(id_, "loop", code.offsets[code.pc_at[off]], t, i))
            else:
                if op == W.CALL:
                    ft = self.ftypes[imm]
                    below = t[:len(t) - len(ft.params)]
                    callee, indirect = imm, None
                else:
                    ft = module.types[imm[0]]
                    below = t[:len(t) - len(ft.params) - 1]
                    callee, indirect = None, imm
                pc = code.offsets[code.pc_at[off] + 1]
                unwinds = unwinds_call(callee, indirect)
                polls = unwinds and polls_call(self.func_index, callee, indirect)
                pts.append(SafePoint(id_, "call", pc, below, i, callee, indirect, ft,
                                     unwinds, off, polls))
                pts.append(SafePoint(id_ + 1, "return", pc, below + ft.results, i, callee,
                                     indirect, ft, unwinds, off, polls))
                if i in self.import_sites:   # the interpreter runs the call: pc at the call
                    pts.append(SafePoint(id_ + 2, "import", code.offsets[code.pc_at[off]],
                                         t, i, callee, None, ft, True, off))
        self.points = pts
        for n in self.nodes.values():
            n.spills = False
        self.root.spills = False
        for p in pts:
            if p.unwinds:
                n = self.owner[p.index]
                while n is not None:
                    n.spills = True
                    n = n.parent
        return FuncPoints(self.func_index, self.local_types, len(self.ftype.params), pts,
                          code.offsets[0])

    def refs_reason(self, module):
        """Why this function cannot be instrumented (reference values to spill), or None."""
        if any(t in _REFS for t in self.local_types):
            return "reference-typed local"
        for i, t in self.types.items():
            if i in self.point_at and any(x in _REFS for x in t):
                return "reference value at a safe point"
        for i, callee, indirect in self.calls:
            ft = self.ftypes[callee] if callee is not None else module.types[indirect[0]]
            if any(x in _REFS for x in ft.params + ft.results):
                return "reference-typed call argument or result"
        return None


def _call_graph(module):
    """callees[i] for every defined function i (call_indirect: every function of the type
    that an element segment or a ref.func names)."""
    nimp = len(module.imported("func"))
    ftypes = module.func_types()
    in_table = set()
    for seg in module.elems:
        for expr in seg.init:
            for op, imm, _ in expr:
                if op == W.REF_FUNC:
                    in_table.add(imm)
    for f in module.funcs:
        for op, imm, _ in f.body:
            if op == W.REF_FUNC:
                in_table.add(imm)
    callees = {}
    loops = set()
    for k, f in enumerate(module.funcs):
        out = set()
        for op, imm, _ in f.body:
            if op == W.CALL:
                out.add(imm)
            elif op == W.CALL_INDIRECT:
                want = module.types[imm[0]]
                out.update(j for j in in_table if ftypes[j] == want)
            elif op == W.LOOP:
                loops.add(nimp + k)
        callees[nimp + k] = out
    return callees, loops


def _unbounded(callees, loops, members):
    """The members that can reach (within members) a loop or a call-graph cycle."""
    bounded = set()
    changed = True
    while changed:
        changed = False
        for i in members:
            if i in bounded or i in loops:
                continue
            if all(j in bounded or j not in members for j in callees[i]):
                bounded.add(i)
                changed = True
    return set(members) - bounded


def _cycles(callees, members):
    """{function: its strongly connected component} for the members on a call-graph cycle
    (recursion), by Tarjan's algorithm (iterative)."""
    index = {}
    low = {}
    on = set()
    stack = []
    comp = {}
    counter = 0
    for root in sorted(members):
        if root in index:
            continue
        work = [(root, iter(sorted(j for j in callees[root] if j in members)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(j for j in callees[w] if j in members))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    scc = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        scc.append(w)
                        if w == v:
                            break
                    if len(scc) > 1 or v in callees[v]:
                        for w in scc:
                            comp[w] = v
    return comp


# ------------------------------------------------------------------------------- driver

def instrument(module, funcs, export_all=True, drop_start=True, loop_tick=LOOP_TICK,
               import_unwind=()):
    """Instrument the defined functions ``funcs`` (original function indices) of ``module``
    (decoded; validated here if it is not yet). ``export_all``: export everything under
    PREFIX names; ``drop_start``: no start function (the native side's instance must not run
    it again); ``loop_tick``: loop headers of one activation per tick of the countdown (1: each
    header ticks, as tests want); ``import_unwind``: imported functions (indices) whose direct
    calls unwind, so that the interpreter makes them (the frame stops at the call with its
    arguments on the stack). Returns an Instrumented."""
    if module.heights is None:
        module.heights = validate_module(module)
    nimp = len(module.imported("func"))
    ftypes = module.func_types()
    callees, loops = _call_graph(module)
    import_unwind = frozenset(import_unwind)
    if any(not 0 <= j < nimp for j in import_unwind):
        raise ValueError("import_unwind names a function that is not an import")
    skipped = {}
    plans = {}
    for i in sorted(set(funcs)):
        if not nimp <= i < len(ftypes):
            raise ValueError("function %d is not a defined function" % i)
        plan = FuncPlan(module, i - nimp, i, ftypes, import_unwind)
        plan.type_at(module)
        why = plan.refs_reason(module)
        if why is None:
            plans[i] = plan
        else:
            skipped[i] = why
    # the instrumented set: members that reach only members (and imports), to a fixpoint
    members = set(plans)
    changed = True
    while changed:
        changed = False
        for i in sorted(members):
            out = [j for j in callees[i] if j >= nimp and j not in members]
            if out:
                members.discard(i)
                skipped[i] = "reaches function %d, which is not instrumented" % out[0]
                changed = True
    stops = loops | {i for i in members if callees[i] & import_unwind}
    unwinding = _unbounded(callees, stops, members)
    by_type = {}
    for j in unwinding:
        by_type[ftypes[j]] = True

    def unwinds_call(callee, indirect):
        if callee is not None:
            return callee in unwinding
        return module.types[indirect[0]] in by_type

    comp = _cycles(callees, members)

    def polls_call(caller, callee, indirect):
        c = comp.get(caller)
        if c is None:
            return False
        if callee is not None:
            return comp.get(callee) == c
        want = module.types[indirect[0]]
        return any(comp.get(j) == c for j in members if ftypes[j] == want)

    points = {}
    for i in sorted(members):
        fp = plans[i].make_points(module, unwinds_call, polls_call)
        if fp.points:
            points[i] = fp
    return _assemble(module, plans, points, unwinding, skipped, export_all, drop_start,
                     loop_tick)


def _assemble(module, plans, points, unwinding, skipped, export_all, drop_start, loop_tick):
    nimp = len(module.imported("func"))
    H = len(HELPERS)
    out = Module()
    out.types = list(module.types)
    type_index = {}
    for n, t in enumerate(out.types):
        type_index.setdefault(t, n)

    def intern(ft):
        n = type_index.get(ft)
        if n is None:
            n = type_index[ft] = len(out.types)
            out.types.append(ft)
        return n

    def fmap(i):
        return i if i < nimp else i + H

    # imports: the module's own, the helpers right after its function imports
    helpers = {}
    imports = []
    seen_funcs = 0
    for imp in module.imports:
        imports.append(imp)
        if imp.kind == "func":
            seen_funcs += 1
            if seen_funcs == nimp:
                imports.extend(_helper_imports(intern, helpers, nimp))
    if nimp == 0:
        imports = _helper_imports(intern, helpers, 0) + imports
    out.imports = imports
    nglobals = len(module.global_types())
    state_g, ctr_g, rw_g = nglobals, nglobals + 1, nglobals + 2
    gslots = {}

    def gslot(d, t):
        n = gslots.get((d, t))
        if n is None:
            n = gslots[(d, t)] = nglobals + 3 + len(gslots)
        return n

    slow_index = nimp + H + len(module.funcs)
    # the bodies call the helpers through small defined wrappers: a direct call needs no
    # import pointer, which the compiler would load at function entry on the hot path
    wrapped = [name for name, _p, _r in HELPERS if name != "poll"]
    wrappers = {name: slow_index + 1 + j for j, name in enumerate(wrapped)}
    env = {"helpers": wrappers, "state": state_g, "ctr": ctr_g, "rw": rw_g, "gslot": gslot,
           "slow": slow_index, "intern": intern, "fmap": fmap, "loop_tick": loop_tick}
    funcs = []
    for k, f in enumerate(module.funcs):
        i = nimp + k
        if i in points:
            rw = BodyRewriter(plans[i], points[i], env, module)
            body, extra = rw.run()
            funcs.append(Func(f.type_idx, list(f.locals) + extra, body, None))
        else:
            funcs.append(Func(f.type_idx, list(f.locals), _renumber(f.body, fmap), None))
    funcs.append(_slow_path(intern(FuncType((), (W.I32,))), helpers, state_g, ctr_g))
    for name in wrapped:
        params, results = next((p, r) for n, p, r in HELPERS if n == name)
        body = [(W.LOCAL_GET, j, None) for j in range(len(params))]
        body += [(W.CALL, helpers[name], None), (W.END, None, None)]
        funcs.append(Func(intern(FuncType(params, results)), [], body, None))
    out.funcs = funcs
    out.tables = list(module.tables)
    out.mems = list(module.mems)
    out.globals = [Global(g.type, _renumber(g.init, fmap)) for g in module.globals]
    out.globals.append(Global(GlobalType(W.I32, True), [(W.I32_CONST, 0, None),
                                                      (W.END, None, None)]))
    out.globals.append(Global(GlobalType(W.I32, True), [(W.I32_CONST, 1, None),
                                                      (W.END, None, None)]))
    out.globals.append(Global(GlobalType(W.I32, True), [(W.I32_CONST, 0, None),
                                                      (W.END, None, None)]))
    for (_d, t), _n in sorted(gslots.items(), key=lambda kv: kv[1]):
        out.globals.append(Global(GlobalType(t, True), [_ZERO_CONST[t], (W.END, None, None)]))
    exports = [Export(e.name, e.kind, fmap(e.index) if e.kind == "func" else e.index)
               for e in module.exports]
    if export_all:
        counts = (("f", "func", len(module.func_types())), ("t", "table",
                  len(module.table_types())), ("m", "memory", len(module.mem_types())),
                  ("g", "global", nglobals))
        for letter, kind, n in counts:
            for j in range(n):
                exports.append(Export("%s%s%d" % (PREFIX, letter, j), kind,
                                      fmap(j) if kind == "func" else j))
    out.start = None if module.start is None or drop_start else fmap(module.start)
    exports.append(Export(STATE_EXPORT, "global", state_g))
    exports.append(Export(CTR_EXPORT, "global", ctr_g))
    out.exports = exports
    out.elems = [_renumber_elem(e, fmap) for e in module.elems]
    out.datas = list(module.datas)
    out.datacount = module.datacount
    names = {fmap(i): n for i, n in module.func_names.items()}
    for j, (name, _p, _r) in enumerate(HELPERS):
        names[nimp + j] = "%s.%s" % (IMPORT_MODULE, name)
    names[slow_index] = "selfhost_tier2_sp_slow"
    for name, j in wrappers.items():
        names[j] = "selfhost_tier2_" + name
    out.customs = [("name", name_section(names))]
    out.func_names = names
    return Instrumented(out, points, unwinding & set(points), skipped, nimp, state_g, ctr_g)


def _helper_imports(intern, helpers, first):
    out = []
    for j, (name, params, results) in enumerate(HELPERS):
        helpers[name] = first + j
        out.append(Import(IMPORT_MODULE, name, "func", intern(FuncType(params, results))))
    return out


def _slow_path(type_idx, helpers, state_g, ctr_g):
    """() -> i32: 1 when unwinding already (the callee unwound), 2 when poll() asks for an
    unwind now, else 0 with the countdown set to poll()'s answer. While unwinding the
    countdown stays at 1, so the next check (the caller's, after its call) comes here."""
    c = lambda v: (W.I32_CONST, v, None)                             # noqa: E731
    body = [
        (W.GLOBAL_GET, state_g, None), c(STATE_UNWIND), (W.I32_EQ, None, None),
        (W.IF, W.BLOCK_EMPTY, None),
        c(1), (W.GLOBAL_SET, ctr_g, None), c(1), (W.RETURN, None, None),
        (W.END, None, None),
        (W.CALL, helpers["poll"], None), (W.LOCAL_TEE, 0, None), c(1), (W.I32_LT_S, None, None),
        (W.IF, W.BLOCK_EMPTY, None),
        c(STATE_UNWIND), (W.GLOBAL_SET, state_g, None), c(1), (W.GLOBAL_SET, ctr_g, None),
        c(2), (W.RETURN, None, None),
        (W.END, None, None),
        (W.LOCAL_GET, 0, None), (W.GLOBAL_SET, ctr_g, None), c(0),
        (W.END, None, None)]
    return Func(type_idx, [W.I32], body, None)


def _renumber(expr, fmap):
    out = []
    for ins in expr:
        op = ins[0]
        if op == W.CALL or op == W.REF_FUNC:
            out.append((op, fmap(ins[1]), ins[2]))
        else:
            out.append(ins)
    return out


def _renumber_elem(e, fmap):
    from .module import Elem
    return Elem(e.reftype, [_renumber(x, fmap) for x in e.init], e.mode, e.table,
                None if e.offset is None else _renumber(e.offset, fmap))
