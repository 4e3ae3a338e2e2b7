"""Tier 2 end to end on CPython: the native side (host/offload/tier2_native.py) runs the
*instrumented* app for the offloaded functions.

(a) results are those of the interpreter and of the plain native side, with polls happening
    inside the native calls (a broken instrumentation changes the output or polls nothing);
(b) a checkpoint asked for while native code runs: the native code unwinds at its next poll,
    its frames become interpreter frames, the snapshot is written from them (its top frames are
    offloaded functions, pcs inside their original bodies) and the pure interpreter restores it
    to the output of an uninterrupted run.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

wasmtime = pytest.importorskip("wasmtime")

import interp  # noqa: E402
from checkpoint.store import read_snapshot  # noqa: E402
from interp import offload  # noqa: E402
from tests.apps.build import build_c  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "tests" / "offload_apps"
CACHE = ROOT / "tests" / ".cache" / "offload_apps"
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-fno-sanitize=undefined",
          "-Wl,-z,stack-size=65536"]
ARGS = [3, 18, 20000]       # kernels_cmd: rounds, fib(n), sieve/mix size


def build(name):
    return build_c(APPS / (name + ".c"), CACHE, CFLAGS)


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "host.runtimes.native_main", *map(str, args)],
                          capture_output=True, cwd=ROOT, timeout=600,
                          env=dict(os.environ, SELFHOST_TIER2="1"))
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


@pytest.fixture(autouse=True)
def tier2_on(monkeypatch):
    """The native runtime's side is the instrumented one only when asked (native_main)."""
    monkeypatch.setenv("SELFHOST_TIER2", "1")


@pytest.fixture
def often(monkeypatch):
    """Native polls at every countdown tick (the adaptive policy would poll once a ms)."""
    from host.offload import tier2_native
    monkeypatch.setattr(tier2_native, "POLL_INTERVAL", 1e-12)
    monkeypatch.setattr(tier2_native, "FIRST_BUDGET", 1)
    return tier2_native


def trigger_at_poll(monkeypatch, trigger, at_poll):
    """The checkpoint trigger file appears at the instrumented side's native poll number
    ``at_poll`` (session's trigger polling on every safe point); returns the original _poll."""
    from host.offload import tier2_native
    from selfhost import session
    monkeypatch.setattr(session, "TRIGGER_POLL_SECONDS", 0.0)
    orig_poll = tier2_native.InstrumentedNative._poll

    def poll(self):
        if self.polls == at_poll:
            trigger.write_text("now")
        return orig_poll(self)
    monkeypatch.setattr(tier2_native.InstrumentedNative, "_poll", poll)
    return orig_poll


def _native_sides(module):
    from host.offload.native import WasmtimeNative
    from host.offload.tier2_native import InstrumentedNative
    analysis = offload.analyze(module)
    return analysis, WasmtimeNative(module), InstrumentedNative(module, analysis.offloadable)


def test_instrumented_calls_give_the_plain_native_and_interpreter_results(often):
    """Every offloadable kernel of kernels_cmd called through both native sides and the
    interpreter from the same state: same results, same memory afterwards; the instrumented
    side polled inside the calls."""
    data = build("kernels_cmd").read_bytes()
    results = {}
    for side in ("interp", "plain", "instrumented"):
        module = interp.decode(data)
        analysis, plain, instr = _native_sides(module)
        native = {"plain": plain, "instrumented": instr}.get(side)
        inst = interp.instantiate(module, _wasi_stubs(module))
        names = {module.func_names.get(i): i for i in analysis.offloadable}
        out = []
        for name, args in (("fib", [20]), ("sieve", [50000]), ("mix", [12345, 100000]),
                           ("fib", [7]), ("sieve", [3000])):
            i = names[name]
            if native is None:
                out.append(inst.machine.call(inst.funcs[i], args))
            else:
                out.append(native.call(inst, i, args, analysis.sync(i)))
        out.append(bytes(inst.mems[0].data))
        out.append([g.v for g in inst.globals])
        results[side] = out
        if side == "instrumented":
            assert instr.polls > 100 and instr.unwinds == 0
            assert {"fib", "sieve", "mix"} <= {module.func_names.get(i) for i in instr.points}
    assert results["instrumented"] == results["plain"] == results["interp"]


