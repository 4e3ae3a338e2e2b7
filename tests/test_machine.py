"""Tier 0 (interp/lower.py + interp/machine.py): control flow, calls, traps, deep recursion,
interrupt + resume. Modules are written in .wat and built with wat2wasm; the C kernels in
tests/kernels/kernels.c are built with zig cc and checked against wasmtime."""
import os
import shutil

import pytest

from tests import support

import interp
from interp import lower
from interp.decode import decode_module
from interp.errors import Trap
from interp.machine import Machine, Suspended
from interp.module import FuncType
from interp.opcodes import I32
from interp.codemap import CodeMap
from interp.validate import validate_module

HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS_C = os.path.join(HERE, "kernels", "kernels.c")



def decode(data):
    """interp.decode's two steps (the attribute interp.decode is shadowed by the submodule
    interp.decode once that is imported)."""
    module = decode_module(bytes(data))
    module.codemap = CodeMap(validate_module(module))
    return module


needs_wat2wasm = pytest.mark.skipif(not shutil.which("wat2wasm"), reason="wat2wasm missing")


def wat(tmp_path, text, name="m"):
    return decode(support.wat2wasm(text, tmp_path / (name + ".wasm"), "--enable-all").read_bytes())

def inst_of(tmp_path, text, imports=None, **kw):
    return interp.instantiate(wat(tmp_path, text), imports or {}, **kw)


# ---------------------------------------------------------------- control constructs

CONTROL = r"""
(module
  (type $ii (func (param i32) (result i32)))
  (func (export "block_params") (param i32) (result i32 i32)
    (local.get 0)
    (block (param i32) (result i32 i32)
      (i32.const 10) (i32.add) (i32.const 7)))
  (func (export "loop_sum") (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $top
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $top)))
    (local.get $s))
  (func (export "loop_params") (param $n i32) (result i32)
    ;; a loop with a parameter: the running sum is carried through the back-edge
    (i32.const 0)
    (loop $l (param i32) (result i32)
      (i32.add (local.get $n))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n))))
  (func (export "if_else") (param i32) (result i32 i32)
    (if (result i32 i32) (local.get 0)
      (then (i32.const 1) (i32.const 2))
      (else (i32.const 3) (i32.const 4))))
  (func (export "if_params") (param i32 i32) (result i32)
    (local.get 0)
    (if (param i32) (result i32) (local.get 1)
      (then (i32.const 100) (i32.add))
      (else (i32.const 200) (i32.sub))))
  (func (export "if_no_else") (param i32) (result i32) (local $r i32)
    (local.set $r (i32.const 5))
    (if (local.get 0) (then (local.set $r (i32.const 6))))
    (local.get $r))
  (func (export "br_cut") (param i32) (result i32)
    ;; br out of nested blocks with junk on the stack: the junk must be dropped
    (block $out (result i32)
      (i32.const 111) (i32.const 222)
      (block (result i32)
        (i32.const 333)
        (i32.const 444)
        (br_if $out (local.get 0))
        (drop))
      (drop) (drop)))
  (func (export "br_table") (param i32) (result i32)
    (block $d (result i32)
      (block $c (result i32)
        (block $b (result i32)
          (block $a (result i32)
            (i32.const 99) (i32.const 98)
            (i32.const 1000)
            (local.get 0)
            (br_table $a $b $c $d))
          (i32.const 1) (i32.add) (return))
        (i32.const 2) (i32.add) (return))
      (i32.const 3) (i32.add) (return))
    (i32.const 4) (i32.add))
  (func (export "br_table_loop") (param $n i32) (result i32) (local $c i32)
    (loop $l
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (block $x
        (br_table $x $l (i32.ne (local.get $n) (i32.const 0)))))
    (local.get $c))
  (func (export "return_nested") (param i32) (result i32)
    (i32.const 1) (i32.const 2)
    (block (result i32)
      (block
        (i32.const 3)
        (if (local.get 0) (then (i32.const 42) (return)))
        (drop))
      (i32.const 5))
    (i32.add) (i32.add))
  (func (export "return_multi") (result i32 i64)
    (block (i32.const 9) (i64.const 8) (i32.const 7) (i64.const -1) (return))
    (i32.const 0) (i64.const 0))
  (func (export "select") (param i32) (result i32)
    (select (i32.const 10) (i32.const 20) (local.get 0)))
  (func (export "dead_code") (result i32)
    (block (result i32)
      (i32.const 1)
      (br 0)
      (i32.const 2) (i32.add) (block (loop (nop))) (unreachable)))
  (func (export "compare_branches") (param $a i32) (param $b i32) (result i32) (local $r i32)
    ;; each fused compare+br_if shape, signed and unsigned
    (block (br_if 0 (i32.lt_s (local.get $a) (i32.const 0)))
           (local.set $r (i32.or (local.get $r) (i32.const 1))))
    (block (br_if 0 (i32.lt_u (local.get $a) (local.get $b)))
           (local.set $r (i32.or (local.get $r) (i32.const 2))))
    (block (br_if 0 (i32.ge_s (local.get $a) (local.get $b)))
           (local.set $r (i32.or (local.get $r) (i32.const 4))))
    (block (br_if 0 (i32.gt_u (local.get $a) (i32.const 5)))
           (local.set $r (i32.or (local.get $r) (i32.const 8))))
    (block (br_if 0 (i32.le_s (local.get $a) (i32.const -3)))
           (local.set $r (i32.or (local.get $r) (i32.const 16))))
    (block (br_if 0 (i32.eqz (local.get $a)))
           (local.set $r (i32.or (local.get $r) (i32.const 32))))
    (local.get $r))
  (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func $neg (type $ii) (i32.sub (i32.const 0) (local.get 0)))
  (func $two (param i32 i32) (result i32) (local.get 0))
  (table funcref (elem $sq $neg $two))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
)
"""


