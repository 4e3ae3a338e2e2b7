"""Hot-function offload: run hot, import-free guest functions natively in the host engine.

Static part (decided once, at load): ``analyze(module)`` finds the *offloadable* defined
functions. A function is offloadable when

* its parameters and results are numbers (i32/i64/f32/f64: they cross the boundary as values),
* nothing it can reach calls an import: direct calls follow the call graph; a
  ``call_indirect`` is assumed to reach every function of a matching type that can be in a
  table (any function named by an element segment or a ``ref.func``); a ``call_indirect`` on
  an imported table makes the function not offloadable,
* nothing it can reach changes state that is not carried back: ``table.set/grow/fill/copy/
  init``, ``elem.drop``, ``memory.init``, ``data.drop`` make a function (and its callers) not
  offloadable,
* nothing it can reach throws or catches an exception (``throw``, ``throw_ref``, ``try_table``):
  an exception cannot cross the native boundary, so a function that can throw, and every
  caller of one, stays in the interpreter, and so does one that catches. Tail calls count as
  calls.

A module that imports a memory, table or global offloads nothing (the native instance could
not be given the same import), nor one with more than one memory.

The analysis also gives, per function, what it can do (its own body plus everything it can
call, propagated to a fixpoint): whether it can do *unbounded* work (it reaches a ``loop`` or a
recursion: a call-graph cycle), and its ``Sync``: whether it touches memory at all (loads,
``memory.size``: copy the memory in), whether it can change memory (stores, ``memory.grow/
fill/copy``: copy it back too), and which mutable globals it can read or write. A function
without memory access copies no memory; one without stores copies nothing back; only the
globals it names cross.

Dynamic part: an ``Offloader`` is attached to the module (``module.codemap.offload``) by whoever runs
it (the selfhost program, selfhost/cli.py, only when the host offers a native side). The machine asks it, when a
function's heat (tier-0 calls + sampled loop back-edges, the tier-1 counter) passes
``threshold``, for a replacement of the function's tier-1 entries (see Machine._promote): from
then on every call of the function, even a deep call of a recursion that is still running in
the interpreter, is one synchronous call into the native side. The machine reaches no safe
point during it, so a checkpoint trigger that arrives meanwhile is served at the first safe
point after the call returns.

The cost model (auto: no ``--offload-threshold``):

* Offload at the first call: an offloadable function that can do unbounded work is taken the
  first time it is called (threshold 0), so a loop kernel never runs its first call in the
  interpreter and a recursion goes native whole. Offloadable functions that can only do
  bounded work (no loop, no recursion) are never offloaded: one round trip costs more than
  they can save.
* Measure every offloaded call: the round trip (guest clock, sync and doorbell included) and
  the native call alone (host clock, reported by the native side in ``last_native``; native
  time under ``NATIVE_FLOOR`` = 25 us is entry cost and cold caches after the memory copy,
  not work, and is not credited: memcpy/strnlen of a few bytes measure 7-16 us right after a
  1.5 MB copy on CPython, more inside selfhost.wasm).
* Revert: interpreting a call is estimated conservatively at ``DEFAULT_FACTOR`` = 300 x its
  credited native time (measured on the bench kernels against wasmtime: tier 1 on CPython
  ~170-700x, tier 0 500-5000x, inside selfhost.wasm several times more). A call *pays* when
  that estimate is at least its round trip. Once ``MIN_CALLS`` = 3 calls of a function did not
  pay and they outnumber the calls that did (a vote, not sums: one call preempted on a noisy
  machine must not buy a tiny helper thousands of round trips), the round trips do not pay
  (tiny helpers such as memcpy/strlen called from printf: ~0 native work against a 20 us -
  1 ms round trip), and the function is reverted for good
  (``Offloader.revert``): its tier-1 table entries go back to their initial state, tier 0
  counts its heat again and tier 1 compiles it past tier 1's threshold; take() never offers it
  again.
* ``--offload-threshold N`` (``Offloader(threshold=N)``) is the fixed policy instead: every
  offloadable function is offloaded once its heat passes N, never reverted (tests, experiments).

A first-call offload runs a long pure loop to its end natively: with a plain native side a
checkpoint lands after it. Tier 2 (a native side with ``points``, host/offload/tier2_native.py):
the native code polls, and a stop the machine wants unwinds it: ``call`` raises
``tier2.Unwound``, this module adds the interpreter frames (_native_run) and the machine adopts
them; ``rewind_split`` lets ``Machine.resume`` rewind captured frames into native code;
``analyze(imports=True)`` (``--offload imports``) also offloads functions that reach imports by
direct calls, their import calls served here in the interpreter's own imports (_native_run).

The native side is any object with ``call(instance, func_index, args, sync=None) -> results``
(internal values, see values.py; ``sync`` a Sync, None = everything) and ``last_native``, and
optionally ``prepare()``: its set-up (compiling the app natively), which the Offloader calls at
the first offload, so that an app that never offloads never pays for it (an exception there
means: nothing is offloaded, everything is interpreted). ``call`` copies what ``sync`` names (memory, mutable globals) and the funcref tables (where they
changed) into its own instance of the same module, calls the function, copies memory, memory
size and the written mutable globals back, and raises interp's Trap for a trap. A trap that
is the native engine's stack exhaustion is raised as ``NativeStackExhausted`` instead, with
nothing copied back (the native stack is far smaller than the interpreter's
``max_call_depth``: offload must not add a trap): the Offloader reverts the function and re-runs
the call in the interpreter. The native side then re-instantiates (its memory may have grown
past the guest's; the guest resends what the next call needs).
host/offload/native.py implements it with wasmtime-py for selfhost running on CPython.

Limits (documented, not silent): tier 1 must be on (the offload replaces tier-1 entries); f32
NaN payloads are not guaranteed to survive the boundary.
"""
import time

