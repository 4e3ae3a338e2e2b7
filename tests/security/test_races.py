"""A concurrent attacker renaming directories while the guest works: nothing outside the
preopen may change.

The guest writes box/a/b/f and makes links in box/a/b over and over; meanwhile a host thread
(standing for a second guest, or any process that can write in the directory) swaps box/a for
a symlink to a directory outside the preopen that has the same shape (out/b/), and back. A
resolver that checks a path and then opens it by name (a time-of-check/time-of-use gap) writes
into out/ when a swap lands in between. The same run under the real wasmtime CLI is the
reference: its writes never land outside.

The same gap, made deterministic (dirswap.c): the guest holds a directory fd, the host swaps
that directory for a symlink to outside while the guest waits on stdin, then the guest creates
a file in the fd it holds and opens a planted symlink with O_NOFOLLOW. Run straight under the
Node launcher (no selfhost.wasm: the launcher's own path calls are what is tested), under
selfhost on every runtime, and under the wasmtime CLI as the reference.
"""
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from tests.security import support
from tests.security.support import RUNTIMES, outside, tree_state

GUEST = "/sandbox"


def make_world(root):
    box = root / "box"
    (box / "a" / "b").mkdir(parents=True)
    (root / "out" / "b").mkdir(parents=True)
    (root / "out" / "b" / "f").write_text("outside\n")
    (root / "out" / "b" / "sub").mkdir()
    return box


class Swapper(threading.Thread):
    """Swaps box/a <-> a symlink to ../out as fast as it can until stopped."""

    def __init__(self, box):
        super().__init__(daemon=True)
        self.box = box
        self.stop = threading.Event()
        self.swaps = 0

    def run(self):
        a, real = str(self.box / "a"), str(self.box / "a.real")
        while not self.stop.is_set():
            try:
                os.rename(a, real)
                os.symlink("../out", a)
                time.sleep(0.0002)
                os.unlink(a)
                os.rename(real, a)
                self.swaps += 1
            except OSError:
                time.sleep(0.001)
        if os.path.islink(a):
            os.unlink(a)
        if os.path.isdir(real) and not os.path.exists(a):
            os.rename(real, a)


OPS = ["loopwrite", GUEST + "/a/b/f", "3000",
       "loopwrite", GUEST + "/a/b/sub/g", "500"]


def race(root, run):
    box = make_world(root)
    before = outside(tree_state(root), "box")
    swapper = Swapper(box)
    swapper.start()
    try:
        proc = run(box)
    finally:
        swapper.stop.set()
        swapper.join()
    changed = {k: v for k, v in tree_state(root).items() if before.get(k) != v
               and not k.startswith("box")}
    gone = [k for k in before if k not in tree_state(root)]
    return proc, swapper.swaps, changed, gone


def test_wasmtime_cli_reference(tmp_path):
    app = support.build("hostile")
    proc, swaps, changed, gone = race(
        tmp_path, lambda box: support.run_wasmtime_cli(app, OPS, [(box, GUEST)], timeout=300))
    assert proc.returncode == 0, proc.stderr
    assert swaps > 10
    assert (changed, gone) == ({}, [])


@pytest.mark.slow
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_renaming_attacker_never_gets_a_write_outside(runtime, tmp_path):
    app = support.build("hostile")
    proc, swaps, changed, gone = race(
        tmp_path, lambda box: support.run_on(runtime, app, OPS, [(box, GUEST)], timeout=900))
    support.no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert swaps > 10
    assert (changed, gone) == ({}, []), "writes landed outside the preopen"


def dirswap_world(root):
    box = root / "box"
    (box / "a").mkdir(parents=True)
    (root / "out").mkdir()
    (root / "out" / "victim").write_text("outside\n")
    os.symlink("../../out/victim", box / "a" / "lnk")
    return box


def _entries(state):
    return {k: v[:2] for k, v in state.items()}        # kind and content: no times


def swap_while_held(cmd, box, cwd=None):
    """Run ``cmd`` (dirswap); when it holds its directory fd, swap box/a for a symlink to
    ../out, then let it go on. Returns (exit code, stdout, stderr)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=cwd)
    first = proc.stdout.readline()
    if first == b"open dir: ok\n":
        os.rename(box / "a", box / "a.real")
        os.symlink("../out", box / "a")
    try:
        out, err = proc.communicate(b"g", timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, first + out, err


DIRSWAP_ARGS = [GUEST + "/a", "made", "lnk"]


def _dirswap_reference(tmp_path):
    box = dirswap_world(tmp_path / "ref")
    cmd = [support.wasmtime_cli(), "run", "--dir", "%s::%s" % (box, GUEST),
           str(support.build("dirswap"))] + DIRSWAP_ARGS
    code, out, err = swap_while_held(cmd, box)
    assert code == 0, err
    return out, tree_state(tmp_path / "ref")


def _node_launcher_cmd(app, box, tmp_path):
    from host.runtimes.node import LAUNCHER, launcher_config
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    config = tmp_path / "node.json"
    config.write_text(json.dumps(launcher_config(app, ["dirswap"] + DIRSWAP_ARGS, {},
                                                 [(str(box), GUEST)], False)))
    return [node, "--no-warnings", str(LAUNCHER), str(config)]


def test_node_launcher_keeps_a_held_directory_when_it_is_swapped(tmp_path):
    """The Node launcher's own path calls (no selfhost.wasm): uvwasi alone creates out/made
    and writes through the planted link."""
    ref_out, ref_tree = _dirswap_reference(tmp_path)
    box = dirswap_world(tmp_path / "ours")
    app = support.build("dirswap")
    before = outside(tree_state(tmp_path / "ours"), "box")
    code, out, err = swap_while_held(_node_launcher_cmd(app, box, tmp_path), box)
    assert outside(tree_state(tmp_path / "ours"), "box") == before, "a write landed outside"
    assert (code, out) == (0, ref_out), err
    assert _entries(tree_state(tmp_path / "ours")) == _entries(ref_tree)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_held_directory_swapped_on_the_host_keeps_writes_inside(runtime, tmp_path):
    ref_out, ref_tree = _dirswap_reference(tmp_path)
    box = dirswap_world(tmp_path / "ours")
    app = support.build("dirswap")
    before = outside(tree_state(tmp_path / "ours"), "box")
    if runtime != "native":
        support.support.require_build()
    cmd = [support.sys.executable, "-m", "host.cli", "run", "--runtime", runtime,
           "--dir", "%s::%s" % (box, GUEST), str(app), "--"] + DIRSWAP_ARGS
    code, out, err = swap_while_held(cmd, box, cwd=support.CODE)
    support.no_traceback(subprocess.CompletedProcess(cmd, code, out, err))
    assert outside(tree_state(tmp_path / "ours"), "box") == before, "a write landed outside"
    assert (code, out) == (0, ref_out), err
    if runtime != "wasmer":   # Wasmer's sandbox is a copy: the swap never reaches the guest
        assert _entries(tree_state(tmp_path / "ours")) == _entries(ref_tree)
