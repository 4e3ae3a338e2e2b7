"""kill -9 in the middle of checkpoints: the snapshot is the old one, intact, or the new one,
complete, never half a file; and a temp file a killed writer leaves behind is cleaned up by
the next write to the same snapshot (checkpoint/store.py: one fixed temp name per snapshot)
or by the host CLI when its runner died (the host's process lived on)."""
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from checkpoint import SnapshotError, check
from checkpoint.store import temp_path
from selfhost import exit_codes
from tests import support as common
from tests.security import support

ROOT = support.ROOT
STEPS = "12"


def stateful():
    return common.build_c(ROOT / "tests" / "ckpt_apps" / "stateful.c",
                          common.CACHE / "ckpt_apps", common.WASI_CFLAGS)


def start(runtime, d, app, snap):
    """`selfhost run` of stateful, asking for a checkpoint after every step and going on."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "host.cli", "run", "--runtime", runtime, "--dir", "%s::/w" % d,
         "--snapshot", str(snap), "--checkpoint-continue", str(app), "/w/out.txt", STEPS, "/w"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["native", "wasmtime"])
def test_kill_9_during_checkpoints(runtime, tmp_path):
    if runtime != "native":
        common.require_build()
    app = stateful()
    rng = random.Random(9)
    stats = {"no snapshot yet": 0, "intact": 0, "temp left by the kill": 0}
    for i in range(30):
        d = tmp_path / ("k%d" % i)
        d.mkdir()
        snap = d / "s.snap"
        proc = start(runtime, d, app, snap)
        # wait for the first checkpoint, then kill at a random moment of the next ones
        deadline = time.time() + 300
        while not snap.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 1.5))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if not snap.exists():
            stats["no snapshot yet"] += 1
            continue
        try:
            check(snap.read_bytes())
        except SnapshotError as e:
            pytest.fail("kill %d left a damaged snapshot: %s" % (i, e))
        stats["intact"] += 1
        if os.path.lexists(temp_path(snap)):
            stats["temp left by the kill"] += 1
        # the next run on this snapshot resumes it and cleans the leftover up
        r = support.selfhost_cli(["restore", "--runtime", runtime, "--dir", "%s::/w" % d,
                                  str(snap), str(app)], timeout=600)
        assert r.returncode in (0, exit_codes.CHECKPOINTED), r.stderr
        assert not os.path.lexists(temp_path(snap)), "kill %d: temp file left" % i
        assert sorted(p.name for p in d.iterdir()) == ["out.txt", "s.snap"]
    print("kill -9 x30 on %s:" % runtime, stats)
    assert stats["intact"] >= 20, stats


def test_host_cli_removes_the_temp_of_a_runner_that_died(tmp_path):
    """The runner was killed mid-write (simulated: its temp file is there) and the host CLI
    lived on: it removes the temp file when the run ends."""
    d = tmp_path / "w"
    d.mkdir()
    snap = d / "s.snap"
    with open(temp_path(snap), "wb") as f:
        f.write(b"half a snapshot")
    app = support.build("argsize")
    r = support.selfhost_cli(["run", "--runtime", "native", "--snapshot", str(snap),
                              str(app)])
    assert r.returncode == 0, r.stderr
    assert not os.path.lexists(temp_path(snap))


def test_a_planted_temp_symlink_is_not_followed(tmp_path):
    """The guest can write in its directory, where the snapshot may be: a symlink planted under
    the temp name is replaced, never written through."""
    from checkpoint import Snapshot, write_snapshot
    d = tmp_path / "w"
    d.mkdir()
    (tmp_path / "victim").write_text("victim\n")
    os.symlink("../victim", temp_path(d / "s.snap"))
    write_snapshot(str(d / "s.snap"), Snapshot(module_sha256=bytes(32),
                                               wasi={"args": []}))
    assert (tmp_path / "victim").read_text() == "victim\n"
    assert sorted(os.listdir(d)) == ["s.snap"]


def test_planted_symlinks_as_wasmer_answers_them(tmp_path, monkeypatch):
    """Wasmer's file system answers O_CREAT|O_EXCL|O_NOFOLLOW on a symlink with ELOOP (not
    EEXIST), and panics renaming onto a dangling symlink (the guest dies, reported as exit 0):
    emulated here, a write still replaces both planted links and touches nothing outside."""
    import errno
    import stat
    from checkpoint import Snapshot, write_snapshot
    real_open, real_rename = os.open, os.rename

    def is_link(path, dir_fd):
        try:
            return stat.S_ISLNK(os.lstat(path, dir_fd=dir_fd).st_mode)
        except FileNotFoundError:
            return False

    def wasmer_open(path, flags, mode=0o777, *, dir_fd=None):
        if flags & os.O_EXCL and is_link(path, dir_fd):
            raise OSError(errno.ELOOP, "Symbolic link loop")
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def wasmer_rename(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
        assert not is_link(dst, dst_dir_fd), "renamed onto a symlink: Wasmer panics"
        return real_rename(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    d = tmp_path / "w"
    d.mkdir()
    (tmp_path / "victim").write_text("victim\n")
    os.symlink("../victim", temp_path(d / "s.snap"))
    os.symlink("../nothing", d / "s.snap")
    monkeypatch.setattr(os, "open", wasmer_open)
    monkeypatch.setattr(os, "rename", wasmer_rename)
    write_snapshot(str(d / "s.snap"), Snapshot(module_sha256=bytes(32), wasi={"args": []}))
    monkeypatch.undo()
    assert (tmp_path / "victim").read_text() == "victim\n"
    assert sorted(os.listdir(tmp_path)) == ["victim", "w"]
    assert sorted(os.listdir(d)) == ["s.snap"] and not os.path.islink(d / "s.snap")
    assert (d / "s.snap").read_bytes()[:8] == b"\x89SHSNAP\n"