from . import atomics
from . import opcodes as W
from . import tier1
from . import tier2
from .validate_stream import READ, WRITE
from .decode import _u32
from .lower import lower_function as lower
from .opcodes import NUM_TYPES

DEFAULT_THRESHOLD = None     # auto: see the docstring
DEFAULT_FACTOR = 300
MIN_CALLS = 3
NATIVE_FLOOR = 25e-6
EXPORT_PREFIX = "__selfhost_offload_"   # the names export_everything gives
_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

_STATE_CHANGING = {W.TABLE_SET, W.TABLE_GROW, W.TABLE_FILL, W.TABLE_COPY, W.TABLE_INIT,
                   W.ELEM_DROP, W.MEMORY_INIT, W.DATA_DROP}
_EXCEPTIONS = {W.THROW: "throws an exception (throw)",
               W.THROW_REF: "throws an exception (throw_ref)",
               W.TRY_TABLE: "catches exceptions (try_table)"}


class Sync:
    """What one offloaded call of a function must carry across (from the static analysis):
    ``mem_in``: copy the guest memory in (the function, or something it can call, touches
    memory); ``mem_out``: copy it back (it can store, grow, fill or copy memory);
    ``globals_in`` / ``globals_out``: the mutable globals (indices) it can read or write / write.
    """
    __slots__ = ("mem_in", "mem_out", "globals_in", "globals_out")

    def __init__(self, mem_in, mem_out, globals_in, globals_out):
        self.mem_in = mem_in
        self.mem_out = mem_out
        self.globals_in = tuple(globals_in)
        self.globals_out = tuple(globals_out)

    def __repr__(self):
        return "Sync(mem_in=%r, mem_out=%r, globals_in=%r, globals_out=%r)" % (
            self.mem_in, self.mem_out, self.globals_in, self.globals_out)


