"""Hot-function offload (interp/offload.py, host/offload/, selfhost/doorbell.py) and the profiler/tracer
(interp/profile.py): static offloadability, identical results on/off, offload mid-recursion,
checkpoint during an offloaded call, --trace events.

Timings are measured by tests/test_offload.py::measure (run as a script), not asserted."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

wasmtime = pytest.importorskip("wasmtime")

import interp  # noqa: E402
from interp import offload  # noqa: E402
from selfhost import doorbell  # noqa: E402
from tests.apps.build import build_c  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "tests" / "offload_apps"
CACHE = ROOT / "tests" / ".cache" / "offload_apps"
# a 64 KiB stack keeps the app's memory small (zig's default is 16 MiB): offload copies the
# whole memory each way per call
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-fno-sanitize=undefined",
          "-Wl,-z,stack-size=65536"]


def build(name):
    return build_c(APPS / (name + ".c"), CACHE, CFLAGS)


def run(*args):
    # selfhost on CPython with wasmtime-py as the native side (the native runtime's entry)
    proc = subprocess.run([sys.executable, "-m", "host.runtimes.native_main", *map(str, args)],
                          capture_output=True, cwd=ROOT, timeout=600)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def names_offloadable(module):
    a = offload.analyze(module)
    return {module.func_names.get(i, i) for i in a.offloadable}, a


# ---- static offloadability

WAT = """
(module
  (type $v (func))
  (type $ii (func (param i32) (result i32)))
  (import "env" "imp" (func $imp))
  (table 2 funcref)
  (elem (i32.const 0) $calls_imp)
  (func $calls_imp (type $v) call $imp)
  (func $reaches_imp (result i32) call $calls_imp i32.const 1)
  (func $pure (type $ii) local.get 0 i32.const 1 i32.add)
  (func $pure_caller (type $ii) local.get 0 call $pure call $pure)
  (func $indirect_v (type $v) i32.const 0 call_indirect (type $v))
  (func $indirect_ii (type $ii) local.get 0 i32.const 1 call_indirect (type $ii))
  (func $sets_table (type $v) i32.const 1 ref.null func table.set 0)
  (func $recursive (type $ii) local.get 0 if (result i32) local.get 0 i32.const 1 i32.sub
      call $recursive else i32.const 0 end)
  (func $mutual_a (type $ii) local.get 0 call $mutual_b)
  (func $mutual_b (type $ii) local.get 0 if (result i32) local.get 0 i32.const 1 i32.sub
      call $mutual_a else call $calls_imp i32.const 0 end)
  (func $ref_result (result funcref) ref.null func)
)
"""


def test_functions_reaching_imports_are_never_offloadable():
    module = interp.decode(bytes(wasmtime.wat2wasm(WAT)))
    names, a = names_offloadable(module)
    assert names == {"pure", "pure_caller", "indirect_ii", "recursive"}
    for bad in ("calls_imp", "reaches_imp", "indirect_v", "mutual_a", "mutual_b"):
        i = [k for k, v in module.func_names.items() if v == bad][0]
        assert "import" in a.reason[i] or "reaches" in a.reason[i], (bad, a.reason[i])
    i_set = [k for k, v in module.func_names.items() if v == "sets_table"][0]
    assert "table" in a.reason[i_set]
    i_ref = [k for k, v in module.func_names.items() if v == "ref_result"][0]
    assert "non-numeric" in a.reason[i_ref]


def test_kernels_app_analysis():
    module = interp.decode(build("kernels_cmd").read_bytes())
    names, _ = names_offloadable(module)
    assert {"fib", "sieve", "mix"} <= names
    assert not {"report", "main", "printf", "_start", "__original_main"} & names


def test_module_importing_memory_offloads_nothing():
    wat = ('(module (import "env" "m" (memory 1)) (func $f (result i32) i32.const 1) '
           '(export "f" (func $f)))')
    module = interp.decode(bytes(wasmtime.wat2wasm(wat)))
    assert offload.analyze(module).offloadable == set()


def test_native_side_globals_memory_and_tables():
    """Direct use of the interface: memory and a mutable global go in and come back,
    call_indirect through a table synced by function index works natively."""
    from host.offload.native import make_offloader
    wat = """(module
      (memory 1) (global $g (mut i32) (i32.const 5)) (type $ii (func (param i32) (result i32)))
      (table 2 funcref) (elem (i32.const 1) $double)
      (func $double (type $ii) local.get 0 i32.const 2 i32.mul)
      (func $work (export "work") (param i32) (result i32)
        (i32.store (i32.const 16) (i32.add (i32.load (i32.const 8)) (local.get 0)))
        (global.set $g (i32.add (global.get $g) (i32.const 1)))
        (drop (memory.grow (i32.const 1)))
        (i32.add (global.get $g) (call_indirect (type $ii) (local.get 0) (i32.const 1)))))"""
    module = interp.decode(bytes(wasmtime.wat2wasm(wat)))
    off = make_offloader(module, threshold=0)
    inst = interp.instantiate(module, {})
    inst.mems[0].data[8:12] = (1000).to_bytes(4, "little")
    work = [i for i, n in module.func_names.items() if n == "work"][0]
    res = off.native.call(inst, work, [7])
    assert res == [6 + 14]
    assert int.from_bytes(inst.mems[0].data[16:20], "little") == 1007
    assert inst.globals[0].v == 6 and inst.mems[0].pages == 2
    # and through the machine: same results as interpreted
    inst = interp.instantiate(module, {})
    ref = interp.instantiate(interp.decode(bytes(wasmtime.wat2wasm(wat))), {})
    for x in range(5):
        assert inst.invoke("work", x) == ref.invoke("work", x)
    assert bytes(inst.mems[0].data) == bytes(ref.mems[0].data)
    assert inst.globals[0].v == ref.globals[0].v == 10
    assert off.calls.get(work, 0) >= 4   # the machine went native (threshold 0)


def test_trap_inside_offloaded_call_is_a_trap():
    from host.offload.native import make_offloader
    wat = """(module (func $d (export "d") (param i32) (result i32)
               i32.const 1 local.get 0 i32.div_u))"""
    module = interp.decode(bytes(wasmtime.wat2wasm(wat)))
    off = make_offloader(module, threshold=0)
    inst = interp.instantiate(module, {})
    with pytest.raises(interp.Trap, match="integer divide by zero"):
        off.native.call(inst, 0, [0])


# a pure recursion deeper than wasmtime's native stack, storing on the way down (a partial
# state copied back would show) and growing memory early in the native run
REC_WAT = """(module (memory 1)
  (func $rec (export "rec") (param i32) (result i32)
    (if (i32.eq (local.get 0) (i32.const 99990)) (then (drop (memory.grow (i32.const 1)))))
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else
        (i32.store (i32.shl (i32.and (local.get 0) (i32.const 0x3fff)) (i32.const 2))
                   (local.get 0))
        (i32.add (i32.mul (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 3))
                 (i32.load (i32.shl (i32.and (local.get 0) (i32.const 0x3fff))
                                    (i32.const 2)))))))
  (func $sum (export "sum") (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31))
                             (i32.load (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $l (i32.lt_u (local.get $i) (i32.mul (memory.size) (i32.const 65536)))))
    (i32.add (local.get $s) (memory.size))))"""


def _check_deep_recursion(data, off, inst):
    """rec(100000) under offload == interpreted; rec reverted for native stack exhaustion;
    memory, and then an offloaded loop over it (a fresh native instance), agree."""
    ref = interp.instantiate(interp.decode(data), {})
    assert inst.invoke("rec", 100000) == ref.invoke("rec", 100000)
    assert off.reverted == {0: "native stack exhausted"} and off.calls[0] == 1
    assert inst.mems[0].pages == ref.mems[0].pages == 2
    assert bytes(inst.mems[0].data) == bytes(ref.mems[0].data)
    assert inst.invoke("sum") == ref.invoke("sum") and off.calls[1] == 1
    assert inst.invoke("rec", 1000) == ref.invoke("rec", 1000)   # interpreted now
    assert off.calls[0] == 1 and bytes(inst.mems[0].data) == bytes(ref.mems[0].data)


def test_native_stack_exhaustion_reruns_in_interpreter():
    from host.offload.native import make_offloader
    data = bytes(wasmtime.wat2wasm(REC_WAT))
    module = interp.decode(data)
    off = make_offloader(module)
    inst = interp.instantiate(module, {})
    _check_deep_recursion(data, off, inst)


def test_native_stack_exhaustion_is_not_a_trap_but_real_traps_are():
    """The native side itself: a stack overflow is NativeStackExhausted with the guest state
    untouched; a real trap stays a Trap."""
    from host.offload.native import make_offloader
    module = interp.decode(bytes(wasmtime.wat2wasm(REC_WAT)))
    off = make_offloader(module, threshold=0)
    inst = interp.instantiate(module, {})
    before = bytes(inst.mems[0].data)
    with pytest.raises(offload.NativeStackExhausted):
        off.native.call(inst, 0, [100000])
    assert bytes(inst.mems[0].data) == before and inst.mems[0].pages == 1
    assert off.native.call(inst, 0, [10]) == [inst.invoke("rec", 10)[0]]


# ---- the app, offload on vs off

def test_identical_output_offload_on_off_and_offloaded():
    app = build("kernels_cmd")
    code_off, out_off, err_off = run("--offload", "off", "--profile", app, 4, 17, 30000)
    code_on, out_on, err_on = run("--profile", "--offload-threshold", "50", app, 4, 17, 30000)
    assert code_off == code_on == 0, err_on
    assert out_on == out_off and out_on.count("round") == 4
    native = {line.split()[1] for line in err_on.splitlines()
              if len(line.split()) > 2 and line.split()[2] == "native"}
    assert {"fib", "sieve", "mix"} <= native
    assert not {"report", "main", "printf"} & native
    assert "native" not in err_off


def test_recursive_function_offloaded_during_first_call():
    """One round: fib(20) is a single top-level call; its deep calls get offloaded once fib is
    hot, so it is offloaded many times within that one call."""
    app = build("kernels_cmd")
    code, out, err = run("--profile", "--offload-threshold", "100", app, 1, 20, 100)
    assert code == 0 and "fib=6765" in out
    row = [line.split() for line in err.splitlines() if " fib " in line][0]
    assert row[2] == "native" and int(row[5]) > 1


def test_threshold_bad_value():
    code, _, err = run("--offload-threshold", "-1", build("kernels_cmd"))
    assert code == 2 and "--offload-threshold" in err
    code, _, err = run("--offload", "sometimes", build("kernels_cmd"))
    assert code == 2


def test_checkpoint_trigger_during_offloaded_call(tmp_path, monkeypatch, capfd):
    """Plain offload (no instrumentation): the trigger file appears while an offloaded call
    runs; the checkpoint is taken at the first safe point after it returns; restoring
    (offload off) gives the same output. (Tier 2 stops inside: tests/test_tier2_native.py.)"""
    from host.offload import native as offload_native
    app = build("kernels_cmd")
    args = [app, 3, 18, 20000]
    code, full, _ = run("--offload", "off", *args)
    assert code == 0
    trigger = tmp_path / "ckpt.trigger"
    snap = tmp_path / "s.snap"
    seen = {"during": 0, "in_call": False}
    orig = offload_native.WasmtimeNative.call

    def call(self, inst, func_index, a, *sync):
        seen["in_call"] = True
        try:
            if not seen["during"]:
                trigger.write_text("now")
                seen["during"] = 1
            return orig(self, inst, func_index, a, *sync)
        finally:
            seen["in_call"] = False

    monkeypatch.setattr(offload_native.WasmtimeNative, "call", call)
    from selfhost import session as runner
    orig_ckpt = runner._Controller.checkpoint

    def checkpoint(self, frames):
        assert not seen["in_call"]     # never inside the offloaded call
        return orig_ckpt(self, frames)

    monkeypatch.setattr(runner._Controller, "checkpoint", checkpoint)
    capfd.readouterr()
    from selfhost import cli, exit_codes
    rc = cli.main(["--offload-threshold", "50", "--checkpoint-trigger", str(trigger),
                   "--snapshot", str(snap), *map(str, args)],
                  native_side=offload_native.make_offloader)   # the plain (uninstrumented) side
    first = capfd.readouterr().out
    assert rc == exit_codes.CHECKPOINTED and seen["during"] == 1 and snap.is_file()
    assert not trigger.exists()
    code, rest, err = run("--offload", "off", "--restore", snap, *args)
    assert code == 0, err
    assert first + rest == full


def test_trace_writes_calls_and_returns(tmp_path):
    app = build("kernels_cmd")
    trace = tmp_path / "t.jsonl"
    code, out, err = run("--trace", trace, app, 1, 5, 50)
    assert code == 0 and "fib=5" in out, err
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    calls = [e for e in events if e["ev"] == "call"]
    rets = [e for e in events if e["ev"] == "return"]
    # clang turns one of fib's two recursive calls into a loop: count the Wasm calls
    assert sum(1 for e in calls if e["name"] == "fib") >= 5
    assert len(calls) == len(rets)
    open_ = []            # returns close calls innermost first, at the same depth
    for e in events:
        if e["ev"] == "call":
            open_.append((e["depth"], e["func"]))
        elif e["ev"] == "return":
            assert open_.pop() == (e["depth"], e["func"])
    assert not open_
    assert any(e["ev"] == "loop" for e in events)


# ---- the cost model (auto policy) and the sync reduction

COST_WAT = """
(module
  (import "env" "tick" (func $tick))
  (memory 1)
  (global $sp (mut i32) (i32.const 1024))
  (global $count (mut i32) (i32.const 0))
  ;; a tiny helper with a loop (so a first-call candidate): sums n bytes, n is small
  (func $small (param i32) (result i32) (local i32 i32)
    (block (loop
      (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 2 (i32.add (local.get 2) (i32.load8_u (local.get 1))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br 0)))
    (local.get 2))
  ;; a heavy loop, no memory: mixes n times
  (func $heavy (param i32) (result i64) (local i64)
    (local.set 1 (i64.const 88172645463325252))
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i64.xor (local.get 1) (i64.shl (local.get 1) (i64.const 13))))
      (local.set 1 (i64.xor (local.get 1) (i64.shr_u (local.get 1) (i64.const 7))))
      (local.set 1 (i64.xor (local.get 1) (i64.shl (local.get 1) (i64.const 17))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  ;; bounded (no loop, no recursion): never offloaded by the auto policy
  (func $bounded (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  ;; reads memory and a global, writes nothing
  (func $reader (result i32) (i32.add (i32.load (i32.const 8)) (global.get $sp)))
  ;; writes memory and a global
  (func $writer (param i32)
    (i32.store (i32.const 16) (local.get 0))
    (global.set $count (i32.add (global.get $count) (i32.const 1))))
  ;; recursion without a loop
  (func $rec (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $rec (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.const 0))))
  (func $main (export "main") (param i32) (result i64) (local i32 i64)
    (block (loop
      (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
      (call $tick)
      (local.set 2 (i64.add (local.get 2) (i64.extend_i32_u (call $small (i32.const 3)))))
      (local.set 2 (i64.add (local.get 2) (i64.extend_i32_u (call $bounded (local.get 1)))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br 0)))
    (i64.add (local.get 2) (call $heavy (i32.const 3000000))))
  (export "heavy" (func $heavy))
)
"""


def _cost_module():
    module = interp.decode(bytes(wasmtime.wat2wasm(COST_WAT)))
    idx = {n: i for i, n in module.func_names.items()}
    return module, idx


def _tick_imports():
    from interp.runtime import HostFunc
    from interp.module import FuncType
    return {"env": {"tick": HostFunc(FuncType((), ()), lambda *a: None)}}


def test_analysis_unbounded_and_sync():
    module, idx = _cost_module()
    a = offload.analyze(module)
    assert {idx["small"], idx["heavy"], idx["rec"]} <= a.unbounded
    assert idx["bounded"] not in a.unbounded and idx["reader"] not in a.unbounded
    assert idx["main"] not in a.offloadable           # reaches the import
    heavy, reader, writer = a.sync(idx["heavy"]), a.sync(idx["reader"]), a.sync(idx["writer"])
    assert not heavy.mem_in and not heavy.mem_out and heavy.globals_in == heavy.globals_out == ()
    assert reader.mem_in and not reader.mem_out
    assert reader.globals_in == (0,) and reader.globals_out == ()
    assert writer.mem_in and writer.mem_out
    assert writer.globals_in == (1,) and writer.globals_out == (1,)


def test_sync_reduction_counts_bytes_copied():
    """A function without memory access copies no memory; one without stores copies nothing
    back; one with stores copies both ways (bytes counted by the native side)."""
    from host.offload.native import make_offloader
    module, idx = _cost_module()
    off = make_offloader(module)
    inst = interp.instantiate(module, _tick_imports())
    nat = off.native
    inst.mems[0].data[8:12] = (5).to_bytes(4, "little")
    size = len(inst.mems[0].data)

    def call(name, *args):
        before = (nat.bytes_in, nat.bytes_out)
        r = nat.call(inst, idx[name], list(args), off.analysis.sync(idx[name]))
        return r, (nat.bytes_in - before[0], nat.bytes_out - before[1])
    assert call("heavy", 10)[1] == (0, 0)
    assert call("reader") == ([5 + 1024], (size, 0))
    assert call("writer", 77)[1] == (size, size)
    assert int.from_bytes(inst.mems[0].data[16:20], "little") == 77
    assert inst.globals[1].v == 1


def test_cost_model_first_call_offload_and_revert():
    """Auto policy: the heavy loop is offloaded at its first call (one call, native), the tiny
    looping helper is offloaded, measured and reverted (back to the interpreter), the bounded
    function never goes native; results identical to interpreting."""
    from host.offload.native import make_offloader
    module, idx = _cost_module()
    off = make_offloader(module)
    assert off.threshold == 0 and not off.fixed
    inst = interp.instantiate(module, _tick_imports())
    ref = interp.instantiate(interp.decode(bytes(wasmtime.wat2wasm(COST_WAT))), _tick_imports())
    assert inst.invoke("main", 40) == ref.invoke("main", 40)
    assert off.calls[idx["heavy"]] == 1 and idx["heavy"] not in off.reverted
    assert idx["small"] in off.reverted
    assert 3 <= off.calls[idx["small"]] < 40
    assert idx["bounded"] not in off.calls
    # reverted: its tier-1 entries are back to the interpreter's, and it is never taken again
    from interp import tier1
    k = idx["small"] - len(module.imported("func"))
    assert getattr(tier1.tables(inst).gens[k], "__name__", "") != "off%d" % idx["small"]
    n = off.calls[idx["small"]]
    assert inst.invoke("main", 40) == ref.invoke("main", 40)
    assert off.calls[idx["small"]] == n and off.calls[idx["heavy"]] == 2


def test_auto_policy_kernels_app_identical_and_first_call(tmp_path):
    """The kernels app with the default policy: each kernel offloaded from its first call
    (offloaded calls == calls), printf's helpers not left native, output identical."""
    app = build("kernels_cmd")
    code_off, out_off, _ = run("--offload", "off", app, 3, 17, 30000)
    code_on, out_on, err_on = run("--profile", app, 3, 17, 30000)
    assert code_off == code_on == 0, err_on
    assert out_on == out_off
    rows = {line.split()[1]: line.split() for line in err_on.splitlines()
            if len(line.split()) >= 7 and line.split()[0].isdigit()}
    # (clang hoists the pure fib(FIB_N) out of the rounds loop: one call)
    for name, calls in (("fib", 1), ("sieve", 3), ("mix", 3)):
        assert rows[name][2] == "native" and int(rows[name][5]) == calls, rows[name]
    # printf's memcpy: many tiny calls, offloaded at first, then reverted; a helper called
    # fewer than MIN_CALLS times cannot have been judged yet
    assert rows["memcpy"][2] == "revert"
    for name in ("memcpy", "strlen", "strnlen", "memset"):
        assert (name not in rows or rows[name][2] != "native"
                or int(rows[name][5]) < offload.MIN_CALLS), rows[name]


# ---- selfhost.wasm under wasmtime-py: the fd_advise doorbell (host/offload/doorbell_host.py)

def test_doorbell_protocol_in_process(monkeypatch):
    """selfhost.doorbell.DoorbellNative against host DoorbellHost without Wasm: posix_fadvise
    is routed to the host handler, addresses are this process's (64-bit CPython layout).
    Same results, memory and globals as interpreting; memory growth goes through ST_GROW."""
    import ctypes
    from host.offload.doorbell_host import DoorbellHost
    host = DoorbellHost(layout=(16, 32, 8))

    def fadvise(fd, offset, length, advice):
        if fd != doorbell.MAGIC_FD:
            raise OSError(9, "Bad file descriptor")
        host.handle(0, offset, length)
    monkeypatch.setattr(os, "posix_fadvise", fadvise, raising=False)
    assert ctypes.sizeof(ctypes.c_void_p) == 8
    wat = """(module
      (memory 1) (global $g (mut i64) (i64.const -5)) (type $ff (func (param f64) (result f64)))
      (table 2 funcref) (elem (i32.const 1) $half)
      (func $half (type $ff) local.get 0 f64.const 0.5 f64.mul)
      (func $work (export "work") (param i32 f64) (result f64)
        (i32.store (i32.const 16) (i32.add (i32.load (i32.const 8)) (local.get 0)))
        (global.set $g (i64.add (global.get $g) (i64.const 1)))
        (drop (memory.grow (i32.const 1)))
        (f64.add (f64.convert_i64_s (global.get $g))
                 (call_indirect (type $ff) (local.get 1) (i32.const 1))))
      (func $div (export "div") (param i32) (result i32) i32.const 7 local.get 0 i32.div_s))"""
    data = bytes(wasmtime.wat2wasm(wat))
    module = interp.decode(data)
    native = doorbell.DoorbellNative.connect(module)
    assert native is not None and host.native is None    # the app is loaded at the 1st offload
    off = offload.Offloader(module, native, threshold=0).attach()
    inst = interp.instantiate(module, {})
    ref = interp.instantiate(interp.decode(data), {})
    for x in range(4):
        assert inst.invoke("work", x, x + 0.25) == ref.invoke("work", x, x + 0.25)
        assert host.native is not None
    assert bytes(inst.mems[0].data) == bytes(ref.mems[0].data) and inst.mems[0].pages == 5
    assert inst.globals[0].v == ref.globals[0].v
    assert sum(off.calls.values()) >= 3
    with pytest.raises(interp.Trap, match="integer divide by zero"):
        for _ in range(3):
            inst.invoke("div", 0)


def test_doorbell_native_stack_exhaustion_in_process(monkeypatch):
    """The doorbell's ST_STACK: nothing copied back, the host re-instantiates (tables resent),
    the Offloader reverts and re-runs interpreted."""
    from host.offload.doorbell_host import DoorbellHost
    host = DoorbellHost(layout=(16, 32, 8))

    def fadvise(fd, offset, length, advice):
        host.handle(0, offset, length)
    monkeypatch.setattr(os, "posix_fadvise", fadvise, raising=False)
    data = bytes(wasmtime.wat2wasm(REC_WAT))
    module = interp.decode(data)
    off = offload.Offloader(module, doorbell.DoorbellNative.connect(module)).attach()
    _check_deep_recursion(data, off, interp.instantiate(module, {}))


def test_doorbell_absent_means_no_offload(monkeypatch):
    def fadvise(fd, offset, length, advice):
        raise OSError(9, "Bad file descriptor")   # a plain `wasmtime run`
    monkeypatch.setattr(os, "posix_fadvise", fadvise, raising=False)
    module = interp.decode(bytes(wasmtime.wat2wasm("(module)")))
    assert doorbell.DoorbellNative.connect(module) is None

def _build_current():
    proc = subprocess.run(["bash", str(ROOT / "build.sh"), "--check"], capture_output=True,
                          cwd=ROOT)
    return proc.returncode == 0


def run_wasm(runtime, *args, offload=True, app="kernels_cmd"):
    from host import launch
    app = build(app)
    argv = ["/apps/%s" % app.name if a == "APP" else str(a) for a in args]
    # offload=False: a launcher without offload support (the doorbell is not answered)
    r = launch.run(runtime, argv, timeout=900, private_dirs=[(str(app.parent), "/apps")],
                   offload=offload)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


wasm_build = pytest.mark.skipif(not _build_current(),
                                reason="build/selfhost.wasm missing or out of date")


@wasm_build
@pytest.mark.parametrize("runtime", ["wasmtime", "node"])
def test_doorbell_offloads_with_identical_output(runtime):
    code, out_on, err_on = run_wasm(runtime, "--profile", "--offload-threshold", "50",
                                    "APP", 3, 16, 20000)
    assert code == 0, err_on
    native = {line.split()[1] for line in err_on.splitlines()
              if len(line.split()) > 2 and line.split()[2] == "native"}
    assert {"fib", "sieve", "mix"} <= native, err_on
    assert not {"report", "main", "printf"} & native
    code, out_off, err_off = run_wasm(runtime, "--profile", "--offload", "off",
                                      "APP", 3, 16, 20000)
    assert code == 0 and out_off == out_on and "native" not in err_off


@wasm_build
def test_wasmtime_without_launcher_support_interprets_everything():
    code, out, err = run_wasm("wasmtime", "--profile", "APP", 2, 12, 2000, offload=False)
    assert code == 0 and out.count("round") == 2, err
    assert " native " not in err and "offload:" not in err


@wasm_build
@pytest.mark.parametrize("runtime", ["wasmtime", "node"])
def test_doorbell_native_stack_exhaustion_reruns_interpreted(runtime):
    """deep_rec: rec(100000) overflows the launcher engine's stack; the launcher answers
    ST_STACK (nothing copied back), selfhost reverts rec and re-runs the call interpreted:
    the output (result and memory checksum) is the same as with offload off."""
    code, out_on, err_on = run_wasm(runtime, "--profile", "APP", 100000, app="deep_rec")
    assert code == 0, err_on
    row = [line.split() for line in err_on.splitlines() if " rec " in line][0]
    # one offloaded call, reverted (the cost model needs MIN_CALLS calls to revert)
    assert row[2] == "revert" and row[5] == "1", err_on
    code, out_off, err_off = run_wasm(runtime, "--offload", "off", "APP", 100000,
                                      app="deep_rec")
    assert code == 0 and out_on == out_off and out_on.startswith("rec(100000)="), err_off


# ---- measurement (python tests/test_offload.py): not asserted

def measure():
    import ctypes  # noqa: F401
    app = build("kernels_cmd")
    data = app.read_bytes()
    # per call: fib(25) natively in wasmtime vs one offloaded call (with the memory copies)
    from host.offload.native import make_offloader
    module = interp.decode(data)
    off = make_offloader(module, threshold=0)
    from interp.wasi import WASI
    wasi = WASI(["x"], {}, [])
    inst = interp.instantiate(module, wasi.imports())
    fib = [i for i, n in module.func_names.items() if n == "fib"][0]
    native = off.native
    t = time.perf_counter()
    for _ in range(20):
        r = native.funcs[fib](native.store, 25)
    plain = (time.perf_counter() - t) / 20
    t = time.perf_counter()
    for _ in range(20):
        r2 = native.call(inst, fib, [25])
    offl = (time.perf_counter() - t) / 20
    assert r2 == [r]
    print("memory %d KiB; fib(25): native wasmtime %.3f ms/call, offloaded %.3f ms/call"
          % (len(inst.mems[0].data) >> 10, plain * 1e3, offl * 1e3))
    for args in ((40, 25, 100000),):
        times = {}
        for mode in ("auto", "off"):
            t = time.perf_counter()
            code, out, err = run("--offload", mode, app, *args)
            times[mode] = time.perf_counter() - t
            assert code == 0, err
        print("whole run %s: offload auto %.2f s, off %.2f s, speedup %.1fx"
              % (args, times["auto"], times["off"], times["off"] / times["auto"]))
    if _build_current():
        args = (20, 22, 20000)
        for runtime in ("wasmtime", "node"):
            times = {}
            for mode in ("auto", "off"):
                t = time.perf_counter()
                code, out, err = run_wasm(runtime, "--offload", mode, "APP", *args)
                times[mode] = time.perf_counter() - t
                assert code == 0, err
            print("%s whole run %s: offload auto %.2f s, off %.2f s, speedup %.1fx"
                  % (runtime, args, times["auto"], times["off"], times["off"] / times["auto"]))


if __name__ == "__main__":
    measure()


def test_native_side_is_set_up_only_at_the_first_offload(monkeypatch):
    """An app that never offloads never pays for the native side: the doorbell sends no LOAD
    (the host compiles nothing) and the native CPython side compiles nothing; the first
    offload sets it up. If it cannot be set up, nothing is offloaded and results are right."""
    from host.offload.doorbell_host import DoorbellHost
    from host.offload.native import make_offloader
    from host.offload.tier2_native import make_offloader as tier2_offloader
    host = DoorbellHost(layout=(16, 32, 8))
    monkeypatch.setattr(os, "posix_fadvise",
                        lambda fd, offset, length, advice: host.handle(0, offset, length),
                        raising=False)
    wat = """(module
      (func (export "bounded") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
      (func (export "loop") (param i32) (result i32) (local $s i32)
        (loop $l (local.set $s (i32.add (local.get $s) (local.get 0)))
          (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get $s)))"""
    module = interp.decode(bytes(wasmtime.wat2wasm(wat)))
    for make, set_up in [
            (lambda: offload.Offloader(module, doorbell.DoorbellNative.connect(module)).attach(),
             lambda: host.native is not None),
            (lambda: make_offloader(module), lambda: off.native.native is not None),
            (lambda: tier2_offloader(module), lambda: off.native.native is not None)]:
        off = make()
        inst = interp.instantiate(module, {})
        assert [inst.invoke("bounded", i) for i in range(50)] == [[i + 1] for i in range(50)]
        assert not set_up() and off.calls == {}
        assert inst.invoke("loop", 10) == [55]
        assert set_up() and off.calls == {1: 1}
    broken = offload.Offloader(module, doorbell.DoorbellNative.connect(module)).attach()
    broken.native._ring = lambda op, payload=b"": ((doorbell.ST_HELLO, b"") if op == doorbell.OP_HELLO
                                                   else (doorbell.ST_ERROR, b"no compiler here"))
    inst = interp.instantiate(module, {})
    assert inst.invoke("loop", 10) == [55] and broken.calls == {}
    assert "no compiler here" in broken.unavailable


def test_lazy_doorbell_answers_the_ping_without_importing_the_native_side():
    """The wasmtime-py runner's doorbell shim (host/offload/lazy_doorbell.py) answers the ping
    itself: a start imports neither the protocol's host side nor the interp package."""
    code = ("import sys; from host.offload.lazy_doorbell import LazyDoorbell; d = LazyDoorbell(); "
            "assert d.fd_advise(None, %d, 0, 0, 0) == 0 and d.host is None; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('interp', 'selfhost', 'checkpoint') or m == 'host.offload.doorbell_host'))"
            % doorbell.MAGIC_FD)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(Path(__file__).resolve().parent.parent), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_float_nan_payloads_cross_the_native_boundary_exactly(monkeypatch):
    """f32/f64 arguments and results cross as raw bits, plain and through the doorbell: a
    signalling NaN keeps its payload and its signalling bit (a C float conversion quiets it)."""
    from host.offload.doorbell_host import DoorbellHost
    from host.offload.native import WasmtimeNative
    from interp.values import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
    wat = """(module
      (func (export "n32") (param f32) (result f32) local.get 0 f32.neg)
      (func (export "n64") (param f64) (result f64) local.get 0 f64.neg))"""
    module = interp.decode(bytes(wasmtime.wat2wasm(wat)))
    inst = interp.instantiate(module, {})
    host = DoorbellHost(layout=(16, 32, 8))
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, o, n, a: host.handle(0, o, n),
                        raising=False)
    for side in (WasmtimeNative(module), doorbell.DoorbellNative.connect(module)):
        r32, = side.call(inst, 0, [f32_from_bits(0x7FA00123)])
        r64, = side.call(inst, 1, [f64_from_bits(0x7FF4000000000ABC)])
        assert f32_to_bits(r32) == 0xFFA00123, (side, hex(f32_to_bits(r32)))
        assert f64_to_bits(r64) == 0xFFF4000000000ABC, side