def _python_compare_branches(a, b):
    """What compare_branches computes, in Python (a, b signed)."""
    ua, ub = a & 0xFFFFFFFF, b & 0xFFFFFFFF
    r = 0
    r |= 0 if a < 0 else 1
    r |= 0 if ua < ub else 2
    r |= 0 if a >= b else 4
    r |= 0 if ua > 5 else 8
    r |= 0 if a <= -3 else 16
    r |= 0 if a == 0 else 32
    return r


@needs_wat2wasm
@pytest.mark.parametrize("fuse", [True, False])
def test_control(tmp_path, monkeypatch, fuse):
    monkeypatch.setattr(lower, "FUSE", fuse)  # the plain ops must be right on their own too
    i = inst_of(tmp_path, CONTROL)
    assert i.invoke("block_params", 5) == [15, 7]
    assert i.invoke("loop_sum", 100) == [5050]
    assert i.invoke("loop_params", 10) == [55]
    assert i.invoke("if_else", 1) == [1, 2] and i.invoke("if_else", 0) == [3, 4]
    assert i.invoke("if_params", 5, 1) == [105] and i.invoke("if_params", 5, 0) == [-195]
    assert i.invoke("if_no_else", 1) == [6] and i.invoke("if_no_else", 0) == [5]
    assert i.invoke("br_cut", 1) == [444] and i.invoke("br_cut", 0) == [111]
    assert [i.invoke("br_table", k)[0] for k in range(6)] == [1001, 1002, 1003, 1004, 1004, 1004]
    assert i.invoke("br_table", -1) == [1004]
    assert i.invoke("br_table_loop", 7) == [7]
    assert i.invoke("return_nested", 1) == [42] and i.invoke("return_nested", 0) == [8]
    assert i.invoke("return_multi") == [7, -1]
    assert i.invoke("select", 1) == [10] and i.invoke("select", 0) == [20]
    assert i.invoke("dead_code") == [1]
    for a in (-5, -3, -1, 0, 1, 5, 6, 0x7FFFFFFF, -0x80000000):
        for b in (-4, 0, 3, 6):
            assert i.invoke("compare_branches", a, b) == [_python_compare_branches(a, b)], (a, b)
    assert i.invoke("indirect", 0, 7) == [49] and i.invoke("indirect", 1, 7) == [-7]
    with pytest.raises(Trap, match="indirect call type mismatch"):
        i.invoke("indirect", 2, 7)
    with pytest.raises(Trap, match="undefined element"):
        i.invoke("indirect", 3, 7)
    # after traps the machine is clean and still works
    assert i.machine.frames == [] and i.machine.stack == []
    assert i.invoke("loop_sum", 10) == [55]