class Analysis:
    """``offloadable``: set of function indices (function index space); ``reason[i]``: why
    function i is not offloadable (a short text); ``unbounded``: the offloadable functions that
    can do unbounded work (reach a loop or a recursion); ``sync(i)``: the Sync of function i."""

    def __init__(self, offloadable, reason, unbounded=(), effects=None, mutable=(),
                 importing=()):
        self.offloadable = offloadable
        self.reason = reason
        self.unbounded = set(unbounded)
        self.effects = effects or {}
        self.mutable = list(mutable)
        self.importing = set(importing)     # (imports=True) offloadable, reaching an import

    def sync(self, i):
        e = self.effects.get(i)
        if e is None:                       # unknown: everything, both ways
            return Sync(True, True, self.mutable, self.mutable)
        if i in self.importing:             # an import (WASI) may read and write memory
            e |= _READ | _WRITE
        return Sync(bool(e & (_READ | _WRITE)), bool(e & _WRITE),
                    [g for g in self.mutable if e >> (2 + 2 * g) & 3],
                    [g for g in self.mutable if e >> (3 + 2 * g) & 1])


# effect bits of a function body (and, propagated, of everything it can call): memory read,
# memory written; global g read at bit 2 + 2g, written at bit 3 + 2g
_READ, _WRITE = READ, WRITE   # the effect bits of validate_stream's facts (their owner)
_MEM_READ = set(range(0x28, 0x36)) | {0x3F}
_MEM_WRITE = set(range(0x36, 0x3F)) | {0x40, 0xFC0A, 0xFC0B}


def applies(module):
    """Can offload do anything for ``module``? (None when it cannot: a module that imports a
    memory, table or global, or has no offloadable function; whoever attaches an Offloader
    asks first and then offers no native side at all.) -> its Analysis, or None."""
    analysis = analyze(module)
    return analysis if analysis.offloadable else None


