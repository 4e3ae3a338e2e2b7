"""Checkpoint / restore through the selfhost CLI on CPython (`python -m selfhost`): every trigger,
stop and continue, bad snapshots, and a kill -9 in the middle of writing one."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import support

ROOT = Path(__file__).resolve().parent.parent
APP_SRC = ROOT / "tests" / "ckpt_apps" / "stateful.c"
CACHE = ROOT / "tests" / ".cache" / "ckpt_apps"
STEPS = "8"


def build(src, name):
    return support.build_c(src, CACHE, support.WASI_CFLAGS)

@pytest.fixture(scope="module")
def app():
    return build(APP_SRC, "stateful.wasm")


def selfhost(args, cwd, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "selfhost"] + [str(a) for a in args], cwd=cwd,
                          env=env, capture_output=True, **kw)


@pytest.fixture(scope="module")
def reference(app, tmp_path_factory):
    """An uninterrupted run: stdout and the file the app appends to."""
    d = tmp_path_factory.mktemp("ref")
    r = selfhost(["--dir", ".::.", app, "out.txt", STEPS], d)
    assert r.returncode == 0, r.stderr
    return r.stdout, (d / "out.txt").read_bytes()


def resume_chain(app, d, first_args, max_phases=50):
    """Run, then restore while the app stops with 75; return (stdout, exit code, phases)."""
    out = b""
    r = selfhost(first_args, d)
    out += r.stdout
    phases = 1
    while r.returncode == 75 and phases < max_phases:
        r = selfhost(["--dir", ".::.", "--snapshot", "s.snap", "--restore", "s.snap", app], d)
        out += r.stdout
        phases += 1
    return out, r.returncode, phases, r.stderr


def test_guest_request_stops_and_every_phase_resumes(app, reference, tmp_path):
    # with CKPT_DIR the app asks for a checkpoint after every step: one step per phase
    out, code, phases, err = resume_chain(
        app, tmp_path, ["--dir", ".::.", "--snapshot", "s.snap", app, "out.txt", STEPS, "."])
    assert code == 0, err
    assert phases == int(STEPS) + 1
    assert out == reference[0]
    assert (tmp_path / "out.txt").read_bytes() == reference[1]
    assert not (tmp_path / ".selfhost-checkpoint").exists()


def test_timer_trigger(app, tmp_path):
    """--checkpoint-after 0.2: the app's maximum of 64 steps (8 can end before the timer)."""
    ref = tmp_path / "ref"
    ref.mkdir()
    r = selfhost(["--dir", ".::.", app, "out.txt", "64"], ref)
    assert r.returncode == 0, r.stderr
    run = tmp_path / "run"
    run.mkdir()
    out, code, phases, err = resume_chain(
        app, run, ["--dir", ".::.", "--snapshot", "s.snap", "--checkpoint-after", "0.2",
                   "--stats", "st.json", app, "out.txt", "64"])
    assert code == 0, err
    assert phases == 2
    assert out == r.stdout
    assert (run / "out.txt").read_bytes() == (ref / "out.txt").read_bytes()


def test_trigger_file_latency_and_continue(app, reference, tmp_path):
    """--checkpoint-continue with a trigger file: the app runs to its end, the snapshot taken
    on the way restores to the same end."""
    trigger = tmp_path / "trig"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "selfhost", "--dir", ".::.", "--snapshot", "s.snap",
         "--checkpoint-trigger", "trig", "--checkpoint-continue", str(app), "out.txt", "40"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait until it runs, then pull the trigger
    line = proc.stdout.readline()
    assert line.startswith(b"step 0")
    trigger.write_text("")
    t0 = time.monotonic()
    while trigger.exists() and time.monotonic() - t0 < 30:
        time.sleep(0.001)
    latency = time.monotonic() - t0
    rest, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert not trigger.exists()
    assert latency < 5, latency
    full = line + rest
    snap_out = tmp_path / "restored"
    snap_out.mkdir()
    # restore into a copy of the directory as it was at the end: the output file holds every
    # step, so compare only stdout's tail: the restored run must end exactly like the first
    r = selfhost(["--dir", ".::.", "--snapshot", "s2.snap", "--restore", "s.snap", app],
                 tmp_path)
    assert r.returncode == 0, r.stderr
    assert full.endswith(r.stdout)
    assert r.stdout.splitlines()[-1].startswith(b"done")


def test_restore_refuses_bad_snapshots(app, tmp_path):
    r = selfhost(["--dir", ".::.", "--snapshot", "s.snap", "--checkpoint-after", "0",
                  app, "out.txt", STEPS], tmp_path)
    assert r.returncode == 75, r.stderr
    good = (tmp_path / "s.snap").read_bytes()
    # one flipped byte anywhere (sampled) -> a clear error, exit 1, no traceback
    for pos in (0, 9, 20, len(good) // 2, len(good) - 1):
        bad = bytearray(good)
        bad[pos] ^= 0x40
        (tmp_path / "bad.snap").write_bytes(bytes(bad))
        r = selfhost(["--dir", ".::.", "--restore", "bad.snap", app], tmp_path)
        assert r.returncode == 1
        assert b"Traceback" not in r.stderr
        assert r.stderr.startswith(b"selfhost: error:"), r.stderr
    # another module: both hashes named
    other = build(ROOT / "tests" / "apps" / "hello.c", "hello_other.wasm")
    r = selfhost(["--dir", ".::.", "--restore", "s.snap", other], tmp_path)
    assert r.returncode == 1
    assert b"sha256" in r.stderr and r.stderr.count(b"sha256") >= 2, r.stderr
    # missing snapshot file, missing directory mapping
    r = selfhost(["--dir", ".::.", "--restore", "nope.snap", app], tmp_path)
    assert r.returncode == 1 and b"Traceback" not in r.stderr
    r = selfhost(["--restore", "s.snap", app], tmp_path)
    assert r.returncode == 1 and b"--dir" in r.stderr


def test_kill_during_checkpoints_leaves_a_usable_snapshot(app, reference, tmp_path):
    """The app checkpoints (and keeps running) after every step; kill -9 at several moments:
    the snapshot file is always whole and restores to the reference end."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for delay in (0.5, 0.9, 1.3):
        d = tmp_path / ("k%s" % delay)
        d.mkdir()
        proc = subprocess.Popen(
            [sys.executable, "-m", "selfhost", "--dir", ".::.", "--snapshot", "s.snap",
             "--checkpoint-continue", str(app), "out.txt", STEPS, "."],
            cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        if not (d / "s.snap").exists():
            continue
        leftovers = [p.name for p in d.iterdir() if p.name.endswith(".tmp")]
        r = selfhost(["--dir", ".::.", "--snapshot", "s2.snap", "--checkpoint-continue",
                      "--restore", "s.snap", app], d)
        assert r.returncode == 0, (leftovers, r.stderr)
        assert r.stdout.splitlines()[-1] == reference[0].splitlines()[-1]