@needs_wat2wasm
def test_pc_maps_round_trip(tmp_path):
    """Every internal instruction starts at a Wasm offset that maps back to it; branch targets
    are instruction starts."""
    m = wat(tmp_path, CONTROL)
    for k in range(len(m.funcs)):
        code = lower.lower_function(m, k)
        assert lower.lower_function(m, k) is code  # cached
        for pc, off in enumerate(code.offsets):
            assert code.pc_at[off] == pc
        assert code.ops[-1][0] == lower.RETURN
        for op, a, b in code.ops:
            if op in (lower.JUMP, lower.BR_IF, lower.LOOP_JUMP, lower.BR_IF_LOOP, lower.BR_IFZ,
                      lower.BR_CUT, lower.BR_IF_CUT, lower.L_BR_IF, lower.L_BR_IFZ,
                      lower.BR_CMP, lower.LC_BR_CMP):
                assert 0 <= a < len(code.ops)
        offsets = {off for _, _, off in m.funcs[k].body}
        assert set(code.pc_at) <= offsets


# ---------------------------------------------------------------- calls between instances

LIB = r"""
(module
  (func $host (import "env" "host") (param i32) (result i32))
  (memory (export "mem") 1)
  (global $g (export "g") (mut i32) (i32.const 0))
  (func (export "store_and_count") (param i32 i32) (result i32)
    (i32.store (local.get 0) (local.get 1))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.load (local.get 0)))
  (func (export "callback") (param i32) (result i32)
    (call $host (local.get 0)))
)
"""

APP = r"""
(module
  (import "lib" "store_and_count" (func $sc (param i32 i32) (result i32)))
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (memory (export "mem") 1)
  (global $mine (mut i32) (i32.const 1000))
  (func (export "run") (param i32) (result i32)
    (i32.store (i32.const 0) (i32.const 77))           ;; my memory, address 0
    (global.set $mine (i32.add (global.get $mine) (i32.const 1)))
    (call $sc (i32.const 0) (local.get 0))              ;; lib's memory, address 0
    (i32.load (i32.const 0))                            ;; back in my memory: still 77
    (i32.add)
    (call $twice)
    (global.get $mine)
    (i32.add))
)
"""


@needs_wat2wasm
def test_cross_instance_and_host_calls(tmp_path):
    machine = Machine()
    seen = []

    def host(x):
        seen.append(x)
        # a nested run: the host function calls back into Wasm
        return lib.exports["store_and_count"](16, x + 1)[0]

    ii = FuncType((I32,), (I32,))
    lib = interp.instantiate(wat(tmp_path, LIB, "lib"),
                             {"env": {"host": interp.HostFunc(ii, host)}}, machine=machine)
    twice = interp.HostFunc(ii, lambda x: 2 * x)
    app = interp.instantiate(wat(tmp_path, APP, "app"),
                             {"lib": {"store_and_count": lib.exports["store_and_count"]},
                              "env": {"twice": twice}}, machine=machine)
    assert app.invoke("run", 5) == [(5 + 77) * 2 + 1001]
    assert lib.exports["mem"].data[0] == 5 and app.exports["mem"].data[0] == 77
    assert lib.exports["g"].value == 1
    assert lib.invoke("callback", 41) == [42] and seen == [41]
    assert lib.exports["g"].value == 2
    assert machine.frames == [] and machine.stack == []


# ---------------------------------------------------------------- traps