def analyze(module, imports=False):
    """The Analysis of ``module`` (see the module docstring for the rules). ``imports``
    (tier 2): a function that reaches an import through direct calls only is offloadable
    too (its import calls are round trips to the interpreter: Offloader._serve_imports)."""
    nimp = len(module.imported("func"))
    ftypes = module.func_types()
    n = len(ftypes)
    reason = {}
    for i in range(0 if imports else nimp):
        imp = module.imports[[k for k, im in enumerate(module.imports)
                              if im.kind == "func"][i]]
        reason[i] = "import %s.%s" % (imp.module, imp.name)
    other_imports = [imp for imp in module.imports if imp.kind != "func"]
    if other_imports or len(module.mem_types()) > 1:
        why = ("imports a %s" % other_imports[0].kind if other_imports
               else "more than one memory")
        return Analysis(set(), {i: reason.get(i, why) for i in range(n)})

    # functions that can be in a table: named by an element segment or a ref.func
    in_table = set()
    for seg in module.elems:
        for expr in seg.init:
            for op, imm, _off in expr:
                if op == W.REF_FUNC:
                    in_table.add(imm)
    nimp_tables = len(module.imported("table"))

    # one pass over each body (a big module's bodies are decoded from bytes for it); a
    # call_indirect's targets need every ref.func first, so its reasons wait in `pending`
    # (per function, in instruction order, beside the reasons seen in the pass)
    callees = {}
    effects = {}
    loops = set()
    indirect = {}     # function index -> type indices of its call_indirects
    pending = {}      # function index -> its reasons in order (an int: a call_indirect's type)
    facts = module.codemap.facts if module.codemap is not None else None
    for k, f in enumerate(module.funcs):
        i = nimp + k
        out = set()
        e = 0
        rs = []
        known = facts[k] if facts else None
        if known is not None:   # validate_stream's facts: calls, call_indirects, effects, loop
            out.update(known[0])
            for type_idx, table_idx in known[1]:
                if table_idx < nimp_tables:
                    rs.append("call_indirect on an imported table")
                indirect.setdefault(i, set()).add(type_idx)
                if imports:
                    rs.append(type_idx)
            e = known[2]
            if known[3]:
                loops.add(i)
        for op, imm, _off in (() if known is not None else f.instrs()):
            if op == W.CALL or op == W.RETURN_CALL:
                out.add(imm)
                if imports and imm < nimp and op == W.RETURN_CALL:
                    rs.append("tail call of an import")
            elif op == W.CALL_INDIRECT or op == W.RETURN_CALL_INDIRECT:
                type_idx, table_idx = imm
                if table_idx < nimp_tables:
                    rs.append("call_indirect on an imported table")
                indirect.setdefault(i, set()).add(type_idx)
                if imports:
                    rs.append(type_idx)
            elif op == W.REF_FUNC:
                in_table.add(imm)
            elif op in _STATE_CHANGING:
                rs.append("changes table or segment state (opcode 0x%X)" % op)
            elif op in _EXCEPTIONS:
                rs.append(_EXCEPTIONS[op])
            elif op in atomics.SPECS:
                e |= _READ | _WRITE
            elif op in _MEM_READ:
                e |= _READ
            elif op in _MEM_WRITE:
                e |= _WRITE
            elif op == W.GLOBAL_GET:
                e |= 1 << (2 + 2 * imm)
            elif op == W.GLOBAL_SET:
                e |= 1 << (3 + 2 * imm)
            elif op == W.LOOP:
                loops.add(i)
        ft = ftypes[i]
        if any(t not in NUM_TYPES for t in ft.params + ft.results):
            rs.append("non-numeric parameter or result")
        if rs:
            pending[i] = rs
        callees[i] = out
        effects[i] = e
    by_type = {}      # FuncType -> the table functions of that type
    for j in in_table:
        by_type.setdefault(ftypes[j], []).append(j)
    for i, tids in indirect.items():
        for t in tids:
            callees[i].update(by_type.get(module.types[t], ()))
    for i, rs in pending.items():
        for r in rs:
            if isinstance(r, int):
                if not any(j < nimp for j in by_type.get(module.types[r], ())):
                    continue
                r = "call_indirect may reach an import"
            reason.setdefault(i, r)
            break

    # propagate "reaches something not offloadable" from callees to callers (to a fixpoint)
    callers = {i: set() for i in range(n)}
    for i, out in callees.items():
        for j in out:
            callers[j].add(i)
    importing = set()
    if imports:             # who reaches an import (to a fixpoint)
        work = list(range(nimp))
        while work:
            j = work.pop()
            for i in callers[j]:
                if i not in importing:
                    importing.add(i)
                    work.append(i)
    work = [i for i in range(n) if i in reason]
    while work:
        j = work.pop()
        for i in callers[j]:
            if i not in reason:
                reason[i] = "reaches %s" % _name(module, j)
                work.append(i)
    offloadable = {i for i in range(nimp, n) if i not in reason}

    # effects: a caller has the effects of everything it can call (to a fixpoint: recursion)
    work = list(effects)
    while work:
        j = work.pop()
        ej = effects.get(j, 0)
        for i in callers[j]:
            if i in effects and effects[i] | ej != effects[i]:
                effects[i] |= ej
                work.append(i)

    # bounded: no loop and only bounded callees (peeled from the leaves; recursion never is)
    pending = {i: len(callees[i]) for i in callees}
    bounded = set(range(nimp))
    work = list(range(nimp)) + [i for i in callees if not callees[i] and i not in loops]
    bounded.update(work)
    while work:
        j = work.pop()
        for i in callers[j]:
            if i in pending:
                pending[i] -= 1
                if not pending[i] and i not in loops and i not in bounded:
                    bounded.add(i)
                    work.append(i)
    mutable = [g for g, t in enumerate(module.global_types()) if t.mutable]
    return Analysis(offloadable, reason, offloadable - bounded, effects, mutable,
                    importing & offloadable)


def _name(module, i):
    name = module.func_names.get(i)
    return "function %d (%s)" % (i, name) if name else "function %d" % i


def _leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _wasm_name(s):
    b = s.encode()
    return _leb(len(b)) + b


