"""Tier 2's instrumenter: a decoded module -> the module the native side runs, in which the chosen
functions can be stopped at safe points (unwind: every frame on the native stack spills itself
through imported helpers and returns) and re-entered at a safe point (rewind: every frame reads
itself back and continues there). The frames are ordinary interpreter frames (interp/tier2.py
converts), so a snapshot never says which tier made a frame.

Safe points, numbered 1.. per function in body order (so every construct's points form a
contiguous range):

* "loop": the header of every reachable ``loop`` (the innermost frame: its pc is the offset
  tier 0 gives a frame at that loop header, its stack the values at the header);
* per reachable ``call`` / ``call_indirect``, K and K + 1: "call" (the frame waits in the call:
  pc = the instruction after the call, stack = the values below the arguments, as tier 0 and
  tier 1 capture a caller) and "return" (the innermost frame right after the call returned, its
  results on the stack); a call of an import named in ``import_unwind`` has K + 2, "import"
  (the innermost frame at the call instruction, its arguments on the stack: the interpreter,
  or the host, makes the call).
pcs come from the lowered code (lower.py owns the pc <-> offset maps).

The checks (no call in them: a call inside a loop, even on a path never taken, makes the
register allocator keep loop values in memory, floats above all):

* loop header: a countdown in a local (``$lc``, 0 at entry, so the first header of an
  activation ticks); every ``loop_tick`` headers one tick of the global countdown ``$ctr``;
* after a call back into the caller's own recursion (a call-graph cycle): one tick of ``$ctr``;
* after any other call whose callee can unwind: a test of ``$state``.
When ``$ctr`` runs out, or ``$state`` says the callee unwound, the frame stops: its stack
values go to *transfer slots* (globals, one per stack height and type), ``$sp`` = the point, and
a branch leaves for the function's *poll point*, outside every loop. There ``$sp_slow`` calls
the imported ``poll()`` for the next countdown (``<= 0``: unwind now; the host answers from its
own clock or flags, so no thread touches the store while native code runs: Node,
wasmtime-py), or answers at once when unwinding already. To go on, the function rewinds into
itself (``$rw`` = ``$sp``, back to its start: the dispatch below). To unwind, it spills
``spill_begin(func, point)``, then ``spill_i32`` / ``spill_i64`` per value (f32/f64 as their bits
through reinterpret, NaN payloads exact), and returns zeros; with ``$state`` = 1 and ``$ctr``
held at 1 every caller stops after its call. Nothing in the app's memory or globals changes.

Values below a construct cannot be reached from inside it, so a construct holding spill points
entered with values of its parent's below its parameters copies those into *save slots*
(locals) at entry. LLVM's output never has values below a block: this costs it nothing.

Rewind: the host sets ``$state`` = 2 and calls the bottom function. A function entered with
``$state`` != 0 calls ``rewind_begin(func)`` -> point K (into the global ``$rw``), reads all its
locals and K's stack (``rewind_i32`` / ``rewind_i64``) and jumps there: each construct body that
holds safe points starts inside one ``block`` per *stop* (before a child construct holding safe
points; before a call and after it), each block ending at its stop, typed from validation ([the
body's params] -> [the stack there]); a dispatch on ``$rw`` (run only when ``$rw`` != 0: one
test per body entry on the normal path) branches to the stop for K, carrying the stack there
(an ``if`` gets the constant that selects the branch holding K). Entering the child construct
repeats this. At K: a loop header or a "return" point is entered with ``$rw`` = 0 (``$state``
was cleared at rewind_begin: the innermost frame); at a "call" point the call is made again:
the callee rewinds itself (``$state`` still 2), or, when the record says so, it is the innermost
frame at its entry and gets its arguments from the record (``$state`` cleared). Helper calls go
through small defined wrappers (a direct call needs no import pointer, which the compiler would
load at every entry).

Record layout (``spill_*`` writes, ``rewind_*`` reads, in this order):
  spill:  stack (len(point.stack) values), [a call_indirect's "call" point: its table slot],
          locals (len(func.local_types) values)
  rewind: locals, stack, then for a "call" point: [call_indirect: the table slot],
          flag (1: the callee is entered fresh, its arguments follow; 0: it rewinds itself),
          [arguments].
tier2.py owns the conversion of these records to and from interpreter frames.

The new imports (module ``selfhost_tier2``) come right after the module's own function imports,
so defined functions move up by len(HELPERS): ``Instrumented.new_index`` maps. Optionally every
function, table, memory and global is exported under interp.offload's EXPORT_PREFIX with its *original*
index (the native side's convention), the start function dropped, ``$state`` and ``$ctr``
exported as STATE_EXPORT / CTR_EXPORT (the host sets them between calls).

Functions instrumented: the given set, less those that cannot be (reference-typed locals or
reference values at a safe point) and those that can reach a defined function outside the
result (a non-instrumented callee could not pass an unwind on). Functions with neither loops nor
calls are left as they are (they hold no safe point). An unwind may be asked for only while
the native entry is an instrumented function.
"""
from . import opcodes as W
from .codemap import CodeMap
from .encode import encode_module, name_section
from .instrument_body import LOOP_TICK, BodyRewriter
from .instrument_plan import FuncPlan, call_graph, cycles, unbounded
from .instrument_plan import FuncPoints, SafePoint  # noqa: F401 (the map's types, for users)
from .module import Export, Func, FuncType, Global, GlobalType, Import, Module
from .offload import EXPORT_PREFIX as PREFIX
from .validate import validate_module

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
    if module.codemap is None:
        module.codemap = CodeMap(validate_module(module))
    nimp = len(module.imported("func"))
    ftypes = module.func_types()
    callees, loops = call_graph(module)
    import_unwind = frozenset(import_unwind)
    if any(not 0 <= j < nimp for j in import_unwind):
        raise ValueError("import_unwind names a function that is not an import")
    skipped = {}
    members = set()
    for i in sorted(set(funcs)):
        if not nimp <= i < len(ftypes):
            raise ValueError("function %d is not a defined function" % i)
        f = module.funcs[i - nimp]
        if any(t in _REFS for t in module.types[f.type_idx].params + tuple(f.locals)):
            skipped[i] = "reference-typed local"
        else:
            members.add(i)
    while True:
        _close(members, callees, nimp, skipped)
        stops = loops | {i for i in members if callees[i] & import_unwind}
        unwinding = unbounded(callees, stops, members)
        unwinding_types = {ftypes[j] for j in unwinding}

        def unwinds_call(callee, indirect):
            if callee is not None:
                return callee in unwinding
            return module.types[indirect[0]] in unwinding_types

        plans = {}
        bad = {}
        for i in sorted(members):
            plan = FuncPlan(module, i - nimp, i, ftypes, import_unwind)
            plan.type_at(module)
            plans[i] = plan
            why = plan.refs_reason(module)
            if why is not None:
                bad[i] = why
        if not bad:
            break
        skipped.update(bad)           # (rare) then the closure and the plans again
        members -= set(bad)

    comp = cycles(callees, members)

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