TRAPS = r"""
(module
  (memory 1 3)
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "unreachable") (call $deep (i32.const 5)))
  (func $deep (param i32)
    (if (local.get 0) (then (call $deep (i32.sub (local.get 0) (i32.const 1))))
                      (else unreachable)))
  (func (export "load") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u offset=1 (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store offset=4 (local.get 0) (local.get 1)))
  (func (export "store8") (param i32) (i32.store8 (local.get 0) (i32.const 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 7) (local.get 1)))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
)
"""


@needs_wat2wasm
def test_traps(tmp_path):
    i = inst_of(tmp_path, TRAPS)
    with pytest.raises(Trap, match="integer divide by zero"):
        i.invoke("div", 1, 0)
    with pytest.raises(Trap, match="integer overflow"):
        i.invoke("div", -0x80000000, -1)
    assert i.invoke("div", -7, 2) == [-3]
    with pytest.raises(Trap, match="unreachable"):
        i.invoke("unreachable")
    with pytest.raises(Trap, match="invalid conversion to integer"):
        i.invoke("trunc", float("nan"))
    for name, args in [("load", (65532,)), ("load", (-1,)), ("load", (-4,)), ("load8", (65535,)),
                       ("load64", (65529,)), ("store", (65532, 1)), ("store", (-4, 1)),
                       ("store8", (65536,)), ("fill", (65530, 7))]:
        with pytest.raises(Trap, match="out of bounds memory access"):
            i.invoke(name, *args)
    assert i.invoke("load", 65528) == [0] and i.invoke("load8", 65534) == [0]
    i.invoke("store", 65528, -1)
    assert i.invoke("load", 65528) == [-1]
    assert i.invoke("grow", 1) == [1] and i.invoke("grow", 5) == [-1]
    i.invoke("store8", 65536)   # in bounds after the grow
    assert i.invoke("load8", 65535) == [1]
    assert i.machine.frames == [] and i.machine.stack == []


@needs_wat2wasm
def test_deep_recursion_and_exhaustion(tmp_path):
    text = r"""
    (module
      (func $depth (export "depth") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1)))))))
      (func $forever (export "forever") (param i32) (result i32)
        (call $forever (i32.add (local.get 0) (i32.const 1)))))
    """
    i = inst_of(tmp_path, text)
    assert i.invoke("depth", 100_000) == [100_000]
    with pytest.raises(Trap, match="call stack exhausted"):
        i.invoke("forever", 0)
    assert i.machine.frames == [] and i.machine.stack == []
    assert i.invoke("depth", 10) == [10]
    # frames with many locals count as several: infinite recursion through a function with
    # 2,000 locals traps early instead of filling memory with 200,000 frames of them
    big = "(module (func $f (export \"big\") (local %s) (call $f)))" % ("i64 " * 2000)
    with pytest.raises(Trap, match="call stack exhausted"):
        inst_of(tmp_path, big).invoke("big")
    small = inst_of(tmp_path, text, max_call_depth=50)
    assert small.invoke("depth", 48) == [48]
    with pytest.raises(Trap, match="call stack exhausted"):
        small.invoke("depth", 50)


# ---------------------------------------------------------------- the C kernels

@pytest.fixture(scope="module")
def kernels_wasm():
    pytest.importorskip("ziglang")
    return support.build_c(KERNELS_C, support.CACHE / "kernels",
                           support.FREESTANDING_CFLAGS).read_bytes()


@pytest.mark.parametrize("fuse", [True, False])
def test_kernels_match_wasmtime(kernels_wasm, monkeypatch, fuse):
    monkeypatch.setattr(lower, "FUSE", fuse)
    wasmtime = pytest.importorskip("wasmtime")
    store = wasmtime.Store()
    ref = wasmtime.Instance(store, wasmtime.Module(store.engine, kernels_wasm), [])
    inst = interp.instantiate(decode(kernels_wasm))
    for name, arg in [("fib", 20), ("depth", 3000), ("loop_sum", 5000), ("sieve", 20000),
                      ("mix64", 3000), ("matmul", 12)]:
        assert inst.invoke(name, arg) == [ref.exports(store)[name](store, arg)], name
    assert inst.invoke("fib", 20) == [6765]