def _wasi_stubs(module):
    imports = {}
    for imp in module.imports:
        if imp.kind == "func":
            ft = module.types[imp.desc]
            imports.setdefault(imp.module, {})[imp.name] = interp.HostFunc(
                ft, lambda *a, n=len(ft.results): [0] * n or None)
    return imports


def test_whole_app_output_identical_instrumented_plain_and_interpreted():
    app = build("kernels_cmd")
    code_off, out_off, _ = run("--offload", "off", app, *ARGS)
    code_on, out_on, err_on = run("--profile", "--offload-threshold", "50", app, *ARGS)
    assert code_off == code_on == 0, err_on
    assert out_on == out_off and out_on.count("round") == 3
    native = {line.split()[1] for line in err_on.splitlines()
              if len(line.split()) > 2 and line.split()[2] == "native"}
    assert {"fib", "sieve", "mix"} <= native


def test_checkpoint_while_native_code_runs_restores_in_the_interpreter(tmp_path, monkeypatch,
                                                                      capfd, often):
    """The trigger file appears during a native call (at its 50th poll): the native code
    unwinds, the snapshot holds its frames as interpreter frames, and --offload off restores
    it to the uninterrupted output."""
    from selfhost import cli, exit_codes
    app = build("kernels_cmd")
    code, full, _ = run("--offload", "off", app, *ARGS)
    assert code == 0
    trigger = tmp_path / "ckpt.trigger"
    snap = tmp_path / "s.snap"
    seen = {"native_calls": 0, "unwound_in_call": 0}
    tier2_native = often
    trigger_at_poll(monkeypatch, trigger, 50)
    orig_call = tier2_native.InstrumentedNative.call

    def call(self, *a, **k):
        seen["native_calls"] += 1
        try:
            return orig_call(self, *a, **k)
        except interp.tier2.Unwound:
            seen["unwound_in_call"] += 1
            raise

    monkeypatch.setattr(tier2_native.InstrumentedNative, "call", call)
    capfd.readouterr()
    from host.runtimes.native_main import _native_side
    rc = cli.main(["--offload-threshold", "0", "--checkpoint-trigger", str(trigger),
                   "--snapshot", str(snap), str(app), *map(str, ARGS)],
                  native_side=_native_side)
    first = capfd.readouterr().out
    assert rc == exit_codes.CHECKPOINTED and snap.is_file() and not trigger.exists()
    assert seen["unwound_in_call"] == 1
    module = interp.decode(app.read_bytes())
    offloadable = offload.analyze(module).offloadable
    frames = read_snapshot(snap).frames
    # the top frames are the unwound native ones: offloaded functions, their pcs inside their
    # original bodies, and the bottom of the app (_start, main) interpreted
    top = frames[-1]
    assert top.func in offloadable
    nimp = len(module.imported("func"))
    body = module.funcs[top.func - nimp].body
    assert body[0][2] <= top.pc <= body[-1][2]
    assert frames[0].func not in offloadable
    code, rest, err = run("--offload", "off", "--restore", snap, app, *ARGS)
    assert code == 0, err
    assert first + rest == full
    # and restored with the instrumented native side too
    code, rest2, err = run("--restore", snap, app, *ARGS)
    assert code == 0, err
    assert rest2 == rest


def _checkpoint_in_native(tmp_path, monkeypatch, capfd, args, at_poll, name="s.snap",
                          extra=(), app=None):
    """Run kernels_cmd ``args`` in-process with the instrumented native side; the trigger
    file appears at native poll ``at_poll``. Returns (stdout so far, snapshot path)."""
    from host.offload import tier2_native
    from host.runtimes.native_main import _native_side
    from selfhost import cli, exit_codes
    app = app or build("kernels_cmd")
    trigger = tmp_path / "ckpt.trigger"
    snap = tmp_path / name
    orig_poll = trigger_at_poll(monkeypatch, trigger, at_poll)
    capfd.readouterr()
    rc = cli.main(["--offload-threshold", "0", *extra, "--checkpoint-trigger", str(trigger),
                   "--snapshot", str(snap), str(app), *map(str, args)],
                  native_side=_native_side)
    monkeypatch.setattr(tier2_native.InstrumentedNative, "_poll", orig_poll)
    first = capfd.readouterr().out
    assert rc == exit_codes.CHECKPOINTED and snap.is_file()
    return first, snap


