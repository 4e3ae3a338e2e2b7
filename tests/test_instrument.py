"""Tier 2, the engine side: interp/instrument.py (the native side's module: safe points, unwind,
rewind) and interp/tier2.py (spilled records <-> interpreter frames), with wasmtime-py as the
native engine (tests/tier2_wasmtime.py; the launchers' integration is phase 2).

Apps: tests/tier2_apps/kernels.c (C: loops, recursion, float state with NaN payloads,
memory.grow in a loop, call_indirect, nested loops) and tests/tier2_apps/stacks.wat (by hand:
multi-value loops and calls, values below constructs and below call arguments, safe points in
if/else branches and br_table cases).

(a) instrumented == original when nothing unwinds; (b) unwinds at random safe-point hits,
resumed by the interpreter through a real snapshot; (c) interpreter frames captured in tier 0
and tier 1 rewound natively; (d) native unwind -> native rewind (fresh instance, and in place
again and again); the spec suite with every function instrumented (slow).
"""
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

wasmtime = pytest.importorskip("wasmtime")

import interp                                            # noqa: E402
from checkpoint import capture as ckpt                   # noqa: E402
from checkpoint import format as snapfmt                 # noqa: E402
from interp import tier2                                 # noqa: E402
from interp.decode import decode_module                  # noqa: E402
from interp.instrument import instrument                 # noqa: E402
from interp.lower import lower_function                  # noqa: E402
from interp.machine import Machine, Suspended            # noqa: E402
from interp.validate import validate_module              # noqa: E402
from interp.values import f32_to_bits, f64_to_bits       # noqa: E402
from tests.apps.build import build_c                     # noqa: E402
from tests.tier2_wasmtime import NativeT2                # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "tests" / "tier2_apps"
CACHE = ROOT / "tests" / ".cache" / "tier2_apps"
SUITE = ROOT.parent / "shared" / "wasm-testsuite"
FREESTANDING = ["-target", "wasm32-freestanding", "-nostdlib", "-O2", "-fno-sanitize=undefined",
                "-Wl,--no-entry"]

KERNEL_CALLS = [("fib", 13), ("sieve", 2000), ("floats", 150), ("grow", 4), ("indirect", 150),
                ("nested", 40), ("matmul", 6)]
STACK_CALLS = [("mv_loop", 9), ("below", 9), ("branches", 9), ("nan_param", 9),
               ("pairs", 9), ("switch", 9)]
M64 = (1 << 64) - 1


def build_wat(name):
    if not shutil.which("wat2wasm"):
        pytest.skip("wat2wasm missing")
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / (name + ".wasm")
    subprocess.run(["wat2wasm", str(APPS / (name + ".wat")), "-o", str(out)], check=True)
    return out


class App:
    """A module, its instrumented form (every function), its compiled native forms, and per
    call the uninterrupted native result and final memory."""

    def __init__(self, path):
        self.data = Path(path).read_bytes()
        self.module = interp.decode(self.data)
        nimp = len(self.module.imported("func"))
        funcs = range(nimp, nimp + len(self.module.funcs))
        # every loop header ticks the countdown: unwinds can land on any safe-point hit
        self.ins = instrument(self.module, funcs, loop_tick=1)
        self.ins_default = instrument(self.module, funcs)
        self.engine = wasmtime.Engine()
        self.native_module = wasmtime.Module(self.engine, self.ins.data)
        self.exports = {e.name: e.index for e in self.module.exports if e.kind == "func"}
        self._expected = {}

    def native(self, budget=1, default=False):
        if default:
            return NativeT2(self.ins_default, budget=budget, engine=self.engine)
        return NativeT2(self.ins, budget=budget, engine=self.engine, module=self.native_module)

    def interp_instance(self, machine=None):
        return interp.instantiate(self.module, {}, machine=machine)

    def expected(self, name, n):
        """(result as u64, final memory, polls with budget 1) of an uninterrupted run."""
        key = (name, n)
        if key not in self._expected:
            nat = self.native()
            kind, res = nat.call(self.exports[name], [n])
            assert kind == "done"
            self._expected[key] = (res[0] & M64, nat.memory(), nat.poller.polls)
        return self._expected[key]


@pytest.fixture(scope="module")
def kernels():
    return App(build_c(APPS / "kernels.c", CACHE, FREESTANDING))


@pytest.fixture(scope="module")
def stacks():
    return App(build_wat("stacks"))