# ---------------------------------------------------------------- interrupt and resume

def _fresh_copy(module, old):
    """A fresh instance of `module` with the guest state (memory, globals) of `old` copied in:
    what a checkpoint restore does."""
    new = interp.instantiate(module, {}, machine=Machine())
    for m_old, m_new in zip(old.mems, new.mems):
        m_new.data[:] = m_old.data
    for g_old, g_new in zip(old.globals, new.globals):
        g_new.v = g_old.v
    return new


def _interrupt_after(machine, n_safe_points):
    """A poll hook that asks for a stop at the n-th safe point."""
    count = [0]

    def poll():
        count[0] += 1
        return count[0] == n_safe_points
    machine.poll = poll
    return count


def _run_suspended(module, name, arg, check_every, n_safe_points):
    """Run `name(arg)`, interrupt it, resume it in a fresh instance; return (frames, results)."""
    machine = Machine(check_every=check_every)
    inst = interp.instantiate(module, {}, machine=machine)
    _interrupt_after(machine, n_safe_points)
    func = inst.exports[name]
    with pytest.raises(Suspended) as info:
        machine.call(func, [arg])
    frames = info.value.frames
    assert machine.frames == [] and machine.stack == []
    new = _fresh_copy(module, inst)
    for f in frames:
        assert f["instance"] is inst
        f["instance"] = new
    return frames, new.machine.resume(frames)


@pytest.mark.parametrize("name,arg", [("sieve", 30000), ("loop_sum", 20000), ("matmul", 10),
                                      ("mix64", 5000), ("fib", 15)])
def test_interrupt_and_resume_kernels(kernels_wasm, name, arg):
    module = decode(kernels_wasm)
    expected = interp.instantiate(module).exports[name](arg)
    ftype = dict((e.name, module.func_types()[e.index]) for e in module.exports
                 if e.kind == "func")[name]
    for check_every, n in [(7, 1), (50, 3), (100, 5)]:
        frames, results = _run_suspended(module, name, arg, check_every, n)
        assert frames and all(isinstance(f["pc"], int) for f in frames)
        api = [interp.runtime.from_internal(t, r) for t, r in zip(ftype.results, results)]
        assert api == expected, (name, check_every, n)


@needs_wat2wasm
def test_interrupt_and_resume_deep_recursion(tmp_path):
    text = r"""
    (module
      (global $calls (mut i32) (i32.const 0))
      (func $depth (export "depth") (param i32) (result i32)
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (if (result i32) (i32.eqz (local.get 0)) (then (global.get $calls))
          (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1))))))))
    """
    module = wat(tmp_path, text)
    frames, results = _run_suspended(module, "depth", 20_000, 1000, 12)
    # stopped at the entry of the 12,000th call (the first frame came from machine.call)
    assert len(frames) == 12_001
    assert frames[-1]["locals"] == [20_000 - 12_000] and frames[-1]["stack"] == []
    assert all(f["stack"] == [1] for f in frames[:-1])  # the pending (i32.const 1) of each add
    assert results == [20_000 + 20_001]


@needs_wat2wasm
def test_capture_without_stopping(tmp_path):
    """poll may capture the state and let the run go on (checkpoint and continue); the capture
    resumed elsewhere finishes with the same result."""
    text = r"""
    (module
      (func (export "sum") (param $n i32) (result i64) (local $s i64)
        (loop $l
          (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (local.get $n))))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (local.get $n)))
        (local.get $s)))
    """
    module = wat(tmp_path, text)
    machine = Machine(check_every=100)
    inst = interp.instantiate(module, {}, machine=machine)
    snaps = []

    def poll():
        if not snaps:
            snaps.append(machine.capture())
        return False
    machine.poll = poll
    assert inst.invoke("sum", 10_000) == [50_005_000]
    (frame,) = snaps[0]
    assert frame["locals"][0] == 10_000 - 100  # n after 100 back-edges
    new = interp.instantiate(module, {}, machine=Machine())
    frame["instance"] = new
    assert new.machine.resume(snaps[0]) == [50_005_000]


