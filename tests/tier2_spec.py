"""The spec suite's scripts with every function instrumented, run in wasmtime-py (for
tests/test_instrument.py).

Two worlds run each script side by side in wasmtime-py: the original modules, and the same
modules with every instrumentable function instrumented (interp.instrument, polling at every
safe point). Every invoke (assert_return, assert_trap, action) must give the same results (bit
for bit) or the same trap in both; the original world is checked against the script's
expectations too, so the comparison is not between two wrong answers. An invoke of an
instrumented function that can unwind is also unwound at a random early safe point and
rewound natively (tier2.continue_records), again and again until it finishes.
"""
import json
import os
import random
import struct

import wasmtime

import interp
from interp.errors import ModuleError
from interp.instrument import instrument
from selfhost.spectest import check_results, parse_value
from interp.tier2 import continue_records

from tests.tier2_wasmtime import NativeT2

_PACK = struct.Struct("<d").pack


class Stats:
    def __init__(self):
        self.invokes = 0          # invokes compared between the two worlds
        self.expected_ok = 0      # of which the original world matched the script
        self.nan_f32_skips = 0    # f32 NaN arguments/results wasmtime-py cannot carry exactly
        self.instrumented_calls = 0   # invokes whose function is instrumented
        self.unwinds = 0          # unwind + rewind round trips
        self.functions = 0        # instrumented functions
        self.skipped_functions = 0
        self.modules = 0
        self.failures = []

    def add(self, other):
        for k, v in vars(other).items():
            if k == "failures":
                self.failures += v
            else:
                setattr(self, k, getattr(self, k) + v)


def _spectest(store):
    ext = {}
    for name, params in (("print", []), ("print_i32", ["i32"]), ("print_i64", ["i64"]),
                         ("print_f32", ["f32"]), ("print_f64", ["f64"]),
                         ("print_i32_f32", ["i32", "f32"]), ("print_f64_f64", ["f64", "f64"])):
        ft = wasmtime.FuncType([getattr(wasmtime.ValType, p)() for p in params], [])
        ext[name] = wasmtime.Func(store, ft, lambda *a: None)
    for name, vt, v in (("global_i32", "i32", 666), ("global_i64", "i64", 666),
                        ("global_f32", "f32", 666.6), ("global_f64", "f64", 666.6)):
        ext[name] = wasmtime.Global(store, wasmtime.GlobalType(getattr(wasmtime.ValType, vt)(),
                                                               False), v)
    ext["table"] = wasmtime.Table(store, wasmtime.TableType(wasmtime.ValType.funcref(),
                                                            wasmtime.Limits(10, 20)), None)
    ext["memory"] = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, 2)))
    return ext


class _World:
    def __init__(self, engine):
        self.engine = engine
        self.store = wasmtime.Store(engine)
        self.spectest = _spectest(self.store)
        self.registered = {}
        self.named = {}
        self.current = None

    def define(self, linker, store):
        for name, ext in self.spectest.items():
            linker.define(store, "spectest", name, ext)
        for reg, inst in self.registered.items():
            linker.define_instance(store, reg, inst)


def _outcome(run, nresults=None):
    """(summary, raw results): summary ("ok", result bits) / ("trap", code) / ("error", text).
    ``nresults``: how many results the function has (wasmtime-py gives None for none and for
    one null reference alike)."""
    try:
        r = run()
    except wasmtime.Trap as e:
        return ("trap", str(e.trap_code)), None
    except wasmtime.WasmtimeError as e:
        return ("error", str(e).splitlines()[0]), None
    if nresults == 0:
        r = []
    elif nresults == 1:
        r = [r]
    return ("ok", [_bits(v) for v in r]), r


def _bits(v):
    if isinstance(v, float):
        return ("f", _PACK(v))
    if isinstance(v, (int, type(None))):
        return v
    return type(v).__name__      # references: compared by kind only


def _has_f32_nan(values):
    return any(v.get("type") == "f32" and (str(v.get("value", "")).startswith("nan")
                                           or _is_nan32(v.get("value"))) for v in values)


def _is_nan32(value):
    try:
        b = int(value)
    except (TypeError, ValueError):
        return False
    return b & 0x7F800000 == 0x7F800000 and b & 0x7FFFFF