def _app(request, which):
    return request.getfixturevalue(which)


CASES = [("kernels", name, n) for name, n in KERNEL_CALLS] + \
        [("stacks", name, n) for name, n in STACK_CALLS]


def _ids(case):
    return "%s-%s" % (case[1], case[2])


# ------------------------------------------------------------------------ (a) no unwind

def test_instrumented_module_validates_and_keeps_functions(kernels, stacks):
    for app in (kernels, stacks):
        m2 = decode_module(app.ins.data)
        validate_module(m2)                               # our validator agrees with wasmtime's
        assert not app.ins.skipped
        assert app.ins.funcs                              # safe points were found
        for fp in app.ins.funcs.values():
            code = lower_function(app.module, fp.func - len(app.module.imported("func")))
            for p in fp.points:                           # every pc is a resume point
                assert p.pc in code.pc_at


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_same_results_without_unwind(request, case):
    which, name, n = case
    app = _app(request, which)
    store = wasmtime.Store(app.engine)
    orig = wasmtime.Instance(store, wasmtime.Module(app.engine, app.data), [])
    want = orig.exports(store)[name](store, n) & M64
    mem = orig.exports(store)["memory"]
    want_mem = bytes(mem.read(store, 0, mem.data_len(store)))
    for budget, default in ((1, False), (7, False), (100000, False), (1, True), (50, True)):
        nat = app.native(budget, default)
        kind, res = nat.call(app.exports[name], [n])
        assert kind == "done" and res[0] & M64 == want
        assert nat.memory() == want_mem
        if budget == 1 and not default:
            assert nat.poller.polls > 0                  # the checks really ran
    assert app.interp_instance().invoke(name, n)[0] & M64 == want


# ------------------------------------------------------ (b) unwind -> interpreter resume

def _unwind_at(app, name, n, k):
    nat = app.native()
    nat.poller.unwind_at = k
    kind, records = nat.call(app.exports[name], [n])
    assert kind == "unwound", "no unwind at poll %d" % k
    assert all(isinstance(r, tier2.Record) for r in records)
    return nat, records


def _points(app, name, n, count, seed):
    _, _, polls = app.expected(name, n)
    rng = random.Random(seed)
    return sorted(rng.sample(range(1, polls + 1), min(count, polls)))


UNWINDS = 0


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_unwind_resumes_in_the_interpreter(request, case):
    """Native unwinds at random safe-point hits; the frames go through a real snapshot
    (capture, encode, decode, restore) into a fresh interpreter instance, in tier 0 or 1."""
    global UNWINDS
    which, name, n = case
    app = _app(request, which)
    want, want_mem, _ = app.expected(name, n)
    for j, k in enumerate(_points(app, name, n, 5, hash(name) & 0xFFFF)):
        nat, records = _unwind_at(app, name, n, k)
        inst = app.interp_instance()
        nat.store_to(inst)
        frames = tier2.frames_from_records(records, app.ins.funcs, inst)
        assert len(frames) == len(records)
        snap = snapfmt.decode(snapfmt.encode(ckpt.capture(frames, inst)))
        machine = Machine(tier1_threshold=None if j % 2 else 0)
        inst2, frames2 = ckpt.restore(snap, app.module, {}, machine=machine)
        res = inst2.machine.resume(frames2)
        assert res[0] & M64 == want, "unwind at poll %d" % k
        assert bytes(inst2.mems[0].data) == want_mem
        UNWINDS += 1


def test_at_least_50_unwinds_were_checked():
    assert UNWINDS >= 50


def test_floats_spill_nan_payloads_exactly(kernels):
    """The f32/f64 locals of `floats` hold signalling NaNs with payloads: the frame has them
    bit for bit (the kernel only moves them with neg/copysign/abs)."""
    seen = set()
    for k in (3, 10, 41, 77):
        nat, records = _unwind_at(kernels, "floats", 150, k)
        frames = tier2.frames_from_records(records, kernels.ins.funcs, kernels.interp_instance())
        fp = kernels.ins.funcs[frames[-1]["func"]]
        for t, v in zip(fp.local_types, frames[-1]["locals"]):
            if t == interp.opcodes.F32 and v != v:
                seen.add(f32_to_bits(v) & 0x7FFFFFFF)
            elif t == interp.opcodes.F64 and v != v:
                seen.add(f64_to_bits(v) & 0x7FFFFFFFFFFFFFFF)
    assert 0x7FA00123 in seen and 0x7FF4000000000ABC in seen