def _restore_in_process(snap, args, capfd, extra=(), app=None):
    from host.runtimes.native_main import _native_side
    from selfhost import cli
    capfd.readouterr()
    rc = cli.main(["--profile", *extra, "--restore", str(snap), str(app or build("kernels_cmd")),
                   *map(str, args)], native_side=_native_side)
    out, err = capfd.readouterr()
    return rc, out, err


def test_restore_rewinds_into_native_code(tmp_path, monkeypatch, capfd, often):
    """(c) The snapshot taken inside native fib's recursion is restored with the instrumented
    native side: the frames are rewound into native code (one rewind, no unwind), and the run
    ends with the uninterrupted output."""
    code, full, _ = run("--offload", "off", build("kernels_cmd"), *ARGS)
    first, snap = _checkpoint_in_native(tmp_path, monkeypatch, capfd, ARGS, 50)
    rc, rest, err = _restore_in_process(snap, ARGS, capfd)
    assert rc == 0, err
    assert first + rest == full
    line = [ln for ln in err.splitlines() if ln.startswith("tier 2:")][0]
    assert " 0 unwinds, 1 rewinds" in line, line


def test_long_native_call_checkpointed_and_resumed_natively(tmp_path, monkeypatch, capfd):
    """The issue's case: one long pure call (mix over 150 M rounds, far too long to finish
    interpreted). Checkpointed mid-call with the adaptive poll policy, restored: it goes on
    natively (rewound) and prints what the uninterrupted run prints."""
    args = [1, 18, 150_000_000]
    code, full, err = run("--offload-threshold", "0", build("kernels_cmd"), *args)
    assert code == 0 and "round 0" in full, err
    first, snap = _checkpoint_in_native(tmp_path, monkeypatch, capfd, args, 60)
    frames = read_snapshot(snap).frames
    module = interp.decode(build("kernels_cmd").read_bytes())
    assert module.func_names.get(frames[-1].func) == "mix"
    rc, rest, err = _restore_in_process(snap, args, capfd)
    assert rc == 0, err
    assert first + rest == full
    assert " 0 unwinds, 1 rewinds" in [ln for ln in err.splitlines()
                                        if ln.startswith("tier 2:")][0]


def _tier2_line(err):
    return [ln for ln in err.splitlines() if ln.startswith("tier 2:")][0]


def _tier2_count(err, what):
    """A count from --profile's "tier 2:" line ("3 rewinds" -> 3 for what="rewinds")."""
    for part in _tier2_line(err).split(", ")[1:]:
        n, name = part.split(" ", 1)
        if name == what:
            return int(n)
    raise AssertionError("no %r in %s" % (what, _tier2_line(err)))


def test_import_calls_from_native_code_round_trip_through_selfhost_wasi():
    """(d) --offload imports: _start itself runs natively; every import call (fd_write from
    printf, proc_exit) unwinds to selfhost's WASI and rewinds: same output as interpreted."""
    app = build("kernels_cmd")
    code_off, out_off, _ = run("--offload", "off", app, *ARGS)
    code, out, err = run("--profile", "--offload", "imports", "--offload-threshold", "0", app,
                         *ARGS)
    assert code == code_off == 0, err
    assert out == out_off
    start = [ln.split() for ln in err.splitlines() if " _start " in ln][0]
    assert start[2] == "native"
    trips = _tier2_count(err, "import round trips")
    assert trips >= 3                        # one fd_write per printed line at least


