"""A minimal native side for tier 2's tests and benchmark: an instrumented module
(interp.instrument.Instrumented) in wasmtime-py, its helper imports wired to
interp.tier2's SpillRecorder / RewindFeeder and to a poll policy.

(The native runtime's own side, with memory sync and the machine's triggers, is
host/offload/tier2_native.py; this is the engine side only, driven directly.)
"""
import wasmtime

from interp import opcodes as W
from interp.instrument import (CTR_EXPORT, HELPERS, IMPORT_MODULE, STATE_EXPORT, STATE_NORMAL,
                               STATE_REWIND, STATE_UNWIND)
from interp.offload import EXPORT_PREFIX as PREFIX
from interp.runtime import PAGE_SIZE
from interp.tier2 import RewindFeeder, SpillRecorder
from interp.values import (f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits, to_signed32,
                           to_signed64)

_VT = {W.I32: wasmtime.ValType.i32, W.I64: wasmtime.ValType.i64,
       W.F32: wasmtime.ValType.f32, W.F64: wasmtime.ValType.f64,
       W.FUNCREF: wasmtime.ValType.funcref, W.EXTERNREF: wasmtime.ValType.externref}


def functype(params, results):
    return wasmtime.FuncType([_VT[t]() for t in params], [_VT[t]() for t in results])


class Poller:
    """poll(): the countdown ``budget`` each time, except 0 (unwind) at poll number
    ``unwind_at``. ``polls`` counts the calls."""

    def __init__(self, budget=1):
        self.budget = budget
        self.unwind_at = None
        self.polls = 0

    def __call__(self):
        self.polls += 1
        if self.unwind_at is not None and self.polls >= self.unwind_at:
            self.unwind_at = None
            return 0
        return self.budget


class NativeT2:
    """One wasmtime instance of an Instrumented module. ``define(linker, store)`` may define
    the module's own imports. ``call`` / ``rewind`` return ("done", results) or
    ("unwound", records innermost first)."""

    def __init__(self, ins, budget=1, define=None, engine=None, store=None, module=None):
        self.ins = ins
        self.engine = engine or wasmtime.Engine()
        self.store = store or wasmtime.Store(self.engine)
        self.module = module or wasmtime.Module(self.engine, ins.data)
        self.recorder = SpillRecorder()
        self.feeder = None
        self.poller = Poller(budget)
        linker = wasmtime.Linker(self.engine)
        fns = {"poll": lambda: self.poller(),    # (a test may put another callable there)
               "spill_begin": self.recorder.spill_begin,
               "spill_i32": self.recorder.spill_i32,
               "spill_i64": self.recorder.spill_i64,
               "rewind_begin": lambda f: self.feeder.rewind_begin(f),
               "rewind_i32": lambda: self.feeder.rewind_i32(),
               "rewind_i64": lambda: self.feeder.rewind_i64()}
        for name, params, results in HELPERS:
            linker.define(self.store, IMPORT_MODULE, name,
                          wasmtime.Func(self.store, functype(params, results), fns[name]))
        if define is not None:
            define(linker, self.store)
        self.linker = linker
        self.instance = linker.instantiate(self.store, self.module)
        self.exports = self.instance.exports(self.store)
        self.state_g = self.exports[STATE_EXPORT]
        self.ctr_g = self.exports[CTR_EXPORT]

    # ---- calls ----

    def _finish(self, results):
        if self.state_g.value(self.store) == STATE_UNWIND:
            self.state_g.set_value(self.store, wasmtime.Val.i32(STATE_NORMAL))
            self.ctr_g.set_value(self.store, wasmtime.Val.i32(1))
            return "unwound", self.recorder.take()
        if results is None:
            results = []
        elif not isinstance(results, (list, tuple)):
            results = [results]
        return "done", list(results)

    def call(self, func, args):
        """Call original function index ``func`` with interpreter values."""
        f = self.exports[PREFIX + "f%d" % func]
        ft = self.ins.module.func_types()[self.ins.new_index(func)]
        return self._finish(f(self.store, *[_api(t, a) for t, a in zip(ft.params, args)]))

    def call_export(self, name, *api_args):
        """Call an export with wasmtime-py values."""
        return self._finish(self.exports[name](self.store, *api_args))

    def rewind(self, plan):
        """Continue a tier2.RewindPlan natively."""
        if not plan.records:
            return self.call(plan.func, plan.args)
        self.feeder = RewindFeeder(plan.records)
        self.state_g.set_value(self.store, wasmtime.Val.i32(STATE_REWIND))
        try:
            return self.call(plan.func, plan.args)
        finally:
            assert self.feeder.done, "the rewind did not read every record whole"
            self.feeder = None

    # ---- state sync with an interpreter instance (whole memory, mutable globals) ----

    def memory(self):
        mem = self.exports.get(PREFIX + "m0")
        return bytes(mem.read(self.store, 0, mem.data_len(self.store))) if mem else b""

    def load_from(self, inst):
        """Copy an interpreter instance's memory and globals in."""
        mem = self.exports.get(PREFIX + "m0")
        if mem is not None:
            data = inst.mems[0].data
            grow = len(data) // PAGE_SIZE - mem.size(self.store)
            if grow > 0:
                mem.grow(self.store, grow)
            mem.write(self.store, bytes(data), 0)
        for i, g in enumerate(inst.globals):
            if g.mutable:
                self.exports[PREFIX + "g%d" % i].set_value(self.store, _api(g.valtype, g.v))

    def store_to(self, inst):
        """Copy memory and globals out into an interpreter instance (same module)."""
        mem = self.exports.get(PREFIX + "m0")
        if mem is not None:
            data = self.memory()
            own = inst.mems[0]
            if len(data) > len(own.data):
                own.grow((len(data) - len(own.data)) // PAGE_SIZE)
            own.data[:] = data
        for i, g in enumerate(inst.globals):
            if g.mutable:
                g.v = _internal(g.valtype, self.exports[PREFIX + "g%d" % i].value(self.store))


def _api(t, v):
    if t == W.I32:
        return to_signed32(v)
    if t == W.I64:
        return to_signed64(v)
    if t == W.F32:
        return f32_from_bits(f32_to_bits(v))
    return v


def _internal(t, v):
    if t == W.I32:
        return v & 0xFFFFFFFF
    if t == W.I64:
        return v & 0xFFFFFFFFFFFFFFFF
    if t == W.F32:
        return f32_from_bits(f32_to_bits(v))
    if t == W.F64:
        return f64_from_bits(f64_to_bits(v))
    return v