def export_everything(data, module):
    """app.wasm bytes with every function, table, memory and global exported as
    EXPORT_PREFIX + "f3" / "t0" / "m0" / "g1", the existing exports kept, the start section dropped."""
    sections = []
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, p = _u32(data, pos + 1)   # a section size (the module decoded already)
        sections.append((sid, data[pos:p + size], data[p:p + size]))
        pos = p + size
    entries = [_wasm_name(e.name)
               + bytes((("func", "table", "memory", "global", "tag").index(e.kind),))
               + _leb(e.index) for e in module.exports]
    kinds = (("f", 0, len(module.func_types())), ("t", 1, len(module.table_types())),
             ("m", 2, len(module.mem_types())), ("g", 3, len(module.global_types())))
    for letter, kind, count in kinds:
        for i in range(count):
            entries.append(_wasm_name("%s%s%d" % (EXPORT_PREFIX, letter, i)) + bytes((kind,)) + _leb(i))
    payload = _leb(len(entries)) + b"".join(entries)
    export = bytes((7,)) + _leb(len(payload)) + payload
    out = [data[:8]]
    placed = False
    for sid, whole, _payload in sections:
        if sid in (7, 8):
            continue
        if not placed and sid != 0 and _ORDER.get(sid, 99) > _ORDER[7]:
            out.append(export)
            placed = True
        out.append(whole)
    if not placed:
        out.append(export)
    return b"".join(out)


class NativeStackExhausted(Exception):
    """Raised by a native side's call() when the native engine ran out of stack (its stack is
    far smaller than the interpreter's max_call_depth). The native side copied nothing back:
    the guest's memory and globals are as before the call, so the Offloader can re-run the
    call in the interpreter."""


class _NativeCall:
    """What a call of an offloaded function names (tier-1 callers' requests, the off%d
    generator's single request): looks like a host function to the machine, so the machine
    sets the call depth for a nested run first (the interpreted re-run, see Offloader._caller)."""
    host = True

    def __init__(self, call, ftype):
        self.call_internal = call
        self.type = ftype


