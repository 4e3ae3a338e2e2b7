"""A concurrent attacker renaming directories while the guest works: nothing outside the
preopen may change.

The guest writes box/a/b/f and makes links in box/a/b over and over; meanwhile a host thread
(standing for a second guest, or any process that can write in the directory) swaps box/a for
a symlink to a directory outside the preopen that has the same shape (out/b/), and back. A
resolver that checks a path and then opens it by name (a time-of-check/time-of-use gap) writes
into out/ when a swap lands in between. The same run under the real wasmtime CLI is the
reference: its writes never land outside.
"""
import os
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
