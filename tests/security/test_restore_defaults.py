"""A restore on the machine that took the snapshot defaults to the directories that run had.

The host CLI tells selfhost.wasm where each --dir is on the host (--dir-origin); the snapshot
records it (the WASI section's preopens) instead of selfhost.wasm's own view of it (Wasmer's
/workspace/dN, the guest name elsewhere). `selfhost restore` without --dir then gives the app
those directories and says so, but only for a snapshot that a run of this user wrote on this
machine (host/known_snapshots.py): a snapshot is untrusted, and one that merely names a
directory is refused with the --dir to pass."""
import shutil
from dataclasses import replace

import pytest

from checkpoint import check, encode
from checkpoint import format as fmt
from selfhost import exit_codes
from tests import support as common
from tests.security import support
from tests.security.support import RUNTIMES

GUEST = "/data"
EXPECTED = b"r=21 counter=17 file=[before|after] n=12\n"


def take(runtime, tmp_path):
    """snapme checkpointed by `selfhost run --runtime RUNTIME`: (data dir, snapshot, app)."""
    if runtime != "native":
        common.require_build()
    data = tmp_path / "data"
    data.mkdir()
    snap = tmp_path / "s.snap"
    app = support.build("snapme")
    r = support.selfhost_cli(["run", "--runtime", runtime, "--dir", "%s::%s" % (data, GUEST),
                              "--snapshot", str(snap), str(app), GUEST], cwd=str(tmp_path))
    assert r.returncode == exit_codes.CHECKPOINTED, r.stderr
    return data, snap, app


def restore(snap, app, cwd, *options):
    return support.selfhost_cli(["restore", "--runtime", "native", *options, str(snap),
                                 str(app)], cwd=str(cwd))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_snapshot_records_the_host_directory_and_restore_defaults_to_it(runtime, tmp_path):
    data, snap, app = take(runtime, tmp_path)
    assert check(snap.read_bytes())["wasi"]["preopens"] == [[str(data), GUEST]]
    r = restore(snap, app, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == EXPECTED
    assert (data / "data.txt").read_bytes() == b"before|after"
    assert ("giving the app %s as %s" % (data, GUEST)).encode() in r.stderr


def test_a_given_dir_wins_over_the_recorded_one(tmp_path):
    data, snap, app = take("native", tmp_path)
    other = tmp_path / "other"
    shutil.copytree(data, other)
    r = restore(snap, app, tmp_path, "--dir", "%s::%s" % (other, GUEST))
    assert r.returncode == 0, r.stderr
    assert b"giving the app" not in r.stderr
    assert (other / "data.txt").read_bytes() == b"before|after"
    assert (data / "data.txt").read_bytes() == b"before|"


def test_a_recorded_directory_that_is_gone_is_refused_clearly(tmp_path):
    data, snap, app = take("native", tmp_path)
    shutil.rmtree(data)
    r = restore(snap, app, tmp_path)
    assert r.returncode == exit_codes.ERROR
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and "--dir HOST::%s" % GUEST in lines[0] and str(data) in lines[0]


def test_a_snapshot_no_run_of_ours_wrote_is_not_taken_on_its_word(tmp_path):
    """The same content but one recorded directory changed (to the user's secret directory):
    its checksum is resealed, so it reads fine, but no note of this machine vouches for it."""
    data, snap, app = take("native", tmp_path)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key").write_text("secret key\n")
    s = fmt.decode(snap.read_bytes())
    forged = tmp_path / "forged.snap"
    forged.write_bytes(encode(replace(s, wasi=dict(s.wasi, preopens=[[str(secret), GUEST]]))))
    r = restore(forged, app, tmp_path)
    assert r.returncode == exit_codes.ERROR
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and "--dir HOST::%s" % GUEST in lines[0], lines
    assert sorted(p.name for p in secret.iterdir()) == ["key"]
    assert (secret / "key").read_text() == "secret key\n"


def test_restore_records_the_snapshot_it_writes(tmp_path):
    """A restore that checkpoints again writes a new snapshot: it restores without --dir too."""
    data, snap, app = take("native", tmp_path)
    app2 = support.build("snapme")
    r = support.selfhost_cli(["run", "--runtime", "native", "--dir",
                              "%s::%s" % (data, GUEST), "--snapshot", str(snap),
                              "--checkpoint-after", "0", str(app2), GUEST], cwd=str(tmp_path))
    assert r.returncode == exit_codes.CHECKPOINTED, r.stderr
    r = restore(snap, app2, tmp_path, "--checkpoint-after", "0.000001")
    assert r.returncode in (0, exit_codes.CHECKPOINTED), r.stderr
    r = restore(snap, app2, tmp_path)
    assert r.returncode in (0, exit_codes.CHECKPOINTED), r.stderr
    assert b"giving the app" in r.stderr
