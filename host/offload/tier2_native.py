"""Tier 2's native side for selfhost on CPython: the offloaded functions run in wasmtime-py from
the *instrumented* app (interp/instrument.py), so native code can be stopped while it runs.

``InstrumentedNative(module, funcs)`` is a WasmtimeNative (native.py: same memory, globals and
table sync, same traps) whose native module is ``instrument(module, funcs)`` (native_cache.py
keeps it and its safe-point map for the next run): every offloadable function polls at its
loop headers and after calls. The helper imports are served here:

* ``poll()``: called when the native countdown runs out; it sizes the next countdown so that
  polls come about every POLL_INTERVAL seconds, and asks the guest's machine whether a stop is
  wanted (``Machine.stop_wanted``: the session's triggers, the checkpoint file, the timer, the
  guest's own request). When it is, it answers 0 and the native code unwinds: every frame on
  the native stack spills itself (``spill_*``, interp/tier2.SpillRecorder) and returns;
* ``call`` then copies memory and globals back as for any offloaded call and raises
  ``interp.tier2.Unwound(records)``; the Offloader turns the records into interpreter frames
  (function index, pc as a bytecode offset of the *original* function, locals, operand
  stack) and the machine goes on with them in the interpreter, polling at once: a checkpoint
  is written from ordinary frames, and its snapshot does not say which tier made them;
* ``rewind_*``: reading a frame back (interp/tier2.RewindFeeder), for ``rewind(plan)``.

Limits: functions the instrumenter skips (reference-typed locals, or reaching one that is
skipped) run natively without safe points, as in plain offload; an unwind is asked for only in
the machine's outermost run (a nested run, under a host function, cannot stop).
"""
import os
import time

import wasmtime

from interp.instrument import (HELPERS, IMPORT_MODULE, STATE_EXPORT, STATE_NORMAL,
                               STATE_REWIND, CTR_EXPORT)
from interp.tier2 import FIRST_BUDGET, MAX_BUDGET, POLL_INTERVAL  # noqa: F401 (tests set them)
from interp.tier2 import RewindFeeder, SpillRecorder, Unwound

from . import native_cache
from .native import WasmtimeNative, _functype
from .native import make_offloader as _make_offloader



class InstrumentedNative(WasmtimeNative):
    """See the module docstring. ``points``: the Instrumented's safe-point map (function index
    -> FuncPoints); ``polls`` / ``unwinds`` / ``rewinds``: counts."""

    tier2 = True

    def __init__(self, module, funcs, import_unwind=()):
        self._data, self.points = native_cache.instrumented(module, funcs, import_unwind)
        self._start(module)

    def _start(self, module):
        self.recorder = SpillRecorder()
        self.feeder = None
        self.polls = self.unwinds = self.rewinds = 0
        self.budget = FIRST_BUDGET
        self._last_poll = time.perf_counter()
        super().__init__(module)

    def _native_bytes(self):
        return self._data

    def _define_helpers(self, linker):
        rec = self.recorder
        fns = {"poll": self._poll,
               "spill_begin": rec.spill_begin, "spill_i32": rec.spill_i32,
               "spill_i64": rec.spill_i64,
               "rewind_begin": lambda f: self.feeder.rewind_begin(f),
               "rewind_i32": lambda: self.feeder.rewind_i32(),
               "rewind_i64": lambda: self.feeder.rewind_i64()}
        for name, params, results in HELPERS:
            linker.define(self.store, IMPORT_MODULE, name,
                          wasmtime.Func(self.store, _functype_of(params, results), fns[name]))

    def _instantiate(self):
        super()._instantiate()
        ex = self.instance.exports(self.store)
        self._state = ex[STATE_EXPORT]
        self._ctr = ex[CTR_EXPORT]

    def _poll(self):
        """The next countdown, or 0: unwind now (a stop is wanted)."""
        self.polls += 1
        now = time.perf_counter()
        guest = self._guest
        if guest is not None and guest.machine.stop_wanted():
            self._last_poll = now
            return 0
        return self._next_budget(now)

    def _next_budget(self, now):
        elapsed = max(now - self._last_poll, 1e-7)
        self.budget = max(1, min(MAX_BUDGET, int(self.budget * POLL_INTERVAL / elapsed)))
        self._last_poll = now
        return self.budget

    def call(self, inst, func_index, args, sync=None):
        results = super().call(inst, func_index, args, sync)
        spilled = self._spilled()
        if spilled is not None:
            raise Unwound(spilled)
        return results

    def _spilled(self):
        """After a native call: the records when it unwound (spill_begin ran; the instance is
        set back to normal running for the next call), else None."""
        if not self.recorder.records:
            return None
        self._state.set_value(self.store, wasmtime.Val.i32(STATE_NORMAL))
        self._ctr.set_value(self.store, wasmtime.Val.i32(1))
        self.unwinds += 1
        return self.recorder.take()

    def _begin_rewind(self, records):
        """The next native call reads ``records`` (bottom first) back instead of starting."""
        self.feeder = RewindFeeder(records)
        self._state.set_value(self.store, wasmtime.Val.i32(STATE_REWIND))
        self.rewinds += 1

    def rewind(self, inst, plan, sync=None):
        """Continue a tier2.RewindPlan natively (frames read back at their safe points);
        returns the bottom function's results, or raises Unwound again."""
        if not plan.records:
            return self.call(inst, plan.func, plan.args, sync)
        if inst is not self._guest:     # (call() would re-instantiate: set the state after)
            if self._guest is not None:
                self._instantiate()
            self._guest = inst
        self._begin_rewind(plan.records)
        try:
            return self.call(inst, plan.func, plan.args, sync)
        finally:
            self.feeder = None