def test_checkpoint_with_imports_offloaded_keeps_the_fd_state(tmp_path, monkeypatch, capfd,
                                                              often):
    """(d) tests/tier2_apps/counter.c (a loop with a write every round) runs natively whole,
    with import round trips; a checkpoint in its loop: the lines written before it (through
    selfhost's WASI) are in the snapshot's fd state and are not written again on restore,
    interpreted or rewound natively."""
    app = build_c(ROOT / "tests" / "tier2_apps" / "counter.c", CACHE, CFLAGS)
    args = [6, 3000]
    code, full, _ = run("--offload", "off", app, *args)
    assert code == 0 and full.count("round") == 6
    first, snap = _checkpoint_in_native(tmp_path, monkeypatch, capfd, args, 40,
                                        extra=("--offload", "imports"), app=app)
    assert 0 < first.count("round") < 6, first     # stopped between two written lines
    frames = read_snapshot(snap).frames
    assert len(frames) >= 2            # _start .. main, rewound natively from the records
    code, rest, err = run("--offload", "off", "--restore", snap, app, *args)
    assert code == 0, err
    assert first + rest == full
    rc, rest2, err = _restore_in_process(snap, args, capfd, ("--offload", "imports"), app=app)
    assert rc == 0, err
    assert rest2 == rest
    line = _tier2_line(err)
    trips = _tier2_count(err, "import round trips")
    assert " 0 unwinds" in line and trips >= 1, line
    assert _tier2_count(err, "rewinds") == trips + 1, line     # the restore's, then each trip


def test_checkpoint_continue_inside_native_code_goes_on_natively(tmp_path, monkeypatch, capfd,
                                                                 often):
    """--checkpoint-continue while native fib runs: unwind, snapshot, rewind natively, and the
    run ends with the uninterrupted output; the snapshot restores to the same rest."""
    from host.runtimes.native_main import _native_side
    from selfhost import cli
    app = build("kernels_cmd")
    code, full, _ = run("--offload", "off", app, *ARGS)
    trigger = tmp_path / "ckpt.trigger"
    snap = tmp_path / "c.snap"
    trigger_at_poll(monkeypatch, trigger, 50)
    capfd.readouterr()
    rc = cli.main(["--profile", "--offload-threshold", "0", "--checkpoint-continue",
                   "--checkpoint-trigger", str(trigger), "--snapshot", str(snap), str(app),
                   *map(str, ARGS)], native_side=_native_side)
    out, err = capfd.readouterr()
    assert rc == 0 and out == full and snap.is_file(), err
    assert _tier2_count(err, "unwinds") == 1 and _tier2_count(err, "rewinds") == 1
    code, rest, err = run("--offload", "off", "--restore", snap, app, *ARGS)
    assert code == 0 and full.endswith(rest) and rest, err


def _stateful():
    """tests/ckpt_apps/stateful.c (the migration tests' app): its native part is a 3000-deep
    recursion and the libc helpers; memory grows, an output file stays open across steps."""
    from tests import support
    return support.build_c(ROOT / "tests" / "ckpt_apps" / "stateful.c",
                           ROOT / "tests" / ".cache" / "ckpt" / "strip", support.WASI_CFLAGS)