class Offloader:
    """Per module: the analysis, the policy (first-call offload + revert, or a fixed heat
    threshold), the native side and the statistics. See the module docstring."""

    def __init__(self, module, native, threshold=None, factor=None, min_calls=None,
                 analysis=None):
        if threshold is not None and threshold < 0:
            raise ValueError("offload threshold must be >= 0")
        self.module = module
        self.native = native
        # threshold None: auto (first call of the unbounded functions, cost model); the
        # machine asks take() once a function's heat passes self.threshold
        self.fixed = threshold is not None
        self.threshold = threshold if self.fixed else 0
        self.factor = DEFAULT_FACTOR if factor is None else factor
        self.min_calls = MIN_CALLS if min_calls is None else min_calls
        self.analysis = analyze(module) if analysis is None else analysis
        self.calls = {}      # function index -> number of offloaded calls
        self.seconds = {}    # function index -> seconds spent in them (round trips included)
        self.native_seconds = {}   # function index -> of which in the native call itself
        self.wins = {}       # function index -> offloaded calls that paid (cost model)
        self.losses = {}     # function index -> offloaded calls that did not
        self.reverted = {}   # function index -> why it went back to the interpreter
        self.trapped = 0
        self.entry_codes = set()   # code objects of the off%d generators (tier2.adopt)
        self.unwinds = 0     # native calls that unwound into interpreter frames (tier 2)
        self.import_calls = 0   # import calls native code made through the interpreter
        self.unavailable = None   # why the native side could not be set up (then: no offload)
        self._prepared = False

    def attach(self):
        self.module.codemap.offload = self
        return self

    def offloadable(self, func_index):
        return func_index in self.analysis.offloadable

    def wanted(self, index, heat):
        """Would take() offload function ``index`` at this heat?"""
        if index in self.reverted or index not in self.analysis.offloadable:
            return False
        if self.fixed:
            return heat > self.threshold
        return index in self.analysis.unbounded

    def take(self, inst, k, heat):
        """Called by the machine for a hot defined function k of ``inst`` (heat > threshold):
        if the policy wants it, install the native path and return the generator function
        tier 0 calls through (else None)."""
        index = len(inst.funcs) - len(inst.module.funcs) + k
        if not self.wanted(index, heat) or not self._native_ready():
            return None
        call = self._caller(inst, index, k)
        ftype = inst.funcs[index].type
        native = _NativeCall(call, ftype)
        t = tier1.tables(inst)
        params = ", ".join("l%d" % j for j in range(len(ftype.params)))
        # a generator function (made by exec so that its type is the driver's generator type
        # inside selfhost.wasm too); parameters named like tier 1's, for Machine.capture. It
        # yields one host-call request: the driver sets the depth a nested run (the
        # interpreted re-run after native stack exhaustion) starts from, and no safe point
        # can capture it mid-call (a nested run never stops)
        src = ("def _mk(_native):\n"
               "    def off%d(%s):\n"
               "        return (yield (_native, (%s)))\n"
               "    return off%d\n") % (index, params, params + "," if params else "", index)
        ns = {}
        exec(compile(src, "<offload f%d>" % index, "exec"), ns)
        gen = ns["_mk"](native)
        self.entry_codes.add(gen.__code__)

        def request(*args):
            return (native, args)
        t.gens[k] = gen
        t.T[k] = request
        self.calls.setdefault(index, 0)
        self.seconds.setdefault(index, 0.0)
        self.native_seconds.setdefault(index, 0.0)
        return gen

    def _native_ready(self):
        """Set the native side up at the first offload (not at start); False when it cannot
        be: nothing is offloaded then."""
        if not self._prepared:
            self._prepared = True
            prepare = getattr(self.native, "prepare", None)
            try:
                if prepare is not None:
                    prepare()
            except Exception as e:     # noqa: BLE001 (the native side is optional: interpret)
                self.unavailable = "%s: %s" % (type(e).__name__, e)
        return self.unavailable is None

    def revert(self, inst, index, why):
        """Function ``index`` goes back to the interpreter for good: its tier-1 table entries
        are reset to what they are before any promotion (tier 0 counts its heat again and
        compiles it to tier 1 past tier 1's threshold; take() never offloads it again)."""
        k = index - (len(inst.funcs) - len(inst.module.funcs))
        t = tier1.tables(inst)
        func = inst.funcs[index]

        def stub(*args):
            return (func, args)
        if getattr(t.gens[k], "__name__", "") == "off%d" % index:
            t.gens[k] = None
            t.T[k] = stub
        self.reverted[index] = why

    def rewind_split(self, frames):
        """Tier 2, resuming captured ``frames`` (bottom first): None, or (the frames the
        interpreter resumes, the Code and the generator of the rest). The rest is the
        longest top part the native side can rewind (tier2.rewind_plan): its bottom frame an
        offloaded function, every frame above it instrumented; the generator makes one call,
        the native rewind, whose results go to the frame below (waiting in its call)."""
        points = getattr(self.native, "points", None)
        if points is None or not frames:
            return None
        inst = frames[-1]["instance"]
        j = len(frames)
        while j and frames[j - 1]["func"] in points and frames[j - 1]["instance"] is inst:
            j -= 1
        for k in range(j, len(frames)):
            index = frames[k]["func"]
            if not self.wanted(index, 1 << 62):
                continue
            try:
                plan = tier2.rewind_plan(frames[k:], points, inst)
            except tier2.NotRewindable:
                continue
            gen = self._rewinder(inst, index, plan, frames[k:])
            code = lower(inst.module, index - (len(inst.funcs) - len(inst.module.funcs)))
            return frames[:k], code, gen
        return None

    def _native_run(self, inst, start, sync):
        """Run ``start()`` (a native call or rewind) to its results. Tier 2: an unwind before
        an import call is served here, in selfhost's own imports (its WASI: the fd state
        stays the interpreter's, the one a snapshot holds), and the native code is rewound
        right after the call (tier2.after_import, continue_records), unless the machine
        wants to stop then; any other unwind (a poll said stop) raises Unwound with the
        interpreter frames (Machine._t1 adopts them)."""
        native = self.native
        try:
            return start()
        except tier2.Unwound as u:
            unwound = u
        points = native.points
        while True:
            records = unwound.records
            if points[records[0].func].point(records[0].point).kind == "import":
                j, args = tier2.import_call(records, points)
                results = inst.funcs[j].call_internal(args)
                self.import_calls += 1
                records = tier2.after_import(records, points, results)
                if not inst.machine.stop_wanted():
                    try:
                        return native.rewind(inst, tier2.continue_records(records, points),
                                             sync)
                    except tier2.Unwound as u:
                        unwound = u
                        continue
                unwound = tier2.Unwound(records)
            unwound.frames = tier2.frames_from_records(records, points, inst)
            self.unwinds += 1
            raise unwound

    def _rewinder(self, inst, index, plan, frames):
        native = self.native
        sync = self.analysis.sync(index)

        def call(args):
            try:
                return self._native_run(inst, lambda: native.rewind(inst, plan, sync), sync)
            except NativeStackExhausted:   # (nothing copied back) the interpreter goes on
                return inst.machine.resume(frames)
        native_call = _NativeCall(call, inst.funcs[index].type)
        ns = {}
        exec(compile("def rw%d(_native):\n    return (yield (_native, ()))\n" % index,
                     "<tier 2 rewind f%d>" % index, "exec"), ns)
        gen = ns["rw%d" % index]
        self.entry_codes.add(gen.__code__)
        return gen(native_call)

    def _caller(self, inst, index, k):
        native = self.native
        calls = self.calls
        seconds = self.seconds
        nseconds = self.native_seconds
        wins = self.wins
        losses = self.losses
        floor = NATIVE_FLOOR
        clock = time.perf_counter
        sync = self.analysis.sync(index)
        fixed = self.fixed
        factor = self.factor
        min_calls = self.min_calls
        reverted = self.reverted

        def call(args):
            t0 = clock()
            try:
                return self._native_run(inst, lambda: native.call(inst, index, args, sync),
                                        sync)
            except NativeStackExhausted:
                self.revert(inst, index, "native stack exhausted")
            finally:
                n = calls[index] = calls[index] + 1
                s = seconds[index] = seconds[index] + (clock() - t0)
                dt = getattr(native, "last_native", 0.0) or 0.0
                nseconds[index] += dt
                # the cost model: interpreting this call would have cost at least factor x
                # its native time (above the noise floor); did the round trip pay?
                if factor * max(0.0, dt - floor) >= clock() - t0:
                    wins[index] = wins.get(index, 0) + 1
                else:
                    lost = losses[index] = losses.get(index, 0) + 1
                    if (not fixed and lost >= min_calls and lost > wins.get(index, 0)
                            and index not in reverted):
                        self.revert(inst, index, "%d of %d calls did not pay: %.3g s offloaded, "
                                    "%.3g s native" % (lost, n, s, nseconds[index]))
            # the native stack was exhausted (the interpreter's is deeper): this very call
            # is re-run in the interpreter from the unchanged state (a nested run: the machine
            # set its depth before this host call)
            return inst.machine.call(inst.funcs[index], args)
        return call

    def stats(self):
        """{"functions": {name: {"calls", "seconds", "native_seconds"[, "reverted"]}},
        "calls": total, "seconds": total, "offloadable": n, "reverted": n, "bytes_in",
        "bytes_out": memory bytes copied each way (when the native side counts them)}"""
        funcs = {}
        for i in sorted(self.calls):
            row = {"calls": self.calls[i], "seconds": round(self.seconds[i], 6),
                   "native_seconds": round(self.native_seconds.get(i, 0.0), 6)}
            if i in self.reverted:
                row["reverted"] = self.reverted[i]
            funcs[_label(self.module, i)] = row
        return {"functions": funcs, "calls": sum(self.calls.values()),
                "seconds": round(sum(self.seconds.values()), 6),
                "offloadable": len(self.analysis.offloadable),
                "reverted": len(self.reverted), "unavailable": self.unavailable,
                "unwinds": self.unwinds,
                "rewinds": getattr(self.native, "rewinds", 0),
                "import_calls": self.import_calls,
                "polls": getattr(self.native, "polls", 0),
                "instrumented": getattr(self.native, "tier2", False),
                "instrumented_by": getattr(self.native, "instrumented_by", None),
                "bytes_in": getattr(self.native, "bytes_in", None),
                "bytes_out": getattr(self.native, "bytes_out", None)}


def _label(module, i):
    return module.func_names.get(i) or "f%d" % i
