"""Tier 2 over the doorbell (selfhost.wasm's native side: selfhost/doorbell.py DoorbellTier2,
host/offload/doorbell_host.py with tier2_native.HostedInstrumented), in one process: the
guest's requests go straight to the Python host (64-bit CPython layout), so the protocol, the
stop conditions the host checks itself (deadline, trigger file), spurious stops, long replies
(FETCH) and rewinds are tested without building selfhost.wasm. The same guest code runs inside
selfhost.wasm against the wasmtime-py child and the Node launcher in
tests/test_tier2_hosts.py.
"""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

wasmtime = pytest.importorskip("wasmtime")

import interp  # noqa: E402
from checkpoint.store import read_snapshot  # noqa: E402
from interp.offload import DEFAULT_THRESHOLD, Offloader, analyze, applies  # noqa: E402
from selfhost import cli, doorbell, exit_codes  # noqa: E402
from tests.test_tier2_native import _stateful, build  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


class InProcess:
    """A DoorbellHost answering this process's posix_fadvise, and a ``native_side`` for
    cli.main that attaches the doorbell's sides (as session does inside selfhost.wasm)."""

    def __init__(self, monkeypatch, trigger=None, host_instruments=True):
        from host.offload.doorbell_host import DoorbellHost
        self.host = DoorbellHost(layout=(16, 32, 8), trigger=trigger and str(trigger),
                                 instruments=host_instruments)
        self.sides = []

        def fadvise(fd, offset, length, advice):
            if fd != doorbell.MAGIC_FD:
                raise OSError(9, "Bad file descriptor")
            self.host.handle(0, offset, length)
        monkeypatch.setattr(os, "posix_fadvise", fadvise, raising=False)

    def native_side(self, module, threshold, imports=False, tier2=False):
        analysis = analyze(module, imports=True) if imports else applies(module)
        if tier2 or imports:
            side = doorbell.DoorbellTier2.connect(
                module, analysis.offloadable,
                range(len(module.imported("func"))) if imports else ())
        else:
            side = doorbell.DoorbellNative.connect(module)
        self.sides.append(side)
        return Offloader(module, side, DEFAULT_THRESHOLD if threshold is None else threshold,
                         analysis=analysis).attach()

    def main(self, argv):
        return cli.main([str(a) for a in argv], native_side=self.native_side)


