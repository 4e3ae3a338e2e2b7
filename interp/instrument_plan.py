"""Tier 2's instrumenter, the analysis (interp/instrument.py's docstring has the design): per
function its constructs, safe points and stack types (``FuncPlan``), and over the module the
call graph, its cycles (recursion) and which functions can unwind. ``SafePoint`` and
``FuncPoints`` are the safe-point map the native side's frames are read with.
"""
from . import opcodes as W
from .lower import lower_function
from .module import FuncType
from .validate import stack_types_at_many

_REFS = (W.FUNCREF, W.EXTERNREF)


class SafePoint:
    """One safe point of a function. ``kind``: "loop" (the innermost frame at a loop header),
    "call" (the frame waits in a call) or "return" (the innermost frame right after a call
    returned, its results on the stack: where a poll after the call started an unwind); a call
    site has both, as ids K and K + 1. ``pc``: the Wasm offset an interpreter frame there
    carries, as Machine.capture writes it: for "call", the instruction right after the call even
    when that is an ``end`` or ``block`` (lower.Code.after_call); for "return", the next
    instruction the frame executes; ``stack``: its operand-stack types (for "call": below the arguments); ``callee``:
    the function index of a direct call; ``indirect``: (type index, table index) of a
    call_indirect; ``ftype``: the callee's FuncType; ``unwinds``: an unwind can pass here (loops:
    always; calls: the callee can unwind); ``polls``: the countdown runs after this call (a
    call back into its own recursion); ``call_pc``: the offset of the call instruction. A call
    of an import that unwinds has a third point, K + 2, "import": the innermost frame at the
    call instruction (pc), its arguments on the stack; the interpreter makes the call.)"""
    __slots__ = ("id", "kind", "pc", "stack", "callee", "indirect", "ftype", "unwinds", "index",
                 "call_pc", "polls", "live")

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
        self.live = -1              # bit j: local j is live here (read before written after)

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


_KINDS = ("loop", "call", "return", "import")


def points_to_words(fp):
    """A FuncPoints as unsigned integer words (points_from_words inverts): how a host that
    instrumented the app hands a function's safe points to selfhost.wasm (the doorbell's
    POINTS op), so the guest never instruments the app again to learn them. None -> [0]."""
    if fp is None:
        return [0]
    w = [1, fp.func, fp.nparams, fp.entry_pc, len(fp.local_types), *fp.local_types,
         len(fp.points)]
    for p in fp.points:
        w += [p.id, _KINDS.index(p.kind), p.pc, len(p.stack), *p.stack, p.index,
              0 if p.callee is None else p.callee + 1]
        w += [0] if p.indirect is None else [1, *p.indirect]
        ft = p.ftype
        w += [0] if ft is None else [1, len(ft.params), *ft.params, len(ft.results),
                                     *ft.results]
        w += [int(p.unwinds), 0 if p.call_pc is None else p.call_pc + 1, int(p.polls)]
        live = []
        if p.live >= 0:
            x = p.live
            while x:
                live.append(x & 0xFFFFFFFFFFFFFFFF)
                x >>= 64
        w += [int(p.live >= 0), len(live), *live]
    return w


def points_from_words(w):
    """The FuncPoints (or None) of points_to_words' words."""
    if not w[0]:
        return None
    func, nparams, entry_pc, nl = w[1:5]
    local_types = w[5:5 + nl]
    q = 5 + nl
    n = w[q]
    q += 1
    pts = []
    for _ in range(n):
        id_, kind, pc, ns = w[q:q + 4]
        stack = w[q + 4:q + 4 + ns]
        q += 4 + ns
        index, callee = w[q], w[q + 1] - 1 if w[q + 1] else None
        q += 2
        indirect = None
        if w[q]:
            indirect = (w[q + 1], w[q + 2])
            q += 3
        else:
            q += 1
        ftype = None
        if w[q]:
            np_ = w[q + 1]
            params = tuple(w[q + 2:q + 2 + np_])
            nr = w[q + 2 + np_]
            ftype = FuncType(params, tuple(w[q + 3 + np_:q + 3 + np_ + nr]))
            q += 3 + np_ + nr
        else:
            q += 1
        unwinds, call_pc, polls = bool(w[q]), w[q + 1] - 1 if w[q + 1] else None, bool(w[q + 2])
        has_live, nlive = w[q + 3], w[q + 4]
        live = 0
        for j, x in enumerate(w[q + 5:q + 5 + nlive]):
            live |= x << (64 * j)
        q += 5 + nlive
        p = SafePoint(id_, _KINDS[kind], pc, stack, index, callee, indirect, ftype, unwinds,
                      call_pc, polls)
        p.live = live if has_live else -1
        pts.append(p)
    return FuncPoints(func, local_types, nparams, pts, entry_pc)


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
        heights = module.codemap.heights[k]
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
                # every call is a safe point, even of a callee that cannot unwind: the
                # interpreter's frames wait in such calls too, and rewind from there
                importing = op == W.CALL and imm in import_unwind
                # K: in the call; K + 1: the call returned; K + 2: before an import call
                first = nid + 1
                nid += 2
                if importing:
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
                waiting = code.after_call[code.pc_at[off] + 1]
                unwinds = unwinds_call(callee, indirect)
                polls = unwinds and polls_call(self.func_index, callee, indirect)
                pts.append(SafePoint(id_, "call", waiting, below, i, callee, indirect, ft,
                                     unwinds, off, polls))
                pts.append(SafePoint(id_ + 1, "return", pc, below + ft.results, i, callee,
                                     indirect, ft, unwinds, off, polls))
                if i in self.import_sites:   # the interpreter runs the call: pc at the call
                    pts.append(SafePoint(id_ + 2, "import", code.offsets[code.pc_at[off]],
                                         t, i, callee, None, ft, True, off))
        live = live_locals(body, len(self.local_types), set(self.point_at))
        for p in pts:
            p.live = live[p.index]
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
        for i, t in self.types.items():
            if i in self.point_at and any(x in _REFS for x in t):
                return "reference value at a safe point"
        for i, callee, indirect in self.calls:
            ft = self.ftypes[callee] if callee is not None else module.types[indirect[0]]
            if any(x in _REFS for x in ft.params + ft.results):
                return "reference-typed call argument or result"
        return None