def _close(members, callees, nimp, skipped):
    """Drop the members that reach a defined function outside the members (to a fixpoint):
    a callee that is not instrumented could not pass an unwind on."""
    changed = True
    while changed:
        changed = False
        for i in sorted(members):
            out = [j for j in callees[i] if j >= nimp and j not in members]
            if out:
                members.discard(i)
                skipped[i] = "reaches function %d, which is not instrumented" % out[0]
                changed = True


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

    def lslot(j, t):
        return gslot(("local", j), t)

    slow_index = nimp + H + len(module.funcs)
    # the bodies call the helpers through small defined wrappers: a direct call needs no
    # import pointer, which the compiler would load at function entry on the hot path
    wrapped = [name for name, _p, _r in HELPERS if name != "poll"]
    wrappers = {name: slow_index + 1 + j for j, name in enumerate(wrapped)}
    env = {"helpers": wrappers, "state": state_g, "ctr": ctr_g, "rw": rw_g, "gslot": gslot,
           "lslot": lslot,
           "slow": slow_index, "intern": intern, "fmap": fmap, "loop_tick": loop_tick}
    funcs = []
    for k, f in enumerate(module.funcs):
        i = nimp + k
        if i in points:
            rw = BodyRewriter(plans[i], points[i], env, module)
            body, extra = rw.run()
            funcs.append(Func(f.type_idx, list(f.locals) + extra, body, None))
        else:
            funcs.append(Func(f.type_idx, list(f.locals), _renumber(f.instrs(), fmap), None))
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