class ScriptPair:
    """One script in both worlds."""

    def __init__(self, json_path, engine, rng):
        self.json_path = json_path
        self.dir = os.path.dirname(json_path)
        self.engine = engine
        self.rng = rng
        self.orig = _World(engine)
        self.inst = _World(engine)
        self.stats = Stats()
        self.name = os.path.basename(json_path)

    def fail(self, cmd, msg):
        self.stats.failures.append("%s line %s: %s" % (self.name, cmd.get("line"), msg))

    def run(self):
        with open(self.json_path) as f:
            commands = json.load(f)["commands"]
        for cmd in commands:
            t = cmd["type"]
            if t == "module":
                self.module(cmd)
            elif t == "register":
                for w in (self.orig, self.inst):
                    src = w.named.get(cmd["name"]) if cmd.get("name") else w.current
                    if src is not None:
                        w.registered[cmd["as"]] = src if isinstance(src, wasmtime.Instance) \
                            else src.instance
            elif t in ("assert_return", "action", "assert_trap"):
                self.invoke(cmd)
            elif t == "assert_uninstantiable":
                self.module(cmd, expect_trap=True)
        return self.stats

    def module(self, cmd, expect_trap=False):
        """A module command (or an assert_uninstantiable's module: it must trap in both
        worlds, leaving what it initialised before the trap)."""
        name = None if expect_trap else cmd.get("name")
        if not expect_trap:
            for w in (self.orig, self.inst):
                w.current = None
                if name:
                    w.named[name] = None
        if not cmd["filename"].endswith(".wasm"):
            return
        with open(os.path.join(self.dir, cmd["filename"]), "rb") as f:
            data = f.read()
        try:
            m = interp.decode(data)
        except ModuleError:
            return
        nimp = len(m.imported("func"))
        ins = instrument(m, range(nimp, nimp + len(m.funcs)), drop_start=False, loop_tick=1)
        try:
            linker = wasmtime.Linker(self.engine)
            self.orig.define(linker, self.orig.store)
            o = linker.instantiate(self.orig.store, wasmtime.Module(self.engine, data))
        except (wasmtime.WasmtimeError, wasmtime.Trap):
            o = None
        try:
            n = NativeT2(ins, budget=1, define=self.inst.define, engine=self.engine,
                         store=self.inst.store)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
            if o is not None:
                self.fail(cmd, "the instrumented module does not instantiate: %s" % e)
            n = None
        if (o is None) != (n is None):
            if n is not None:
                self.fail(cmd, "only the instrumented module instantiates")
            return
        if expect_trap:
            if o is not None:
                self.fail(cmd, "expected the module to trap at instantiation")
            return
        self.stats.modules += 1
        self.stats.functions += len(ins.funcs)
        self.stats.skipped_functions += len(ins.skipped)
        n.exported = {e.name: e.index for e in m.exports if e.kind == "func"}
        for w, x in ((self.orig, o), (self.inst, n)):
            w.current = x
            if name:
                w.named[name] = x

    def invoke(self, cmd):
        action = cmd["action"]
        mod = action.get("module")
        o = self.orig.named.get(mod) if mod else self.orig.current
        n = self.inst.named.get(mod) if mod else self.inst.current
        if o is None or n is None:
            return
        field = action["field"]
        if action["type"] == "get":
            a = o.exports(self.orig.store)[field].value(self.orig.store)
            b = n.exports[field].value(n.store)
            if _bits(a) != _bits(b):
                self.fail(cmd, "global %s: %r != %r" % (field, a, b))
            return
        args = [parse_value(v) for v in action.get("args", [])]
        args = [_wasmtime_arg(v) for v in args]
        st = self.orig.store
        fo = o.exports(st)[field]
        nres = len(fo.type(st).results)
        got_o = _outcome(lambda: fo(st, *args), nres)
        func = n.exported.get(field)
        unwinding = func is not None and func in n.ins.unwinding
        if func is not None and func in n.ins.funcs:
            self.stats.instrumented_calls += 1
        got_n = self.run_instrumented(n, field, args, func if unwinding else None, nres)
        self.stats.invokes += 1
        if got_o[0] != got_n[0]:
            self.fail(cmd, "%s%r: original %r, instrumented %r" % (field, args, got_o[0],
                                                                     got_n[0]))
            return
        if cmd["type"] == "assert_return":
            expected = cmd.get("expected", [])
            if got_o[0][0] != "ok":
                self.fail(cmd, "expected results, got %r" % (got_o[0],))
                return
            if _has_f32_nan(expected) or _has_f32_nan(action.get("args", [])):
                self.stats.nan_f32_skips += 1
                return
            msg = check_results(expected, [_api(v) for v in got_o[1]])
            if msg:
                self.fail(cmd, "original world: " + msg)
            else:
                self.stats.expected_ok += 1
        elif cmd["type"] == "assert_trap" and got_o[0][0] != "trap":
            self.fail(cmd, "expected a trap, got %r" % (got_o[0],))

    def run_instrumented(self, n, field, args, func, nres):
        """Invoke in the instrumented world; when ``func`` (an unwinding function) is given,
        unwind at a random early safe point and rewind natively until it finishes."""
        poller = n.poller
        poller.unwind_at = None
        if func is None:
            return _outcome(lambda: n.exports[field](n.store, *args), nres)
        poller.polls = 0
        poller.unwind_at = self.rng.randint(1, 6)
        step = lambda: n.call_export(field, *args)              # noqa: E731
        for round_ in range(8):
            out, got = _outcome(lambda: list(step()))
            if out[0] != "ok":
                return out, None
            kind, payload = got
            if kind == "done":
                return ("ok", [_bits(v) for v in payload]), payload
            self.stats.unwinds += 1
            plan = continue_records(payload, n.ins.funcs)
            poller.polls = 0
            poller.unwind_at = self.rng.randint(1, 40) if round_ < 6 else None
            step = lambda plan=plan: n.rewind(plan)             # noqa: E731
        return ("error", "still unwinding after 8 rewinds"), None


def _wasmtime_arg(v):
    return v


def _api(v):
    return v


def run_suite(json_paths, seed=1):
    engine = wasmtime.Engine()
    total = Stats()
    rng = random.Random(seed)
    for p in json_paths:
        total.add(ScriptPair(p, engine, rng).run())
    return total