def call_graph(module):
    """callees[i] for every defined function i (call_indirect: every function of the type
    that an element segment or a ref.func names), and the functions with a loop. A body whose
    facts validate_stream gathered (codemap.facts; it leaves every body with a ref.func to
    the reference, so those are scanned here) is not decoded again."""
    nimp = len(module.imported("func"))
    ftypes = module.func_types()
    facts = module.codemap.facts if module.codemap is not None else None
    in_table = set()
    for seg in module.elems:
        for expr in seg.init:
            for op, imm, _ in expr:
                if op == W.REF_FUNC:
                    in_table.add(imm)
    direct = {}      # function index -> (its direct callees, its call_indirects' types)
    loops = set()
    for k, f in enumerate(module.funcs):
        known = facts[k] if facts else None
        if known is not None:
            direct[nimp + k] = (known[0], [t for t, _table in known[1]])
            if known[3]:
                loops.add(nimp + k)
            continue
        calls, types = set(), []
        for op, imm, _ in f.instrs():
            if op == W.CALL:
                calls.add(imm)
            elif op == W.CALL_INDIRECT:
                types.append(imm[0])
            elif op == W.LOOP:
                loops.add(nimp + k)
            elif op == W.REF_FUNC:
                in_table.add(imm)
        direct[nimp + k] = (calls, types)
    by_type = {}
    for j in in_table:
        by_type.setdefault(ftypes[j], []).append(j)
    callees = {}
    for i, (calls, types) in direct.items():
        out = set(calls)
        for t in types:
            out.update(by_type.get(module.types[t], ()))
        callees[i] = out
    return callees, loops


def unbounded(callees, loops, members):
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


def cycles(callees, members):
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


def live_locals(body, nlocals, wanted):
    """{i: bitset of the locals live at instruction i's safe point} for the loop openers and
    calls in ``wanted``: at a loop, the locals live at its header; at a call, the ones live
    after it. A local is live where some path reads it before writing it. Backward over the
    structured body, again until the loop headers' sets settle (a branch to a loop carries
    the set at its header from the pass before)."""
    opener = {}              # end index -> the index of its block/loop/if
    stack = []
    for i, (op, _imm, _off) in enumerate(body):
        if op == W.BLOCK or op == W.LOOP or op == W.IF:
            stack.append(i)
        elif op == W.END and stack:
            opener[i] = stack.pop()
    at_loop = {}
    out = {}
    while True:
        changed = False
        live = 0
        labels = [None]      # per open construct, innermost last: a loop's opener index, or
        ends = [0]           # ... None and (in ends) the set live after its end
        else_live = [None]
        for i in range(len(body) - 2, -1, -1):
            op, imm, _ = body[i]
            if op == W.END:
                start = opener[i]
                labels.append(start if body[start][0] == W.LOOP else None)
                ends.append(live)
                else_live.append(None)
                continue
            if op == W.BLOCK or op == W.LOOP or op == W.IF:
                labels.pop()
                after = ends.pop()
                other = else_live.pop()
                if op == W.LOOP:
                    if at_loop.get(i) != live:
                        at_loop[i] = live
                        changed = True
                    if i in wanted:
                        out[i] = live
                elif op == W.IF:
                    live |= after if other is None else other
                continue
            if op == W.ELSE:
                else_live[-1] = live             # the else-branch's start
                live = ends[-1]                  # the then-branch ends where the if ends
                continue
            if op == W.LOCAL_GET:
                live |= 1 << imm
            elif op == W.LOCAL_SET or op == W.LOCAL_TEE:
                live &= ~(1 << imm)
            elif op == W.BR or op == W.BR_IF or op == W.BR_TABLE:
                depths = (imm,) if op != W.BR_TABLE else imm[0] + (imm[1],)
                carried = 0
                for d in depths:
                    start = labels[-1 - d]
                    carried |= at_loop.get(start, 0) if start is not None else ends[-1 - d]
                live = carried | live if op == W.BR_IF else carried
            elif op == W.RETURN or op == W.UNREACHABLE:
                live = 0
            elif (op == W.CALL or op == W.CALL_INDIRECT) and i in wanted:
                out[i] = live
        if not changed:
            return out