def test_resume_rejects_unknown_pc(kernels_wasm):
    module = decode(kernels_wasm)
    inst = interp.instantiate(module)
    fib = inst.exports["fib"]
    bad = [{"func": fib.index, "instance": inst, "pc": 0, "locals": [5, 0, 0, 0], "stack": []}]
    with pytest.raises(ValueError):
        inst.machine.resume(bad)


LOOPER_LIB = r"""
(module
  (memory (export "mem") 1)
  (func (export "spin") (param $n i32) (result i32) (local $s i32)
    ;; sums 1..n into memory[0] and returns it
    (loop $l
      (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (i32.load (i32.const 0))))
"""

LOOPER_APP = r"""
(module
  (import "lib" "spin" (func $spin (param i32) (result i32)))
  (import "env" "host" (func $host (param i32) (result i32)))
  (memory 1)
  (func (export "main") (param $n i32) (result i32)
    (i32.store (i32.const 8) (call $host (i32.const 3)))   ;; host runs a nested loop
    (i32.add (call $spin (local.get $n)) (i32.load (i32.const 8)))))
"""


@needs_wat2wasm
def test_interrupt_across_instances_and_host_calls(tmp_path):
    """A stop requested while a host function runs nested Wasm is deferred to the outer loop;
    frames of two instances resume in fresh instances linked the same way."""
    lib_m = wat(tmp_path, LOOPER_LIB, "lib")
    app_m = wat(tmp_path, LOOPER_APP, "app")
    ii = FuncType((I32,), (I32,))

    def link(machine, host):
        lib = interp.instantiate(lib_m, {}, machine=machine)
        app = interp.instantiate(app_m, {"lib": {"spin": lib.exports["spin"]},
                                         "env": {"host": interp.HostFunc(ii, host)}},
                                 machine=machine)
        return lib, app

    # uninterrupted reference
    ref_lib, ref_app = link(Machine(), lambda x: x * 10)
    expected = ref_app.invoke("main", 5000)
    assert expected == [5000 * 5001 // 2 + 30]

    machine = Machine(check_every=10)
    nested_results = []

    def host(x):
        machine.interrupt = True  # asked for during the nested run below
        helper = interp.instantiate(lib_m, {}, machine=machine)
        nested_results.append(helper.exports["spin"](1000)[0])  # 100 back-edges: no stop here
        return x * 10
    lib, app = link(machine, host)
    with pytest.raises(Suspended) as info:
        machine.call(app.exports["main"], [5000])
    assert nested_results == [500500]
    frames = info.value.frames
    assert [f["instance"] for f in frames] == [app, lib]  # stopped inside lib's loop

    new_lib, new_app = link(Machine(), lambda x: 1 / 0)  # the host call is already done
    for old, new in ((lib, new_lib), (app, new_app)):
        new.mems[0].data[:] = old.mems[0].data
    for f in frames:
        f["instance"] = new_app if f["instance"] is app else new_lib
    assert new_app.machine.resume(frames) == [expected[0] & 0xFFFFFFFF]


def test_machine_opcode_literals_match_lower():
    """The run loop tests opcodes as int literals (faster than globals), each with its name in
    a comment: every `op == N:  # NAME` and `else:  # N NAME` must agree with lower.py (the
    cold ones are in cold.py, shared with tier 1)."""
    import re
    from interp import cold, machine
    src = open(machine.__file__).read() + open(cold.__file__).read()
    pairs = re.findall(r"if op == (\d+):  # (\w+)", src)
    pairs += re.findall(r"else:  # (\d+) (\w+)", src)
    for n1, n2, name1, name2 in re.findall(r"if op == (\d+) or op == (\d+):  # (\w+), (\w+)",
                                           src):
        pairs += [(n1, name1), (n2, name2)]
    assert len(pairs) > 60
    for number, name in pairs:
        assert getattr(lower, name) == int(number), (number, name)
    used = {int(n) for n, _ in pairs}
    for name, value in vars(lower).items():
        if name.isupper() and isinstance(value, int) and name in lower.NAMES.values():
            assert value in used, name
