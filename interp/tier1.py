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

Debugging: ``Config.tier1_dump_dir`` (the program sets it from SELFHOST_TIER1_DUMP) writes each
generated source to ``dir/<module-hash>-f<index>.py``; ``Compiled.source`` keeps it in memory.
Functions the generator does not handle (too deeply nested for Python's block limit, huge,
huge br_tables, a tail call: tier1_expr.TIER0_ONLY) are left in tier 0: ``compile_function``
raises Unsupported.

Exceptions: ``throw`` / ``throw_ref`` raise ``Thrown`` in the generator; one that leaves it
goes to the driver, which unwinds (interp/unwind.py). A ``try_table`` with catch clauses is a
Python ``try:`` whose ``except`` tests the clauses and branches like a ``br`` (tier1_emit's
``handlers``); an exception out of a call inside the try body comes back from the driver as
the call's result, and the call site raises it there.
"""

import os
import time

from .lower import lower_function
from .tier1_emit import _Gen
from .tier1_expr import Unsupported
from .tier1_helpers import HELPERS

# ----------------------------------------------------------------------------- the result

class Compiled:
    """Tier 1 of one defined function (per module; ``bind`` makes it per instance). ``osr``:
    its OSR variants by loop-header offset (each a Compiled, or False: not generated)."""
    __slots__ = ("factory", "source", "name", "sites", "nlocals", "local_masks", "entry",
                 "bindings", "seconds", "gcode", "osr", "catching")

    def catches_at(self, gen):
        """Is `gen` (a suspended generator of this function) in a call inside a try body,
        where its generated code catches an exception the driver sends it?"""
        if not self.catching and not self.osr:
            return False
        if gen.gi_code is not self.gcode:
            for v in self.osr.values():
                if v and v.gcode is gen.gi_code:
                    return v.catches_at(gen)
            return False
        fr = gen.gi_frame  # (None: the generator that raised it, finished)
        return fr is not None and fr.f_lineno in self.catching

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
    """The instance's tier-1 tables (created on first use, kept as ``inst.tier1``)."""
    t = inst.tier1
    if t is None:
        t = inst.tier1 = _Tables(inst)
    return t


def compiled(module, k, dump_dir=None):
    """The Compiled of defined function k (compiled once per module), or False."""
    code = lower_function(module, k)
    comp = code.t1
    if comp is None:
        try:
            comp = compile_function(module, k, dump_dir=dump_dir)
        except Unsupported:
            comp = False
            module.codemap.stats["skipped"] += 1
        code.t1 = comp
    return comp


def promote(inst, k, check_every, dump_dir=None):
    """Compile (once per module) and bind (once per instance) defined function k; returns its
    generator function, or None when it stays in tier 0. ``dump_dir``: Config.tier1_dump_dir."""
    comp = compiled(inst.module, k, dump_dir)
    if comp is False:
        return None
    gen = bind(comp, inst, check_every)
    t = tables(inst)
    t.gens[k] = gen
    t.T[k] = gen
    return gen


def osr_entry(inst, k, wpc, check_every, dump_dir=None):
    """On-stack replacement: the generator function that continues a frame of defined function
    k at its loop header at Wasm offset `wpc` (the OSR variant, generated once per module and
    bound once per instance), called with the frame's locals then its operand values; None
    when there is none (no tier 1 for k, not a loop header, or the variant is unsupported)."""
    t = tables(inst)
    key = (k, wpc)
    gen = t.osr.get(key, False)
    if gen is not False:
        return gen
    comp = compiled(inst.module, k, dump_dir)
    if comp is not False:
        var = comp.osr.get(wpc)
        if var is None:
            try:
                var = compile_function(inst.module, k, osr=wpc, dump_dir=dump_dir)
            except Unsupported:
                var = False
                inst.module.codemap.stats["osr_skipped"] += 1
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
            v = HELPERS[x]
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
        elif kind == "tag":
            v = inst.tags[x]
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


def compile_function(module, k, osr=None, dump_dir=None):
    """Generate, compile and return the Compiled of defined function k (raises Unsupported);
    with `osr` (a loop-header offset), its OSR variant entered there. With ``dump_dir``, the
    source is written there too."""
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
    comp.catching = gen.catching
    comp.nlocals = gen.nlocals
    comp.entry = code.offsets[0]
    comp.bindings = sorted(gen.bindings.items())
    # the generator's code object: the only constant code object of the factory
    inner = [c for c in comp.factory.__code__.co_consts if hasattr(c, "co_code")][0]
    module.codemap.code_of[inner] = code
    comp.gcode = inner
    comp.osr = {}
    comp.seconds = time.perf_counter() - t0
    stats = module.codemap.stats
    stats["functions" if osr is None else "osr"] += 1
    stats["seconds"] += comp.seconds
    if dump_dir:
        import hashlib
        os.makedirs(dump_dir, exist_ok=True)
        tag = hashlib.sha256(module.raw).hexdigest()[:12]
        fname = "%s-f%d%s.py" % (tag, code.func_index, "" if osr is None else "-osr%d" % osr)
        with open(os.path.join(dump_dir, fname), "w") as fh:
            fh.write(source)
    return comp