class HostedInstrumented(InstrumentedNative):
    """The instrumented side of a selfhost.wasm guest (doorbell_host.py): ``data`` is the
    instrumented app, made by doorbell_host.py (``points``: its safe-point map, which the
    guest asks for per function) or sent by the guest (which keeps the map). The guest cannot
    be asked while native code runs, so a poll stops on what the call said (``run``'s
    deadline, and the trigger file at ``trigger``, its host path from the launcher's config);
    the guest confirms the stop or goes on natively (selfhost/doorbell.py DoorbellTier2)."""

    def __init__(self, module, data, trigger=None, points=None):
        self.points = points
        self._data = data
        self.trigger = trigger
        self.deadline = None
        self.watch_trigger = False
        self._start(module)

    def _poll(self):
        self.polls += 1
        now = time.perf_counter()
        if ((self.deadline is not None and time.time() >= self.deadline)
                or (self.watch_trigger and os.path.exists(self.trigger))):
            self._last_poll = now
            return 0
        return self._next_budget(now)

    def run(self, func_index, bits, records, deadline, watch_trigger):
        """invoke() (raw arguments and results) with the stop conditions (deadline: a
        time.time() value or None), rewinding ``records`` (bottom first) when there are any;
        returns (results, None), or (None, the spilled records, innermost first) when the
        code unwound."""
        self.deadline = deadline
        self.watch_trigger = bool(watch_trigger and self.trigger)
        if records:
            self._begin_rewind(records)
        try:
            results = self.invoke(func_index, bits)
        except BaseException:
            self.recorder.take()
            self._state.set_value(self.store, wasmtime.Val.i32(STATE_NORMAL))
            raise
        finally:
            self.feeder = None
        spilled = self._spilled()
        return (results, None) if spilled is None else (None, spilled)


def _functype_of(params, results):
    from interp.module import FuncType
    return _functype(FuncType(tuple(params), tuple(results)))


class LazyInstrumented:
    """InstrumentedNative(module, funcs, import_unwind), made at the first offload (prepare(),
    called by the Offloader) or at the first look at its safe points (a restore rewinding
    frames into native code): an app that never offloads never instruments nor compiles
    itself. A module whose native instantiation traps gets no native side (points None)."""

    tier2 = True

    def __init__(self, module, funcs, import_unwind=()):
        self._args = (module, funcs, import_unwind)
        self.native = None
        self.failed = None

    def _made(self):
        if self.native is None and self.failed is None:
            try:
                self.native = InstrumentedNative(*self._args)
            except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
                self.failed = e
        return self.native

    def prepare(self):
        if self._made() is None:
            raise self.failed
        return self.native

    @property
    def points(self):
        native = self._made()
        return None if native is None else native.points

    def call(self, inst, func_index, args, sync=None):
        return self.prepare().call(inst, func_index, args, sync)

    def rewind(self, inst, plan, sync=None):
        return self.prepare().rewind(inst, plan, sync)

    def _count(name):
        return property(lambda self: getattr(self.native, name) if self.native else 0)

    polls, unwinds, rewinds = _count("polls"), _count("unwinds"), _count("rewinds")
    last_native, bytes_in, bytes_out = (_count("last_native"), _count("bytes_in"),
                                        _count("bytes_out"))
    del _count


def make_offloader(module, threshold=None, imports=False):
    """An Offloader for ``module`` whose native side is an InstrumentedNative (attached), made
    lazily (LazyInstrumented). ``imports``: functions that call imports are offloaded too,
    their import calls unwinding to selfhost's own imports
    (interp.offload.Offloader._native_run)."""
    from interp.offload import analyze
    analysis = analyze(module, imports=True) if imports else None
    funcs = [j for j in range(len(module.imported("func")))] if imports else ()
    return _make_offloader(module, threshold,
                           lambda m, a: LazyInstrumented(m, a.offloadable, funcs),
                           analysis)
