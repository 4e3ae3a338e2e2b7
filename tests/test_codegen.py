"""Tier 1 (interp/tier1*.py + the driver in interp/machine.py): generated Python per function.

* the official spec suite with every function forced into tier 1 (SELFHOST_TIER1_THRESHOLD=0);
* the C kernels give the same results in both tiers, and really run in tier 1;
* checkpoints taken while tier-1 frames run (loops with float state, deep recursion, after
  memory.grow) resume exactly in a fresh instance (through checkpoint.capture/restore);
* tier-0 and tier-1 frames mix (host calls, another instance, call_indirect, a function that
  stays in tier 0), the call depth limit, the tiering policy, safe-point latency.

Speed, tier 0 vs tier 1 side by side: ``python -m tests.test_codegen`` (fuel-counted Wasm
instructions from wasmtime, CPU time best of 3).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from tests import support

import interp
from checkpoint import capture as ckpt
from interp import tier1
from interp.config import Config
from interp.tier1_emit import _Plan
from interp.decode import decode_module
from interp.errors import Trap
from interp.machine import Machine, Suspended
from interp.module import FuncType
from interp.opcodes import I32
from interp.runtime import HostFunc, instantiate
from interp.codemap import CodeMap
from interp.validate import validate_module

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KERNELS_C = os.path.join(HERE, "kernels", "kernels.c")
SUITE = os.path.join(os.path.dirname(ROOT), "shared", "wasm-testsuite")

needs_wat2wasm = pytest.mark.skipif(not shutil.which("wat2wasm"), reason="wat2wasm missing")


def decode(data):
    module = decode_module(bytes(data))
    module.codemap = CodeMap(validate_module(module))
    return module


def wat(tmp_path, text, name="m"):
    return decode(support.wat2wasm(text, tmp_path / (name + ".wasm"), "--enable-all").read_bytes())

def build_kernels(out):
    """The freestanding C kernels (cached by content; ``out`` is ignored)."""
    return str(support.build_c(KERNELS_C, support.CACHE / "kernels", support.FREESTANDING_CFLAGS))

@pytest.fixture(scope="module")
def kernels_wasm(tmp_path_factory):
    try:
        import ziglang  # noqa: F401
    except ImportError:
        pytest.skip("ziglang missing")
    return open(build_kernels(str(tmp_path_factory.mktemp("k") / "kernels.wasm")), "rb").read()


def tier1_machine(**kw):
    kw.setdefault("tier1_threshold", 0)
    return Machine(**kw)


def in_tier1(inst, name):
    """Is exported function `name` compiled and bound in tier 1 for `inst`?"""
    f = inst.exports[name]
    return tier1.tables(inst).gens[f.defined_index] is not None


# ------------------------------------------------------------------------------ spec suite

@pytest.mark.skipif(not os.path.isdir(SUITE), reason="spec suite missing")
@pytest.mark.skipif(not shutil.which("wast2json"), reason="wast2json missing")
def test_spec_suite_with_tier1_forced():
    env = dict(os.environ, SELFHOST_TIER1_THRESHOLD="0")
    code = ("import sys; from tests import spec\n"
            "rc = spec.main(['--exclude', 'simd_*'])\n"
            "print('COMPILED', spec.LAST_API.stats.get('functions', 0), "
            "spec.LAST_API.stats.get('skipped', 0))\n"
            "sys.exit(rc)\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=1800)
    lines = p.stdout.strip().splitlines()
    summary = [ln for ln in lines if ln.endswith("skipped") and "passed" in ln][-1]
    assert " 0 failed" in summary, "\n".join(lines[-40:]) + p.stderr[-3000:]
    passed = int(summary.split()[0])
    assert passed >= 26135, summary
    compiled, skipped = map(int, lines[-1].split()[1:])
    assert compiled > 3000 and skipped == 0, lines[-1]  # it really ran in tier 1
    assert p.returncode == 0


# --------------------------------------------------------------------------------- kernels

KERNEL_CALLS = [("fib", 20), ("depth", 3000), ("loop_sum", 20000), ("sieve", 20000),
                ("mix64", 20000), ("matmul", 16)]


def test_kernels_same_results_in_both_tiers(kernels_wasm):
    t0 = instantiate(decode(kernels_wasm), {}, machine=Machine(tier1_threshold=None))
    t1 = instantiate(decode(kernels_wasm), {}, machine=tier1_machine())
    for name, arg in KERNEL_CALLS:
        assert t1.invoke(name, arg) == t0.invoke(name, arg), name
        assert in_tier1(t1, name)
        assert not in_tier1(t0, name)


def test_tiering_policy_threshold(kernels_wasm):
    m = decode(kernels_wasm)
    inst = instantiate(m, {}, machine=Machine(tier1_threshold=5))
    fib = inst.exports["fib"]
    for _ in range(5):
        inst.invoke("fib", 1)  # no recursion: one call each
    assert not in_tier1(inst, "fib")
    inst.invoke("fib", 1)
    assert in_tier1(inst, "fib")
    code = m.codemap.lowered[fib.defined_index]
    assert code.t1 is not False and code.t1.seconds < 1.0
    # compiled once per module: a second instance binds the same Compiled
    inst2 = instantiate(m, {}, machine=Machine(tier1_threshold=0))
    assert inst2.invoke("fib", 15) == [610]
    assert m.codemap.lowered[fib.defined_index].t1 is code.t1
    # a loop running in tier 0 earns heat through the safe-point countdown
    inst3 = instantiate(decode(kernels_wasm), {},
                        machine=Machine(tier1_threshold=20_000, check_every=1000))
    inst3.invoke("loop_sum", 100_000)  # unrolled by 4: 25000 back-edges
    assert not in_tier1(inst3, "loop_sum")  # compiled at its next call, not on the stack
    inst3.invoke("loop_sum", 10)
    assert in_tier1(inst3, "loop_sum")


def test_env_var_sets_the_default_threshold():
    """The program maps SELFHOST_TIER1_THRESHOLD onto the engine's Config; the engine itself
    reads no environment."""
    from selfhost.config import ConfigError, engine_config
    assert Machine(engine_config({"SELFHOST_TIER1_THRESHOLD": "0"})).tier1_threshold == 0
    assert Machine(engine_config({"SELFHOST_TIER1_THRESHOLD": "off"})).tier1_threshold is None
    assert Machine(engine_config({})).tier1_threshold == Config().tier1_threshold
    assert Machine(tier1_threshold=7).tier1_threshold == 7
    with pytest.raises(ConfigError):
        engine_config({"SELFHOST_TIER1_THRESHOLD": "-3"})


def test_generated_source_is_readable(kernels_wasm, tmp_path):
    inst = instantiate(decode(kernels_wasm), {}, machine=tier1_machine(tier1_dump_dir=str(tmp_path)))
    inst.invoke("loop_sum", 10)
    comp = inst.module.codemap.lowered[inst.exports["loop_sum"].defined_index].t1
    src = comp.source
    assert "while True:" in src and "t -= 1" in src and "t = yield 0" in src
    assert "& 0xFFFFFFFF" in src and "push" not in src  # operand stack folded into locals
    files = os.listdir(str(tmp_path))
    assert any(f.endswith("-f%d.py" % inst.exports["loop_sum"].index) for f in files)
    compile(src, "x", "exec")


# ------------------------------------------------------------------ checkpoint and restore

def run_with_stop(inst, name, args, after_polls, check_every=1000):
    """Invoke until the machine stops at the `after_polls`-th safe point; the Suspended."""
    m = inst.machine
    m.check_every = check_every
    n = [0]

    def poll():
        n[0] += 1
        return n[0] >= after_polls
    m.poll = poll
    try:
        res = inst.invoke(name, *args)
    except Suspended as s:
        return s
    finally:
        m.poll = None
    raise AssertionError("finished without stopping: %r" % (res,))


def snapshot_round_trip(module, inst, frames):
    """Capture -> encode -> decode -> restore into a fresh instance; resume there."""
    from checkpoint import format as fmt
    snap = ckpt.capture(frames, inst)
    data = fmt.encode(snap) if hasattr(fmt, "encode") else None
    if data is not None:
        snap = fmt.decode(data)
    inst2, frames2 = ckpt.restore(snap, module, {}, machine=tier1_machine())
    return inst2, inst2.machine.resume(frames2)


@pytest.mark.parametrize("name,arg,polls", [("matmul", 32, 3), ("sieve", 100000, 5),
                                            ("mix64", 50000, 4), ("loop_sum", 60000, 7),
                                            ("fib", 18, 3), ("depth", 4000, 2)])
def test_checkpoint_in_tier1_resumes_exactly(kernels_wasm, name, arg, polls):
    module = decode(kernels_wasm)
    expected = instantiate(decode(kernels_wasm), {},
                           machine=Machine(tier1_threshold=None)).invoke(name, arg)
    inst = instantiate(module, {}, machine=tier1_machine())
    susp = run_with_stop(inst, name, (arg,), polls, check_every=500)
    frames = susp.frames
    assert any(d.get("tier") == "tier1" for d in frames)
    for d in frames:  # every pc is a tier-0 resume point
        code = module.codemap.lowered[d["func"] - (len(inst.funcs) - len(module.funcs))]
        assert d["pc"] in code.pc_at
    # resume in the same machine/instance, and in a fresh instance from a snapshot
    frames_copy = [dict(d) for d in frames]
    inst2, res2 = snapshot_round_trip(module, inst, frames)
    assert res2 == [interp.runtime.to_internal(inst.exports[name].type.results[0], expected[0])]
    assert inst.machine.resume(frames_copy) == res2


def test_tier1_and_tier0_capture_the_same_frames(kernels_wasm):
    """The same stop (same number of back-edges) taken in tier 0 and in tier 1 gives equal
    frame dicts (tier aside): loop headers are the same Wasm offsets, values are exact."""
    outs = []
    for thr in (None, 0):
        inst = instantiate(decode(kernels_wasm), {}, machine=Machine(tier1_threshold=thr))
        susp = run_with_stop(inst, "mix64", (30000,), 3, check_every=1000)
        outs.append([{k: v for k, v in d.items() if k not in ("tier", "instance")}
                     for d in susp.frames])
    # tier 1 counts only back-edges within the frame, tier 0 also the entry call: compare
    # structure (pc) and the loop state's types, then the full state after aligning
    assert [d["pc"] for d in outs[0]] == [d["pc"] for d in outs[1]]
    assert [len(d["locals"]) for d in outs[0]] == [len(d["locals"]) for d in outs[1]]


MEMGROW = r"""
(module
  (memory 1)
  (func $fill (param $base i32) (param $n i32) (local $i i32)
    (loop $l
      (i32.store (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))
                 (i32.mul (local.get $i) (i32.const 2654435761)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
  (func $sum (param $base i32) (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.xor (i32.rotl (local.get $s) (i32.const 5))
                     (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "run") (param $n i32) (result i32) (local $base i32)
    ;; grow by 2 pages, fill the new pages, sum them (with a float accumulator as a check)
    (local.set $base (i32.shl (memory.grow (i32.const 2)) (i32.const 16)))
    (call $fill (local.get $base) (local.get $n))
    (call $sum (local.get $base) (local.get $n)))
)
"""


@needs_wat2wasm
def test_checkpoint_after_memory_grow(tmp_path):
    module = wat(tmp_path, MEMGROW)
    expected = instantiate(wat(tmp_path, MEMGROW, "m2"), {},
                           machine=Machine(tier1_threshold=None)).invoke("run", 30000)
    inst = instantiate(module, {}, machine=tier1_machine())
    susp = run_with_stop(inst, "run", (30000,), 20, check_every=1000)
    assert inst.mems[0].pages == 3
    assert susp.frames[-1]["tier"] == "tier1"
    inst2, res = snapshot_round_trip(module, inst, susp.frames)
    assert inst2.mems[0].pages == 3
    assert [interp.runtime.from_internal(I32, res[0])] == expected


FLOATLOOP = r"""
(module
  (func (export "run") (param $n i32) (result f64) (local $x f64) (local $y f32) (local $i i32)
    (local.set $x (f64.const 0.1))
    (local.set $y (f32.const 1.5))
    (loop $l
      (local.set $x (f64.add (f64.mul (local.get $x) (f64.const 1.0000001))
                             (f64.convert_i32_u (local.get $i))))
      (local.set $y (f32.sqrt (f32.add (local.get $y) (f32.demote_f64 (local.get $x)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (f64.add (local.get $x) (f64.promote_f32 (local.get $y))))
)
"""


@needs_wat2wasm
def test_checkpoint_float_state_exact(tmp_path):
    module = wat(tmp_path, FLOATLOOP)
    expected = instantiate(wat(tmp_path, FLOATLOOP, "m2"), {},
                           machine=Machine(tier1_threshold=None)).invoke("run", 50000)
    inst = instantiate(module, {}, machine=tier1_machine())
    susp = run_with_stop(inst, "run", (50000,), 10, check_every=997)
    (fr,) = susp.frames
    assert fr["tier"] == "tier1" and isinstance(fr["locals"][1], float)
    _, res = snapshot_round_trip(module, inst, susp.frames)
    assert res == expected  # bit-exact f64


# ---------------------------------------------------------------------- mixing and limits

MIXED = r"""
(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (import "other" "add3" (func $add3 (param i32) (result i32)))
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $inc $deep)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $deep (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1)
              (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1))))))
  (func (export "mix") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (call $twice (call $add3 (call_indirect (type $t) (local.get $i) (i32.const 0))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "deep") (param i32) (result i32)
    (call_indirect (type $t) (local.get 0) (i32.const 1)))
  (func (export "bad") (param i32) (result i32)
    (call_indirect (type $t) (i32.const 0) (local.get 0)))
)
"""
OTHER = r"""
(module
  (func (export "add3") (param i32) (result i32)
    (local $i i32)
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
    (i32.add (local.get 0) (local.get $i)))
)
"""


def mixed(tmp_path, thr_main, thr_other, **kw):
    other = instantiate(wat(tmp_path, OTHER, "other"), {},
                        machine=Machine(tier1_threshold=thr_other))
    twice = HostFunc(FuncType((I32,), (I32,)), lambda x: x * 2)
    return instantiate(wat(tmp_path, MIXED), {"env": {"twice": twice},
                                              "other": {"add3": other.exports["add3"]}},
                       machine=Machine(tier1_threshold=thr_main, **kw)), other


@needs_wat2wasm
@pytest.mark.parametrize("thr_main,thr_other", [(0, 0), (0, None), (None, 0), (2, 1)])
def test_mixed_tiers_host_and_cross_instance(tmp_path, thr_main, thr_other):
    inst, other = mixed(tmp_path, thr_main, thr_other)
    want = sum(2 * (i + 1 + 3) for i in range(50))
    assert inst.invoke("mix", 50) == [want]
    assert inst.invoke("deep", 300) == [300]
    with pytest.raises(Trap, match="undefined element"):
        inst.invoke("bad", 5)
    if thr_main == 0:
        assert in_tier1(inst, "mix")


@needs_wat2wasm
def test_tier1_calls_a_function_that_stays_in_tier0(tmp_path, monkeypatch):
    real = tier1.compile_function

    def refuse_inc(module, k, osr=None, dump_dir=None):
        if module.funcs[k].body and k == 0:  # $inc (defined index 0) stays in tier 0
            raise tier1.Unsupported("test")
        return real(module, k, osr, dump_dir)
    monkeypatch.setattr(tier1, "compile_function", refuse_inc)
    inst, _ = mixed(tmp_path, 0, 0)
    assert inst.invoke("mix", 10) == [sum(2 * (i + 4) for i in range(10))]
    assert in_tier1(inst, "mix") and not tier1.tables(inst).gens[0]
    # and a checkpoint with tier-0 and tier-1 frames interleaved resumes
    inst.machine.check_every = 3
    n = [0]
    inst.machine.poll = lambda: (n.__setitem__(0, n[0] + 1) or n[0] == 7)
    with pytest.raises(Suspended) as ei:
        inst.invoke("mix", 40)
    inst.machine.poll = None
    frames = ei.value.frames
    assert inst.machine.resume(frames) == [sum(2 * (i + 4) for i in range(40))]


@needs_wat2wasm
def test_call_depth_limit_in_tier1(tmp_path):
    inst, _ = mixed(tmp_path, 0, 0, max_call_depth=500)
    assert inst.invoke("deep", 450) == [450]
    with pytest.raises(Trap, match="call stack exhausted"):
        inst.invoke("deep", 600)
    assert inst.invoke("deep", 10) == [10]  # the machine is usable after the trap
    assert inst.machine.frames == [] and inst.machine.stack == []


def test_deep_recursion_no_python_recursion(kernels_wasm):
    inst = instantiate(decode(kernels_wasm), {}, machine=tier1_machine())
    limit = sys.getrecursionlimit()
    n = limit * 20
    ref = instantiate(decode(kernels_wasm), {}, machine=Machine(tier1_threshold=None))
    assert inst.invoke("depth", n) == ref.invoke("depth", n)
    inst2 = instantiate(decode(kernels_wasm), {}, machine=tier1_machine(max_call_depth=1000))
    with pytest.raises(Trap, match="call stack exhausted"):
        inst2.invoke("depth", 5000)


def test_safe_point_latency_in_tier1_loop(kernels_wasm):
    """A tier-1 loop reaches a safe point every check_every back-edges."""
    inst = instantiate(decode(kernels_wasm), {}, machine=tier1_machine(check_every=100))
    polls = [0]
    inst.machine.poll = lambda: polls.__setitem__(0, polls[0] + 1)
    inst.invoke("loop_sum", 100_000)  # one frame; the loop is unrolled by 4: 25000 back-edges
    assert 240 <= polls[0] <= 260


def test_traps_in_tier1(tmp_path):
    text = r"""
    (module (memory 1)
      (func (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "order") (param i32) (result i32)
        ;; an out-of-bounds load is evaluated before the division that also traps
        (i32.add (i32.load (local.get 0)) (i32.div_u (i32.const 1) (i32.const 0))))
      (func (export "store_then_trap") (param i32)
        (i32.store (i32.const 0) (i32.const 7))
        (drop (i32.load (local.get 0))))
      (func (export "peek") (result i32) (i32.load (i32.const 0))))
    """
    if not shutil.which("wat2wasm"):
        pytest.skip("wat2wasm missing")
    inst = instantiate(wat(tmp_path, text), {}, machine=tier1_machine())
    with pytest.raises(Trap, match="out of bounds memory access"):
        inst.invoke("oob", 65535)
    assert inst.invoke("oob", 65532) == [0]
    with pytest.raises(Trap, match="integer divide by zero"):
        inst.invoke("div", 1, 0)
    with pytest.raises(Trap, match="integer overflow"):
        inst.invoke("div", -2**31, -1)
    with pytest.raises(Trap, match="out of bounds memory access"):
        inst.invoke("order", 70000)
    with pytest.raises(Trap, match="out of bounds"):
        inst.invoke("store_then_trap", 1 << 20)
    assert inst.invoke("peek") == [7]


# ------------------------------------------------- on-stack replacement (tier 0 -> tier 1)

OSR_WAT = r"""
(module
  (memory 1)
  (func $h (param i32 i32) (result i32)
    (i32.xor (i32.mul (local.get 0) (i32.const 40503)) (local.get 1)))
  (func (export "nested") (param $n i32) (result i64) (local $i i32) (local $j i32) (local $s i64)
    (loop $outer
      (local.set $j (i32.const 0))
      (block $done
        (loop $inner
          (br_if $done (i32.ge_u (local.get $j) (local.get $i)))
          (local.set $s (i64.add (i64.mul (local.get $s) (i64.const 31))
                                 (i64.extend_i32_u (call $h (local.get $i) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $inner)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  ;; loops in both branches of an if/else, inside a loop with a parameter (live below them)
  (func (export "ifelse") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $s i32)
    (local.set $s (i32.const 3))
    (i32.const 7)
    (loop $outer (param i32) (result i32)
      (local.set $j (i32.const 0))
      (if (i32.and (local.get $i) (i32.const 1))
        (then
          (loop $inner
            (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 3)) (local.get $j)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.get $j) (i32.const 10)))))
        (else
          (local.set $s (i32.xor (local.get $s) (i32.const 5)))
          (loop $inner2
            (local.set $s (i32.add (local.get $s) (i32.const 3)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $inner2 (i32.lt_u (local.get $j) (i32.const 7))))))
      (i32.add (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (i32.add (local.get $s)))
  ;; operand values live below the loop's label
  (func (export "live") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (i32.const 7)
    (i32.const 100)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.sub)
    (i32.add (local.get $s)))
  ;; a loop with parameters (multi-value block type), a value live below them
  (func (export "params") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (i64.const 5)
    (i32.const 0)
    (i64.const 1)
    (loop $l (param i32 i64) (result i32 i64)
      (local.set $acc)
      (local.set $i)
      (i32.add (local.get $i) (i32.const 1))
      (i64.add (i64.mul (local.get $acc) (i64.const 3)) (i64.extend_i32_u (local.get $i)))
      (br_if $l (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $n))))
    (local.set $acc)
    (drop)
    (i64.add (local.get $acc)))
)
"""
OSR_CASES = [("nested", 70), ("ifelse", 1500), ("live", 20000), ("params", 20000)]


def osr_expected(tmp_path, text, name, arg, internal=True):
    """The result of an uninterrupted run in tier 0 (in internal form, as resume gives it)."""
    inst = instantiate(wat(tmp_path, text, "ref"), {}, machine=Machine(tier1_threshold=None))
    res = inst.invoke(name, arg)
    if not internal:
        return res
    return [interp.runtime.to_internal(t, v)
            for t, v in zip(inst.exports[name].type.results, res)]


@needs_wat2wasm
@pytest.mark.parametrize("name,arg", OSR_CASES)
def test_osr_long_first_call_switches_to_tier1_mid_call(tmp_path, name, arg):
    expected = osr_expected(tmp_path, OSR_WAT, name, arg, internal=False)
    m = Machine(tier1_threshold=1000, check_every=200)
    inst = instantiate(wat(tmp_path, OSR_WAT), {}, machine=m)
    before = inst.module.codemap.stats["osr"]
    assert inst.invoke(name, arg) == expected  # one call: it starts in tier 0
    assert m.osr_count >= 1 and inst.module.codemap.stats["osr"] > before
    assert not in_tier1(inst, name)  # not promoted by calls: OSR moved it
    assert m.frames == [] and m.stack == []


@needs_wat2wasm
def test_osr_variant_sites_map_like_the_normal_variant(tmp_path):
    """Every loop header of every function: the OSR variant compiles, and its safe points map
    to the same (Wasm pc, stack height) pairs as the normal variant's."""
    module = wat(tmp_path, OSR_WAT)
    assert sum(osr_variants_agree(module, k) for k in range(len(module.funcs))) == 7
    assert all("_osr" not in module.codemap.lowered[k].t1.source for k in range(len(module.funcs)))


@needs_wat2wasm
def test_osr_always_env_var(tmp_path):
    """SELFHOST_OSR=always (a test mode, e.g. for the spec suite; the program's
    selfhost/config.py maps it onto Config.osr_always): every tier-0 frame moves into tier 1
    at its first back-edge."""
    from selfhost.config import engine_config
    expected = osr_expected(tmp_path, OSR_WAT, "ifelse", 5, internal=False)
    m = Machine(engine_config({"SELFHOST_OSR": "always"}))
    assert m.osr_always and m.check_every == 1
    inst = instantiate(wat(tmp_path, OSR_WAT), {}, machine=m)
    assert inst.invoke("ifelse", 5) == expected and m.osr_count == 1


def osr_variants_agree(module, k):
    """Compile every OSR variant of defined function k; their safe points must map like the
    normal variant's. Returns how many."""
    comp = tier1.compiled(module, k)
    if comp is False:
        return 0
    code = module.codemap.lowered[k]
    body = module.funcs[k].body
    n = 0
    for i in _Plan(body, module.codemap.heights[k]).loops:
        if module.codemap.heights[k][i] < 0:
            continue
        var = tier1.compile_function(module, k, osr=code.offsets[code.pc_at[body[i][2]]])
        assert sorted(var.sites.values()) == sorted(comp.sites.values()), (k, i)
        assert "_osr = False" in var.source
        n += 1
    return n


@pytest.mark.skipif(not os.path.isdir(SUITE), reason="spec suite missing")
@pytest.mark.skipif(not shutil.which("wast2json"), reason="wast2json missing")
def test_osr_variants_of_every_spec_suite_loop():
    """Generation check for all loops of the suite (SELFHOST_OSR=always runs the suite with
    OSR at every first back-edge, but few spec loops iterate)."""
    import glob
    import json
    from tests import spec
    n = 0
    for wast in sorted(glob.glob(os.path.join(SUITE, "*.wast"))):
        if os.path.basename(wast).startswith("simd_"):
            continue
        json_path = spec.convert(wast)
        for cmd in json.load(open(json_path))["commands"]:
            if cmd["type"] != "module" or not cmd["filename"].endswith(".wasm"):
                continue
            data = open(os.path.join(os.path.dirname(json_path), cmd["filename"]), "rb").read()
            try:
                module = decode(data)
            except Exception:
                continue
            for k in range(len(module.funcs)):
                n += osr_variants_agree(module, k)
    assert n > 50, n  # 63 in the suite of 2026-11


@needs_wat2wasm
@pytest.mark.parametrize("name,arg", OSR_CASES)
@pytest.mark.parametrize("polls", [4, 9, 25])
def test_checkpoint_in_osr_variant_restores_exactly(tmp_path, name, arg, polls):
    module = wat(tmp_path, OSR_WAT)
    expected = osr_expected(tmp_path, OSR_WAT, name, arg)
    m = Machine(tier1_threshold=100)
    inst = instantiate(module, {}, machine=m)
    susp = run_with_stop(inst, name, (arg,), polls, check_every=40)
    assert m.osr_count == 1
    # the bottom frame is the only call of `name`: in tier 1 only through OSR
    assert susp.frames[0]["tier"] == "tier1"
    copies = [[dict(d) for d in susp.frames] for _ in range(2)]
    _, res = snapshot_round_trip(module, inst, susp.frames)
    assert res == expected
    # the same frames resumed in tier 0, and in this machine
    m0 = Machine(tier1_threshold=None)
    inst0, frames0 = ckpt.restore(ckpt.capture(copies[0], inst), module, {}, machine=m0)
    assert m0.resume(frames0) == expected
    assert m.resume(copies[1]) == expected


@needs_wat2wasm
def test_checkpoint_in_osr_variant_after_memory_grow(tmp_path):
    module = wat(tmp_path, MEMGROW)
    expected = osr_expected(tmp_path, MEMGROW, "run", 3000, internal=False)
    m = Machine(tier1_threshold=100)
    inst = instantiate(module, {}, machine=m)
    susp = run_with_stop(inst, "run", (3000,), 45, check_every=100)  # ~30 in each loop
    assert m.osr_count == 2  # $fill, then $sum: each called once
    assert susp.frames[-1]["func"] == 1 and susp.frames[-1]["tier"] == "tier1"
    inst2, res = snapshot_round_trip(module, inst, susp.frames)
    assert inst2.mems[0].pages == 3
    assert [interp.runtime.from_internal(I32, res[0])] == expected


@needs_wat2wasm
@pytest.mark.parametrize("name,arg,polls,nframes", [
    ("nested", 70, 3, 2), ("nested", 70, 4, 1), ("nested", 70, 5, 1), ("ifelse", 1500, 5, 1),
    ("live", 20000, 5, 1), ("params", 20000, 5, 1)])
def test_restored_frames_reenter_tier1_at_a_loop_header(tmp_path, name, arg, polls, nframes):
    """Captured in tier 0, resumed in a fresh machine with tier 1 on: the top frame (at a
    loop header) goes straight into its OSR variant; a frame below it (at a call site) moves
    at its next back-edge safe point. Results are those of an uninterrupted run."""
    module = wat(tmp_path, OSR_WAT)
    expected = osr_expected(tmp_path, OSR_WAT, name, arg)
    inst = instantiate(module, {}, machine=Machine(tier1_threshold=None))
    susp = run_with_stop(inst, name, (arg,), polls, check_every=100)
    assert all("tier" not in d for d in susp.frames) and len(susp.frames) == nframes
    snap = ckpt.capture(susp.frames, inst)
    m = Machine(tier1_threshold=1000, check_every=10**9)  # no safe point after the restore
    inst2, frames2 = ckpt.restore(snap, module, {}, machine=m)
    assert m.resume(frames2) == expected
    if nframes == 1:  # the loop's own frame on top, at a loop header: straight in
        assert m.osr_count == 1
    else:  # top: $h at its entry (stays in tier 0); below: at a call site, moves later
        assert m.osr_count == 0
        m2 = Machine(tier1_threshold=1000, check_every=50)
        inst3, frames3 = ckpt.restore(snap, module, {}, machine=m2)
        assert m2.resume(frames3) == expected
        assert m2.osr_count == 1


# ------------------------------------------------------- differential: folding and masking

_I_BIN = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_u", "shr_s", "rotl", "rotr",
          "eq", "ne", "lt_s", "lt_u", "ge_s", "gt_u", "div_u", "rem_s"]


def random_expr(rng, ty, depth):
    """A random folded-wat expression of type ty ("i32"/"i64") over params 0,1 (i32) and
    2 (i64), locals 3 (i32) and 4 (i64), and memory."""
    if depth == 0 or rng.random() < 0.2:
        r = rng.random()
        if r < 0.4:
            return "(local.get %d)" % rng.choice((0, 1, 3) if ty == "i32" else (2, 4))
        if r < 0.55:  # a load (masked in bounds)
            return "(%s.load offset=%d (i32.and (local.get %d) (i32.const 0xFF8)))" % (
                ty, rng.choice((0, 4, 8)), rng.choice((0, 1, 3)))
        return "(%s.const %d)" % (ty, rng.choice((0, 1, 2, 31, 32, 63, -1, -2**31, 7, 1000)))
    r = rng.random()
    if r < 0.08:
        return "(local.tee %d %s)" % (3 if ty == "i32" else 4, random_expr(rng, ty, depth - 1))
    if r < 0.14:
        return "(select %s %s %s)" % (random_expr(rng, ty, depth - 1),
                                      random_expr(rng, ty, depth - 1),
                                      random_expr(rng, "i32", depth - 1))
    if r < 0.2:
        if ty == "i32":
            return "(i32.wrap_i64 %s)" % random_expr(rng, "i64", depth - 1)
        return "(i64.extend_i32_%s %s)" % (rng.choice("su"), random_expr(rng, "i32", depth - 1))
    if r < 0.25:
        if ty == "i32":
            return "(i32.eqz %s)" % random_expr(rng, "i32", depth - 1)
        return "(i64.extend_i32_u (i64.eqz %s))" % random_expr(rng, "i64", depth - 1)
    op = rng.choice(_I_BIN)
    e = "(%s.%s %s %s)" % (ty, op, random_expr(rng, ty, depth - 1),
                           random_expr(rng, ty, depth - 1))
    if op in ("eq", "ne", "lt_s", "lt_u", "ge_s", "gt_u") and ty == "i64":
        e = "(i64.extend_i32_u %s)" % e
    return e


def random_module(rng, nfuncs=8):
    funcs = []
    for n in range(nfuncs):
        body = []
        for _ in range(rng.randint(1, 4)):
            ty = rng.choice(("i32", "i64"))
            e = random_expr(rng, ty, rng.randint(1, 5))
            if rng.random() < 0.5:
                body.append("(local.set %d %s)" % (3 if ty == "i32" else 4, e))
            else:
                body.append("(%s.store offset=%d (i32.and (local.get 0) (i32.const 0xFF8)) %s)"
                            % (ty, rng.choice((0, 8)), e))
        funcs.append('(func (export "f%d") (param i32 i32 i64) (result i64) (local i32 i64)\n'
                     '  %s\n  (i64.add (local.get 4) (i64.extend_i32_u (local.get 3)))\n'
                     '  (i64.xor (i64.load (i32.const 16))))' % (n, "\n  ".join(body)))
    return "(module (memory 1)\n%s)" % "\n".join(funcs)


@needs_wat2wasm
@pytest.mark.parametrize("seed", range(int(os.environ.get("CODEGEN_SEEDS", "8"))))
def test_random_expressions_same_in_both_tiers(tmp_path, seed):
    """Random integer expression trees (deferred masks, folded compares, tees, loads and
    stores, traps from div/rem) give the same results, traps and memory in both tiers."""
    import random
    rng = random.Random(seed)
    text = random_module(rng)
    insts = [instantiate(wat(tmp_path, text, "r%s" % thr), {}, machine=Machine(
        tier1_threshold=thr)) for thr in (None, 0)]
    args = [(0, 0, 0), (1, 2, 3), (0xFFFFFFFF, 0x80000000, -1), (12345, 31, 2**63 - 1),
            (7, 0, -2**63)]
    for n in range(8):
        for a in args:
            out = []
            for inst in insts:
                try:
                    out.append(("ok", inst.invoke("f%d" % n, *a)))
                except Trap as e:
                    out.append(("trap", str(e)))
            assert out[0] == out[1], (n, a, text)
    assert insts[0].mems[0].data == insts[1].mems[0].data


# ------------------------------------------------------------------------------ speed

BENCH = [("fib", 20), ("fib", 25), ("loop_sum", 100000), ("sieve", 100000), ("mix64", 100000),
         ("matmul", 32)]
PYWASM_SECONDS = {("fib", 20): 1.01, ("sieve", 100000): 21.3, ("matmul", 32): 3.15,
                  ("mix64", 100000): 19.9}


def fuel_counts(path, calls):
    import wasmtime
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    module = wasmtime.Module.from_file(engine, path)
    counts = {}
    for name, arg in calls:
        store = wasmtime.Store(engine)
        store.set_fuel(10 ** 12)
        inst = wasmtime.Instance(store, module, [])
        inst.exports(store)[name](store, arg)
        counts[(name, arg)] = 10 ** 12 - store.get_fuel()
    return counts


def bench(path=None, repeat=3):
    """Print Minstr/s per kernel, tier 0 and tier 1 side by side; returns the rows."""
    path = path or build_kernels(os.path.join(tempfile.mkdtemp(), "kernels.wasm"))
    data = open(path, "rb").read()
    counts = fuel_counts(path, BENCH)
    insts = {thr: instantiate(decode(data), {}, machine=Machine(tier1_threshold=thr))
             for thr in (None, 0)}
    rows = []
    print("%-16s %10s %10s %10s %8s %10s" % ("kernel", "instr", "tier0 M/s", "tier1 M/s",
                                              "speedup", "vs pywasm"))
    for name, arg in BENCH:
        best = {}
        for thr, inst in insts.items():
            inst.invoke(name, min(arg, 5))  # warm up (tier 1: compile)
            for _ in range(repeat):
                t = time.process_time()
                inst.invoke(name, arg)
                dt = time.process_time() - t
                best[thr] = min(best.get(thr, dt), dt)
        n = counts[(name, arg)]
        pw = PYWASM_SECONDS.get((name, arg))
        rows.append((name, arg, n, n / best[None] / 1e6, n / best[0] / 1e6,
                     pw / best[0] if pw else None))
        print("%-16s %10d %10.2f %10.2f %7.1fx %10s" % (
            "%s(%d)" % (name, arg), n, rows[-1][3], rows[-1][4], best[None] / best[0],
            "%.0fx" % rows[-1][5] if pw else "-"))
    ratios = [r[5] for r in rows if r[5]]
    gm = 1.0
    for r in ratios:
        gm *= r
    print("geometric mean vs pywasm 1.2.3 (fib20, sieve, mix64, matmul): %.0fx"
          % gm ** (1 / len(ratios)))
    print("tier-1 compile: %(functions)d functions, %(seconds).4f s" % insts[0].module.codemap.stats)
    return rows


if __name__ == "__main__":
    bench(sys.argv[1] if len(sys.argv) > 1 else None)