def _key(frames, ins):
    """Frames as comparable tuples, the locals dead at each frame's safe point left out (a
    spill writes them as zeros: the frame goes on the same with any value there)."""
    out = []
    for i, d in enumerate(frames):
        fp = ins.funcs[d["func"]]
        k = fp.call_at[d["pc"]] if i + 1 < len(frames) else fp.loop_at[d["pc"]]
        live = fp.point(k).live
        out.append((d["func"], d["pc"], tuple(v if live >> j & 1 else None
                                              for j, v in enumerate(d["locals"])),
                    tuple(d["stack"])))
    return tuple(out)


@pytest.mark.parametrize("name,n", [("sieve", 30), ("nested", 6), ("matmul", 3)])
def test_unwound_frames_are_the_frames_tier0_captures(kernels, name, n):
    """Every state tier 0 stops in (back-edges and calls, polled at each) is a state the
    native side unwinds in, frame for frame: same pcs, live locals and stacks."""
    native = set()
    _, _, polls = kernels.expected(name, n)
    for k in range(1, polls + 1):
        nat, records = _unwind_at(kernels, name, n, k)
        native.add(_key(tier2.frames_from_records(records, kernels.ins.funcs,
                                                   kernels.interp_instance()), kernels.ins))
    matched = 0
    for j in range(2, 200):
        inst, frames = _interp_stop(kernels, name, n, False, j, check_every=1)
        if frames is None:
            break
        top = frames[-1]
        code = lower_function(kernels.module, top["func"] - len(kernels.module.imported("func")))
        if top["pc"] == code.offsets[0]:
            continue                          # at a callee's entry: no native safe point
        assert _key(frames, kernels.ins) in native, "tier-0 stop %d" % j
        matched += 1
    assert matched >= 5


# --------------------------------------------- (c) interpreter frames -> native rewind

def _interp_stop(app, name, n, tier1, k, check_every):
    m = Machine(tier1_threshold=0 if tier1 else None, check_every=check_every)
    inst = app.interp_instance(m)
    polls = [0]

    def poll():
        polls[0] += 1
        return polls[0] >= k
    m.poll = poll
    try:
        inst.invoke(name, n)
    except Suspended as s:
        return inst, s.frames
    finally:
        m.poll = None
    return inst, None          # finished before the k-th poll


