"""selfhost's own output files (snapshot, stats, trace) may lie in a directory the guest works
in. What the guest does there (a symlink planted under the file's name or the snapshot's temp
name, the directory swapped for a symlink out during the run) never makes selfhost write
outside: the directory is pinned when the run starts (checkpoint/store.Place), a planted
symlink is replaced, never written through, and the trace file refuses one."""
import os

import pytest

from selfhost import exit_codes
from tests import support as common
from tests.security import support
from tests.security.support import RUNTIMES, outside, tree_state

GUEST = "/sandbox"


def world(root):
    box = root / "box"
    (box / "snaps").mkdir(parents=True)
    (root / "outside.txt").write_text("outside\n")
    (root / "outdir").mkdir()
    return box, support.copy_app(support.build("hostile"), root / "apps")


def run(runtime, box, app, options, ops):
    if runtime != "native":
        common.require_build()
    return support.selfhost_cli(["run", "--runtime", runtime, "--dir", "%s::%s" % (box, GUEST)]
                                + options + [str(app), "--"] + ops)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_planted_symlinks_at_output_names_are_replaced(runtime, tmp_path):
    box, app = world(tmp_path)
    before = outside(tree_state(tmp_path), "box")
    opts = ["--stats", str(box / "st.json"), "--snapshot", str(box / "s.snap"),
            "--checkpoint-continue"]
    r = run(runtime, box, app, opts,
            ["symlink", "../outside.txt", GUEST + "/st.json",
             "symlink", "../outside.txt", GUEST + "/s.snap",
             "symlink", "../outdir/x", GUEST + "/.s.snap.selfhost-tmp",
             "write", GUEST + "/.selfhost-checkpoint", "now"])
    support.no_traceback(r)
    assert r.returncode == 0, r.stderr
    assert outside(tree_state(tmp_path), "box") == before
    assert not (box / "st.json").is_symlink() and b'"phase"' in (box / "st.json").read_bytes()
    assert not (box / "s.snap").is_symlink()
    assert (box / "s.snap").read_bytes()[:8] == b"\x89SHSNAP\n"


@pytest.mark.parametrize("runtime", [r for r in RUNTIMES if r != "wasmer"])
def test_swapping_the_snapshot_directory_during_the_run(runtime, tmp_path):
    """The guest moves the snapshot's directory away and puts a symlink out in its place, then
    asks for a checkpoint: the snapshot lands in the directory as it was when the run
    started (now box/moved), never outside. (Wasmer works on a copy: nothing to race.)"""
    box, app = world(tmp_path)
    before = outside(tree_state(tmp_path), "box")
    r = run(runtime, box, app, ["--snapshot", str(box / "snaps" / "s.snap"),
                                "--checkpoint-continue"],
            ["rename", GUEST + "/snaps", GUEST + "/moved",
             "symlink", "../outdir", GUEST + "/snaps",
             "write", GUEST + "/.selfhost-checkpoint", "now"])
    support.no_traceback(r)
    assert outside(tree_state(tmp_path), "box") == before
    if r.returncode == 0:
        assert os.listdir(tmp_path / "outdir") == []
        assert os.path.isfile(box / "moved" / "s.snap")
    else:                      # a host that resolves by name refuses to follow the link
        assert r.returncode == exit_codes.ERROR and r.stderr.count(b"\n") == 1, r.stderr


@pytest.mark.parametrize("runtime", ["native", "wasmtime"])
def test_a_planted_trace_symlink_is_refused(runtime, tmp_path):
    box, app = world(tmp_path)
    os.symlink("../outside.txt", box / "trace.jsonl")
    before = outside(tree_state(tmp_path), "box")
    r = run(runtime, box, app, ["--trace", str(box / "trace.jsonl")], ["ls", GUEST])
    support.no_traceback(r)
    assert r.returncode == exit_codes.ERROR and r.stderr.count(b"\n") == 1, r.stderr
    assert outside(tree_state(tmp_path), "box") == before