def _reference(app, args, extra=()):
    proc = subprocess.run([sys.executable, "-m", "host.runtimes.native_main", *extra, str(app),
                           *map(str, args)], capture_output=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


@pytest.mark.parametrize("host_instruments", [True, False])
def test_timer_checkpoint_inside_native_code_resumes_natively(tmp_path, monkeypatch, capfd,
                                                              host_instruments):
    """The issue's case through the doorbell: one long pure call (mix), --checkpoint-after
    while it runs natively: the host's poll sees the deadline, the code unwinds, the snapshot's
    top frame is mix (not a frame after the call); the restore rewinds it natively and the
    output is that of an uninterrupted run. Both ways to make the native module: the host
    instruments the app (CPython hosts), or the guest sends it instrumented (Node)."""
    app = build("kernels_cmd")
    args = [1, 18, 300_000_000]
    full = _reference(app, args)
    snap = tmp_path / "s.snap"
    side = InProcess(monkeypatch, host_instruments=host_instruments)
    capfd.readouterr()
    rc = side.main(["--offload", "tier2", "--offload-threshold", "0", "--snapshot", snap,
                    "--checkpoint-after", "0.2", "--stats", tmp_path / "st.json", app, *args])
    first = capfd.readouterr().out
    assert rc == exit_codes.CHECKPOINTED
    module = interp.decode(app.read_bytes())
    top = read_snapshot(snap).frames[-1]
    assert module.func_names.get(top.func) == "mix"
    (guest,) = side.sides
    assert guest.unwinds == 1 and guest.polls > 0
    assert guest.host_instruments == host_instruments
    again = InProcess(monkeypatch, host_instruments=host_instruments)
    rc = again.main(["--offload", "tier2", "--profile", "--restore", snap, app, *args])
    out, err = capfd.readouterr()
    assert rc == 0, err
    assert first + out == full
    assert again.sides[0].rewinds == 1 and again.sides[0].unwinds == 0
    assert " 0 unwinds, 1 rewinds" in [ln for ln in err.splitlines()
                                        if ln.startswith("tier 2:")][0]


def test_trigger_file_is_watched_by_the_host(tmp_path, monkeypatch, capfd):
    """The checkpoint trigger appears while native mix runs: the host watches its host path
    (the launcher's config), the guest confirms the stop (its controller takes the file)."""
    app = build("kernels_cmd")
    args = [1, 18, 300_000_000]
    trigger, snap = tmp_path / "trigger", tmp_path / "s.snap"
    side = InProcess(monkeypatch, trigger=trigger)
    timer = threading.Timer(0.3, trigger.write_text, ("now",))
    timer.start()
    try:
        rc = side.main(["--offload", "tier2", "--offload-threshold", "0", "--snapshot", snap,
                        "--checkpoint-trigger", trigger, app, *args])
    finally:
        timer.cancel()
    assert rc == exit_codes.CHECKPOINTED and not trigger.exists()
    module = interp.decode(app.read_bytes())
    assert module.func_names.get(read_snapshot(snap).frames[-1].func) == "mix"


def test_a_stop_the_guest_does_not_confirm_goes_on_natively(monkeypatch, capfd):
    """The host stops at every 3rd poll though no checkpoint is wanted: each time the guest's
    machine says no and the frames go straight back into native code (continue_records): the
    output is unchanged, nothing was checkpointed, and the unwinds and rewinds happened."""
    from host.offload import tier2_native
    app = build("kernels_cmd")
    args = [2, 20, 3_000_000]
    full = _reference(app, args, ("--offload", "off"))
    orig = tier2_native.HostedInstrumented._poll

    def poll(self):
        budget = orig(self)
        return 0 if self.polls % 3 == 0 else min(budget, 200)
    monkeypatch.setattr(tier2_native.HostedInstrumented, "_poll", poll)
    side = InProcess(monkeypatch)
    capfd.readouterr()
    rc = side.main(["--offload", "tier2", "--offload-threshold", "0", app, *args])
    out, err = capfd.readouterr()
    assert rc == 0, err
    assert out == full
    guest = side.sides[0]
    assert guest.unwinds >= 10 and guest.rewinds == guest.unwinds


def test_deep_frames_cross_in_a_long_reply_and_restore_everywhere(tmp_path, monkeypatch,
                                                                  capfd):
    """stateful.c's 3000-deep native recursion stopped at host polls: the spilled frames are
    far longer than the mailbox (status MORE, then FETCH); restored by the interpreter and by
    the doorbell's tier 2 (rewound natively), stdout and the output file are those of an
    uninterrupted run."""
    from host.offload import tier2_native
    monkeypatch.setattr(tier2_native, "POLL_INTERVAL", 1e-12)
    monkeypatch.setattr(tier2_native, "FIRST_BUDGET", 1)
    app = _stateful()
    args = ["/data/out.txt", "20"]
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    full = _reference(app, args, ("--offload", "off", "--dir", "%s::/data" % ref_dir))
    ref_file = (ref_dir / "out.txt").read_bytes()
    for k, (at_poll, restore_opts) in enumerate([(700, ("--offload", "off")),
                                                 (2500, ("--offload", "tier2"))]):
        d = tmp_path / ("m%d" % k)
        (d / "data").mkdir(parents=True)
        trigger = d / "trigger"
        orig = tier2_native.HostedInstrumented._poll

        def poll(self, orig=orig, trigger=trigger, at_poll=at_poll):
            if self.polls + 1 == at_poll:
                trigger.write_text("now")
            return orig(self)
        monkeypatch.setattr(tier2_native.HostedInstrumented, "_poll", poll)
        side = InProcess(monkeypatch, trigger=trigger)
        capfd.readouterr()
        rc = side.main(["--offload", "tier2", "--offload-threshold", "0", "--snapshot",
                        d / "s.snap", "--checkpoint-trigger", trigger, "--dir",
                        "%s::/data" % (d / "data"), app, *args])
        first = capfd.readouterr().out
        monkeypatch.setattr(tier2_native.HostedInstrumented, "_poll", orig)
        assert rc == exit_codes.CHECKPOINTED
        assert side.host.requests and len(read_snapshot(d / "s.snap").frames) > 300
        again = InProcess(monkeypatch)
        rc = again.main([*restore_opts, "--restore", d / "s.snap", "--dir",
                         "%s::/data" % (d / "data"), app, *args])
        out, err = capfd.readouterr()
        assert rc == 0, err
        assert first + out == full, restore_opts
        assert (d / "data" / "out.txt").read_bytes() == ref_file
        if restore_opts[1] == "tier2":
            assert again.sides[0].rewinds >= 1


def test_long_replies_are_fetched(monkeypatch):
    """A reply longer than the mailbox comes as MORE (its length), then whole by FETCH."""
    from host.offload.doorbell_host import DoorbellHost
    host = DoorbellHost(layout=(16, 32, 8))
    calls = []

    def fadvise(fd, offset, length, advice):
        calls.append(length)
        host.handle(0, offset, length)
    monkeypatch.setattr(os, "posix_fadvise", fadvise, raising=False)
    module = interp.decode(bytes(wasmtime.wat2wasm("(module)")))
    side = doorbell.DoorbellNative.connect(module)
    host.unsent = (doorbell.ST_OK, bytes(range(256)) * 40)     # as if a CALL left it
    status, reply = side._ring(doorbell.OP_FETCH)
    assert status == doorbell.ST_OK and reply == bytes(range(256)) * 40
    assert calls[-1] >= 10240 + 16 and host.unsent is None


def test_the_safe_point_map_comes_from_the_host_that_instrumented(monkeypatch):
    """The host instrumented the app itself: the guest asks it for each function's safe
    points (POINTS, at the first use) instead of instrumenting the app again, and gets the
    very map its own instrumentation would make."""
    from interp.instrument import instrument
    side = InProcess(monkeypatch)
    module = interp.decode(build("kernels_cmd").read_bytes())
    native = side.native_side(module, 0, tier2=True).native
    native.prepare()
    assert native.host_instruments
    own = instrument(interp.decode(build("kernels_cmd").read_bytes()), native._funcs).funcs
    points = native.points
    assert native.instrumented is None            # the guest did not instrument
    assert own and all(f in points for f in own)
    for f, fp in own.items():
        got = points[f]
        assert (got.func, got.local_types, got.nparams, got.entry_pc) == (
            fp.func, fp.local_types, fp.nparams, fp.entry_pc)
        assert [[getattr(p, k) for k in p.__slots__] for p in got.points] == \
            [[getattr(p, k) for k in p.__slots__] for p in fp.points]
    nimp = len(module.imported("func"))
    plain = next(i for i in range(nimp, len(module.func_types())) if i not in own)
    assert plain not in points and points.get(plain) is None


def _deep_import():
    from tests.apps.build import build_c
    return build_c(ROOT / "tests" / "tier2_apps" / "deep_import.c",
                   ROOT / "tests" / ".cache" / "tier2_apps",
                   ["-target", "wasm32-wasi", "-O2", "-fno-sanitize=undefined"])


@pytest.mark.parametrize("depth", [10, 60])
def test_import_calls_from_deep_native_stacks(depth, monkeypatch, capfd):
    """--offload imports over the doorbell's protocol (on CPython: inside selfhost.wasm it
    runs as tier 2 for now, tests/test_tier2_hosts.py): a printf at the bottom of a native
    recursion unwinds every frame to selfhost's WASI and is rewound; the output is the
    interpreter's."""
    app = _deep_import()
    full = _reference(app, [depth], ("--offload", "off"))
    side = InProcess(monkeypatch)
    capfd.readouterr()
    rc = side.main(["--offload", "imports", "--offload-threshold", "0", app, depth])
    out, err = capfd.readouterr()
    assert rc == 0, err
    assert out == full
    native = side.sides[0]
    assert native.unwinds >= 3        # every printf unwound to selfhost's WASI