def test_checkpoints_at_random_native_moments_restore_exactly(tmp_path, monkeypatch, capfd,
                                                               often):
    """Checkpoints at random native polls of stateful.c (one unwind each, frames thousands
    deep), restored by the plain native side, the interpreter and tier 2 in turn: stdout and
    the output file are those of an uninterrupted run every time."""
    import random
    from selfhost import cli, exit_codes, session
    app = _stateful()
    args = ["/data/out.txt", "20"]
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    code, full, err = run("--offload", "off", "--dir", "%s::/data" % ref_dir, app, *args)
    assert code == 0, err
    ref_file = (ref_dir / "out.txt").read_bytes()
    monkeypatch.setattr(session, "TRIGGER_POLL_SECONDS", 0.0)
    tier2_native = often
    orig_poll = tier2_native.InstrumentedNative._poll
    orig_call = tier2_native.InstrumentedNative.call
    at = {"poll": 0, "unwinds": 0}

    def poll(self):
        if self.polls == at["poll"]:
            at["trigger"].write_text("now")
        return orig_poll(self)

    def call(self, *a, **k):
        try:
            return orig_call(self, *a, **k)
        except interp.tier2.Unwound:
            at["unwinds"] += 1
            raise
    monkeypatch.setattr(tier2_native.InstrumentedNative, "_poll", poll)
    monkeypatch.setattr(tier2_native.InstrumentedNative, "call", call)
    from host.runtimes.native_main import _native_side
    restores = [({"SELFHOST_TIER2": "0"}, ()), ({}, ("--offload", "off")),
                ({"SELFHOST_TIER2": "1"}, ())]
    rnd = random.Random(13)
    for k in range(9):
        d = tmp_path / ("m%d" % k)
        (d / "data").mkdir(parents=True)
        at.update(poll=rnd.randint(1, 12000), trigger=d / "trigger", unwinds=0)
        capfd.readouterr()
        rc = cli.main(["--checkpoint-trigger", str(d / "trigger"), "--snapshot",
                       str(d / "s.snap"), "--dir", "%s::/data" % (d / "data"), str(app), *args],
                      native_side=_native_side)
        first = capfd.readouterr().out
        assert rc == exit_codes.CHECKPOINTED and at["unwinds"] == 1, (at, rc)
        env, opts = restores[k % len(restores)]
        proc = subprocess.run([sys.executable, "-m", "host.runtimes.native_main", *opts,
                               "--restore", str(d / "s.snap"), "--dir",
                               "%s::/data" % (d / "data"), str(app), *args],
                              capture_output=True, cwd=ROOT, timeout=600,
                              env=dict(os.environ, **env))
        assert proc.returncode == 0, (at["poll"], proc.stderr.decode())
        assert first + proc.stdout.decode() == full, (at["poll"], env, opts)
        assert (d / "data" / "out.txt").read_bytes() == ref_file, (at["poll"], env, opts)


_BLOCK_CALL = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $inner (param $n i32) (result i32) (local $x i32)
    (local.set $x (i32.const 1))
    (loop $l
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1664525))
                             (i32.const 1013904223)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (local.get $x))
  (func $outer (param $n i32) (result i32)
    (block (result i32) (call $inner (local.get $n)))
    (i32.const 7)
    (i32.add))
  (func (export "_start")
    (i32.store (i32.const 16) (call $outer (i32.const 3000000)))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""


def test_frame_waiting_in_a_call_before_an_end_is_rewound_natively(tmp_path, monkeypatch,
                                                                     capfdbinary, often):
    """A snapshot taken inside native $inner, whose caller $outer waits in a call that is the
    last instruction of a block: Machine.capture writes $outer's pc as the block's ``end``
    (lower.Code.after_call). The restore rewinds both frames into native code (the safe-point
    map's "call" pc is that same offset; it was the instruction after the ``end``, so only
    $inner was rewound and $outer went on interpreted), with the uninterrupted output."""
    from tests import support
    from selfhost import cli, exit_codes
    app = support.wat2wasm(_BLOCK_CALL, tmp_path / "block_call.wasm")
    full = subprocess.run([sys.executable, "-m", "host.runtimes.native_main", "--offload", "off",
                           str(app)], capture_output=True, cwd=ROOT, timeout=600).stdout
    assert len(full) == 4        # the result of $outer, as 4 raw bytes
    trigger, snap = tmp_path / "trigger", tmp_path / "s.snap"
    trigger_at_poll(monkeypatch, trigger, 1000)
    from host.runtimes.native_main import _native_side
    rc = cli.main(["--checkpoint-trigger", str(trigger), "--snapshot", str(snap), str(app)],
                  native_side=_native_side)
    assert rc == exit_codes.CHECKPOINTED
    frames = read_snapshot(snap).frames
    module = interp.decode(app.read_bytes())
    outer = module.funcs[frames[1].func - len(module.imported("func"))]
    assert [op for op, _imm, off in outer.body if off == frames[1].pc] == [interp.opcodes.END]
    rewound = []
    orig_rewinder = offload.Offloader._rewinder

    def rewinder(self, inst, index, plan, fr):
        rewound.append([d["func"] for d in fr])
        return orig_rewinder(self, inst, index, plan, fr)
    monkeypatch.setattr(offload.Offloader, "_rewinder", rewinder)
    capfdbinary.readouterr()
    rc = cli.main(["--restore", str(snap), str(app)], native_side=_native_side)
    out = capfdbinary.readouterr().out
    assert rc == 0 and out == full
    assert rewound == [[frames[1].func, frames[2].func]]