@pytest.mark.parametrize("tier1", [False, True], ids=["tier0", "tier1"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_interpreter_frames_rewind_natively(request, case, tier1):
    which, name, n = case
    app = _app(request, which)
    want, want_mem, _ = app.expected(name, n)
    rewound = 0
    for k in (1, 2, 5, 13, 40):
        inst, frames = _interp_stop(app, name, n, tier1, k, check_every=3)
        if frames is None:
            continue                                   # finished before the k-th poll
        if tier1 and k > 1:
            assert any(d.get("tier") == "tier1" for d in frames)
        plan, frames = _plan_or_run_on(inst, frames, app)
        if plan is None:
            continue
        nat = app.native(budget=5)
        nat.load_from(inst)
        kind, res = nat.rewind(plan)
        assert kind == "done" and res[0] & M64 == want, "stop at poll %d" % k
        assert nat.memory() == want_mem
        rewound += 1
    assert rewound >= 2


def _plan_or_run_on(inst, frames, app):
    """The RewindPlan of interpreter frames; when they are not at safe points of the
    instrumented code (a frame in a call of a callee that cannot unwind: a bounded helper),
    the interpreter runs on to its next safe point and the plan is tried again, as a host
    would. (None, None) when it finishes first."""
    m = inst.machine
    try:
        return tier2.rewind_plan(frames, app.ins.funcs, inst), frames
    except tier2.NotRewindable:
        pass

    def rewindable():
        try:
            tier2.rewind_plan(m.capture(), app.ins.funcs, inst)
            return True
        except tier2.NotRewindable:
            return False
    m.poll = rewindable
    try:
        m.resume(frames)
        return None, None
    except Suspended as s:
        return tier2.rewind_plan(s.frames, app.ins.funcs, inst), s.frames
    finally:
        m.poll = None


# --------------------------------------------------------- (d) native unwind -> rewind

@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_native_unwind_then_native_rewind(request, case):
    which, name, n = case
    app = _app(request, which)
    want, want_mem, polls = app.expected(name, n)
    # through interpreter frames, into a fresh native instance
    for k in _points(app, name, n, 3, 7):
        nat, records = _unwind_at(app, name, n, k)
        inst = app.interp_instance()
        nat.store_to(inst)
        frames = tier2.frames_from_records(records, app.ins.funcs, inst)
        plan = tier2.rewind_plan(frames, app.ins.funcs, inst)
        nat2 = app.native()
        nat2.load_from(inst)
        kind, res = nat2.rewind(plan)
        assert kind == "done" and res[0] & M64 == want
        assert nat2.memory() == want_mem
    # checkpoint-and-continue: unwind and rewind in place, again and again
    nat = app.native()
    step = max(1, polls // 6)
    nat.poller.unwind_at = step
    kind, out = nat.call(app.exports[name], [n])
    rounds = 0
    while kind == "unwound":
        rounds += 1
        nat.poller.polls = 0
        nat.poller.unwind_at = step
        kind, out = nat.rewind(tier2.continue_records(out, app.ins.funcs))
    assert out[0] & M64 == want and nat.memory() == want_mem
    assert rounds >= 3


# ------------------------------------------------------------------ plans and refusals

def test_entry_frames_become_fresh_calls(kernels):
    """A tier-0 capture at a callee's entry rewinds as its caller's call, made afresh with the
    arguments (the callee need not be instrumented: `leaf` has no safe point)."""
    app = kernels
    want, want_mem, _ = app.expected("nested", 40)
    leaf = [i for i, nm in app.module.func_names.items() if nm == "leaf"]
    seen_leaf = False
    fresh = 0
    for k in range(1, 120, 3):
        inst, frames = _interp_stop(app, "nested", 40, False, k, check_every=1)
        if frames is None:
            break
        top = frames[-1]
        code = lower_function(app.module, top["func"] - len(app.module.imported("func")))
        if top["pc"] == code.offsets[0] and len(frames) > 1:
            seen_leaf |= top["func"] in leaf
            plan = tier2.rewind_plan(frames, app.ins.funcs, inst)
            assert plan.records[-1].values[-1 - code.nparams] == 1   # the "fresh" flag
            nat = app.native()
            nat.load_from(inst)
            kind, res = nat.rewind(plan)
            assert res[0] & M64 == want and nat.memory() == want_mem
            fresh += 1
    assert fresh >= 5 and seen_leaf and leaf[0] not in app.ins.funcs


def test_a_single_entry_frame_is_a_plain_call(kernels):
    inst = kernels.interp_instance()
    f = kernels.exports["fib"]
    code = lower_function(kernels.module, f - len(kernels.module.imported("func")))
    frame = {"func": f, "instance": inst, "pc": code.offsets[0], "locals": [10] + code.zeros,
             "stack": []}
    plan = tier2.rewind_plan([frame], kernels.ins.funcs, inst)
    assert plan.records == [] and plan.func == f and plan.args == [10]
    assert kernels.native().rewind(plan) == ("done", [55])


def test_not_rewindable(kernels):
    inst, frames = _interp_stop(kernels, "sieve", 100, False, 3, check_every=1)
    bad = [dict(frames[-1], pc=frames[-1]["pc"] + 1)]
    with pytest.raises(tier2.NotRewindable):
        tier2.rewind_plan(bad, kernels.ins.funcs, inst)
    with pytest.raises(tier2.NotRewindable):
        tier2.rewind_plan(frames, {}, inst)
    other = kernels.interp_instance()
    with pytest.raises(tier2.NotRewindable):
        tier2.rewind_plan(frames, kernels.ins.funcs, other)
    feeder = tier2.RewindFeeder([tier2.Record(5, 1, [1])])
    with pytest.raises(tier2.NotRewindable):
        feeder.rewind_begin(4)


def test_reference_locals_are_not_instrumented_nor_their_callers(tmp_path):
    if not shutil.which("wat2wasm"):
        pytest.skip("wat2wasm missing")
    src = tmp_path / "r.wat"
    src.write_text("""(module
      (func $r (param i32) (result i32) (local funcref)
        (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))) (local.get 0))
      (func $caller (param i32) (result i32) (call $r (local.get 0)))
      (func $plain (param i32) (result i32)
        (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))) (local.get 0)))""")
    subprocess.run(["wat2wasm", str(src), "-o", str(tmp_path / "r.wasm")], check=True)
    m = interp.decode((tmp_path / "r.wasm").read_bytes())
    ins = instrument(m, [0, 1, 2])
    assert "reference" in ins.skipped[0]
    assert "reaches function 0" in ins.skipped[1]
    assert set(ins.funcs) == {2}
    ins = instrument(m, [1])                 # not closed under callees: nothing to do
    assert 1 in ins.skipped and not ins.funcs
    with pytest.raises(ValueError):
        instrument(m, [7])


def test_function_indices_move_past_the_helpers(kernels):
    m = decode_module(kernels.ins.data)
    names = m.func_names
    for i, name in kernels.module.func_names.items():
        assert names[kernels.ins.new_index(i)] == name
    assert [imp.name for imp in m.imports[:7]] == [h[0] for h in interp.instrument.HELPERS]


# ------------------------------------------------- imports that unwind (host makes them)

def _tick(calls):
    def tick(i, h):
        i, h = i & 0xFFFFFFFF, h & M64        # (the interpreter's host calls pass them signed)
        calls.append((i, h))
        return ((h * 6364136223846793005 + i) ^ (h >> 11)) & M64
    return tick


def test_import_calls_unwind_and_the_host_makes_them():
    """With import_unwind, every call of env.tick stops the native side before the call (its
    arguments on the stack, in a loop, in a recursion with values below the arguments). The
    host makes the call and goes on natively (after_import, continue_records), or hands the
    frames to the interpreter, which makes it: the same calls, the same result as the
    original module."""
    app_path = build_wat("imports")
    m = interp.decode(app_path.read_bytes())
    ft = m.types[m.imports[0].desc]
    expected_calls = []
    host = interp.HostFunc(ft, lambda i, h: interp.runtime.from_internal(
        interp.opcodes.I64, _tick(expected_calls)(i, h)))
    want = interp.instantiate(m, {"env": {"tick": host}}).invoke("work", 6)[0] & M64
    assert len(expected_calls) > 6
    ins = instrument(m, [1, 2], import_unwind=[0])
    assert 1 in ins.unwinding and 2 in ins.unwinding
    engine = wasmtime.Engine()

    def define(linker, store):
        def refuse(*a):
            raise AssertionError("the native side made an import call itself")
        linker.define(store, "env", "tick", wasmtime.Func(store, wasmtime.FuncType(
            [wasmtime.ValType.i32(), wasmtime.ValType.i64()], [wasmtime.ValType.i64()]),
            refuse))
    # native: every import call is an unwind, the host makes it and rewinds
    calls = []
    tick = _tick(calls)
    nat = NativeT2(ins, budget=1000, engine=engine, define=define)
    kind, out = nat.call(2, [6])
    rounds = 0
    while kind == "unwound":
        func, args = tier2.import_call(out, ins.funcs)
        assert func == 0
        records = tier2.after_import(out, ins.funcs, [tick(*args)])
        kind, out = nat.rewind(tier2.continue_records(records, ins.funcs))
        rounds += 1
    assert out[0] & M64 == want
    assert calls == expected_calls and rounds == len(calls)
    # the interpreter makes the call: the frames stop at the call instruction
    for k in (1, 3, len(expected_calls)):
        calls = []
        nat = NativeT2(ins, budget=1000, engine=engine, define=define)
        kind, out = nat.call(2, [6])
        for _ in range(k - 1):
            records = tier2.after_import(out, ins.funcs, [_tick(calls)(*tier2.import_call(
                out, ins.funcs)[1])])
            kind, out = nat.rewind(tier2.continue_records(records, ins.funcs))
        assert kind == "unwound"
        host = interp.HostFunc(ft, lambda i, h: interp.runtime.from_internal(
            interp.opcodes.I64, _tick(calls)(i, h)))
        inst = interp.instantiate(m, {"env": {"tick": host}})
        nat.store_to(inst)
        frames = tier2.frames_from_records(out, ins.funcs, inst)
        assert frames[-1]["pc"] == ins.funcs[frames[-1]["func"]].point(out[0].point).call_pc
        snap = snapfmt.decode(snapfmt.encode(ckpt.capture(frames, inst)))
        inst2, frames2 = ckpt.restore(snap, m, {"env": {"tick": host}})
        assert inst2.machine.resume(frames2)[0] & M64 == want
        assert calls == expected_calls
    # refusals: such an unwind cannot simply continue; import_unwind names imports only
    nat = NativeT2(ins, budget=1000, engine=engine, define=define)
    kind, out = nat.call(2, [6])
    with pytest.raises(tier2.NotRewindable):
        tier2.continue_records(out, ins.funcs)
    with pytest.raises(ValueError):
        instrument(m, [1, 2], import_unwind=[1])


# ----------------------------------------------------------------- Node (V8) as the engine

def _node(job, tmp_path):
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job))
    proc = subprocess.run(["node", str(ROOT / "tests" / "tier2_node.mjs"), str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.skipif(not shutil.which("node"), reason="node missing")
@pytest.mark.parametrize("case", [("kernels", "fib", 13), ("kernels", "floats", 150),
                                  ("kernels", "indirect", 150), ("kernels", "grow", 4),
                                  ("stacks", "pairs", 9), ("stacks", "nan_param", 9)],
                         ids=_ids)
def test_node_spills_what_wasmtime_spills_and_rewinds(request, case, tmp_path):
    """The same instrumented module under V8: the records of an unwind at the same safe-point
    hit are wasmtime's, value for value (NaN bits included); the rewind in a fresh Node
    instance (memory and globals carried over) finishes with the same result and memory."""
    which, name, n = case
    app = _app(request, which)
    want, want_mem, polls = app.expected(name, n)
    wasm = tmp_path / "app.wasm"
    wasm.write_bytes(app.ins.data)
    from interp.offload import EXPORT_PREFIX as PREFIX
    for k in _points(app, name, n, 2, 3):
        _, records = _unwind_at(app, name, n, k)
        out = _node({"wasm": str(wasm), "export": PREFIX + "f%d" % app.exports[name],
                     "args": [n], "unwind_at": k, "budget": 1}, tmp_path)
        assert out["kind"] == "unwound"
        got = [tier2.Record(f, p, [int(v) for v in vals]) for f, p, vals in out["records"]]
        assert got == records
        plan = tier2.continue_records(got, app.ins.funcs)
        gtypes = app.module.global_types()
        job = {"wasm": str(wasm), "export": PREFIX + "f%d" % plan.func, "args": plan.args,
               "unwind_at": None, "budget": 3, "memory": out["memory"], "state": 2,
               "globals": {g: v for g, v in out["globals"].items()
                           if gtypes[int(g[len(PREFIX) + 1:])].mutable},
               "records": [[r.func, r.point, [str(v) for v in r.values]]
                           for r in plan.records]}
        done = _node(job, tmp_path)
        assert done["kind"] == "done" and int(done["results"][0]) & M64 == want
        import base64
        assert base64.b64decode(done["memory"]) == want_mem


# --------------------------------------- real programs: checkpoint-and-continue natively

REAL_CASES = {
    "lz4_roundtrip": lambda d: ["lz4_roundtrip", d + "/input.bin", d],
    "zstd_roundtrip": lambda d: ["zstd_roundtrip", d + "/input.bin", d],
    "brotli": lambda d: ["brotli", "-q", "5", "-k", d + "/input.bin", "-o",
                         d + "/input.bin.br"],
}


def _run_wasi(make, argv, box, tmp, tag):
    """Run a WASI command (``make(linker, store)`` instantiates it) in wasmtime-py; returns
    (exit code, stdout, the files of box)."""
    store = wasmtime.Store(ENGINE_REAL)
    cfg = wasmtime.WasiConfig()
    cfg.argv = argv
    cfg.preopen_dir(str(box), "/data")
    cfg.stdout_file = str(tmp / (tag + ".out"))
    cfg.stderr_file = str(tmp / (tag + ".err"))
    store.set_wasi(cfg)
    linker = wasmtime.Linker(ENGINE_REAL)
    linker.define_wasi()
    code = 0
    try:
        make(linker, store)
    except wasmtime.ExitTrap as e:
        code = e.code
    files = {p.name: p.read_bytes() for p in sorted(box.iterdir())}
    return code, (tmp / (tag + ".out")).read_bytes(), files


ENGINE_REAL = None


@pytest.mark.slow
@pytest.mark.parametrize("program", sorted(REAL_CASES))
def test_real_program_unwound_and_rewound_natively_again_and_again(program, tmp_path):
    """A real C program (tests/real), every function instrumented, run under wasmtime-py's
    WASI: unwound at every 3rd poll and rewound in place at once (checkpoint-and-continue),
    it writes the same output as the original module."""
    global ENGINE_REAL
    from tests.real.build import Unavailable, build_program
    from tests.test_real_programs import INPUT
    try:
        path = build_program(program)
    except Unavailable as e:
        pytest.skip("real program unavailable: %s" % e)
    ENGINE_REAL = ENGINE_REAL or wasmtime.Engine()
    data = Path(path).read_bytes()
    m = interp.decode(data)
    nimp = len(m.imported("func"))
    ins = instrument(m, range(nimp, nimp + len(m.funcs)))
    assert not ins.skipped
    results = []
    unwinds = [0]
    for tag in ("original", "instrumented"):
        box = tmp_path / tag
        box.mkdir()
        (box / "input.bin").write_bytes(INPUT)

        def make(linker, store, tag=tag):
            if tag == "original":
                inst = linker.instantiate(store, wasmtime.Module(ENGINE_REAL, data))
                inst.exports(store)["_start"](store)
                return
            nat = NativeT2(ins, budget=2, engine=ENGINE_REAL, store=store,
                           define=lambda lk, st: lk.define_wasi())
            polls = [0]

            def every_third():
                polls[0] += 1
                return 0 if polls[0] % 3 == 0 else 2
            nat.poller = every_third
            kind, out = nat.call_export("_start")
            while kind == "unwound":
                unwinds[0] += 1
                kind, out = nat.rewind(tier2.continue_records(out, ins.funcs))
        results.append(_run_wasi(make, REAL_CASES[program]("/data"), box, tmp_path, tag))
    assert results[0] == results[1]
    assert results[0][0] == 0 and len(results[0][2]) > 1
    assert unwinds[0] >= 10


# ---------------------------------------------------------------- the spec suite (slow)

@pytest.mark.slow
@pytest.mark.skipif(not SUITE.is_dir(), reason="spec suite missing (../shared/wasm-testsuite)")
@pytest.mark.skipif(not shutil.which("wast2json"), reason="wast2json missing")
def test_spec_suite_with_every_function_instrumented():
    from tests import spec
    from tests.tier2_spec import run_suite
    paths = [spec.convert(str(p)) for p in sorted(SUITE.glob("*.wast"))
             if not p.name.startswith("simd")]
    stats = run_suite(paths)
    assert not stats.failures, "\n".join(stats.failures[:30])
    assert stats.invokes > 20000 and stats.expected_ok > 18000
    assert stats.functions > 600 and stats.instrumented_calls > 3000
    assert stats.unwinds > 1000


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))


def test_safe_point_map_words_round_trip():
    """points_to_words / points_from_words (the doorbell's POINTS op) keep every field of
    every safe point: liveness past 64 locals, call_indirect, imports, floats on the stack."""
    from interp.instrument_plan import points_from_words, points_to_words
    many = " ".join(["i64"] * 70)
    wat = """(module
      (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))
      (type $t (func (param f64) (result f64)))
      (table 1 funcref) (elem (i32.const 0) $g)
      (func $g (type $t) (local.get 0))
      (func $f (export "f") (param i32) (result f64) (local %s) (local f64)
        (loop $l
          (local.set 70 (i64.add (local.get 70) (i64.const 1)))
          (local.set 71 (call_indirect (type $t) (f64.const 1.5) (i32.const 0)))
          (drop (call $y))
          (br_if $l (i32.eqz (i32.wrap_i64 (local.get 70)))))
        (f64.add (local.get 71) (f64.convert_i64_s (local.get 70)))))""" % many
    module = decode_module(bytes(wasmtime.wat2wasm(wat)))
    made = instrument(module, [1, 2], import_unwind=[0])
    fp = made.funcs[2]
    kinds = {p.kind for p in fp.points}
    assert {"loop", "call", "return", "import"} <= kinds
    assert any(p.indirect for p in fp.points) and any(p.live >> 64 for p in fp.points)
    got = points_from_words(points_to_words(fp))
    assert (got.func, got.local_types, got.nparams, got.entry_pc) == (
        fp.func, fp.local_types, fp.nparams, fp.entry_pc)
    assert [[getattr(p, k) for k in p.__slots__] for p in got.points] == \
        [[getattr(p, k) for k in p.__slots__] for p in fp.points]
    assert points_from_words(points_to_words(None)) is None
