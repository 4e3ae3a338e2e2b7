"""host/runtimes/confined.py, the Wasmer runner's only way to touch the host tree: nothing is
ever reached through a symlink, a planted temp name is never followed, and nothing outside the
root changes (the whole tree around it is compared before and after)."""
import os

import pytest

from host.runtimes.confined import HostTree, Unsafe
from tests.security.support import tree_state


@pytest.fixture
def world(tmp_path):
    """tmp_path/box (the root) next to files and a directory that must never change."""
    (tmp_path / "box").mkdir()
    (tmp_path / "outside.txt").write_text("outside\n")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "victim").write_text("victim\n")
    return tmp_path


def outside(world):
    return {k: v for k, v in tree_state(world).items() if not k.startswith("box")}


def test_write_replaces_a_symlink_instead_of_writing_through_it(world):
    box = world / "box"
    os.symlink("../outside.txt", box / "f")
    before = outside(world)
    with HostTree(str(box)) as tree:
        tree.write_file(("f",), b"guest data")
    assert outside(world) == before
    assert not (box / "f").is_symlink() and (box / "f").read_bytes() == b"guest data"


def test_a_planted_temp_name_is_never_followed(world):
    """The old runner wrote NAME.selfhost-sync.tmp and renamed it: a symlink planted under that
    name (by the guest in an earlier run) made it write outside."""
    box = world / "box"
    (box / "f").write_text("old")
    for name in (".f.selfhost-sync.tmp", "f.selfhost-sync.tmp", ".f.selfhost-tmp"):
        os.symlink("../outside.txt", box / name)
    before = outside(world)
    with HostTree(str(box)) as tree:
        tree.write_file(("f",), b"new")
    assert outside(world) == before
    assert (box / "f").read_bytes() == b"new"
    assert sorted(os.listdir(box)) == sorted(
        ["f", ".f.selfhost-sync.tmp", "f.selfhost-sync.tmp", ".f.selfhost-tmp"])


def test_nothing_is_reached_through_a_symlinked_directory(world):
    box = world / "box"
    os.symlink("../outdir", box / "d")
    before = outside(world)
    with HostTree(str(box)) as tree:
        tree.remove(("d", "victim"))            # what the old runner did after a guest swap
        tree.remove_dir(("d",))
        with pytest.raises(Unsafe):
            tree.dir_fd(("d",))
        with pytest.raises(Unsafe):
            tree.lstat(("d", "victim"))
        tree.write_file(("d", "new"), b"x")     # the guest made d a directory: it is one now
    assert outside(world) == before
    assert (box / "d").is_dir() and not (box / "d").is_symlink()
    assert (box / "d" / "new").read_bytes() == b"x"


def test_links_are_made_and_replaced_verbatim(world):
    box = world / "box"
    (box / "sub").mkdir()
    (box / "sub" / "inner").write_text("in")
    before = outside(world)
    with HostTree(str(box)) as tree:
        tree.make_link(("sub",), "../outdir")   # a directory replaced by a link: removed first
        tree.make_link(("l",), "/etc/passwd")   # stored as the guest left it, never followed
        tree.make_link(("l",), "/etc/passwd")
    assert outside(world) == before
    assert os.readlink(box / "sub") == "../outdir"
    assert os.readlink(box / "l") == "/etc/passwd"


def test_scan_never_follows_and_skips_special_files(world):
    box = world / "box"
    (box / "a").mkdir()
    (box / "a" / "f").write_bytes(b"data")
    os.symlink("../outdir", box / "a" / "out")
    os.symlink("../outside.txt", box / "lf")
    os.mkfifo(box / "fifo")
    with HostTree(str(box)) as tree:
        got = sorted(tree.scan())
    assert got == [(("a",), "dir", None), (("a", "f"), "file", b"data"),
                   (("a", "out"), "link", "../outdir"), (("lf",), "link", "../outside.txt")]


def test_deep_trees_do_not_exhaust_fds_or_recursion(world):
    box = world / "box"
    path = str(box)
    for _ in range(600):
        path = os.path.join(path, "d")
    os.makedirs(path)
    with open(os.path.join(path, "leaf"), "w") as f:
        f.write("leaf")
    with HostTree(str(box)) as tree:
        entries = list(tree.scan())
        assert entries[-1] == (("d",) * 600 + ("leaf",), "file", b"leaf")
        tree.write_file(("d",) * 600 + ("leaf",), b"new")
    with open(os.path.join(path, "leaf")) as f:
        assert f.read() == "new"


def test_write_keeps_the_mode_of_the_file_it_replaces(world):
    box = world / "box"
    (box / "x").write_text("x")
    os.chmod(box / "x", 0o751)
    with HostTree(str(box)) as tree:
        tree.write_file(("x",), b"y")
    assert (box / "x").stat().st_mode & 0o777 == 0o751


# --- what a launch mounts -------------------------------------------------------------------

def test_the_app_is_mounted_alone_and_checkpoint_dirs_name_their_files(tmp_path):
    """APP.wasm's directory is never mounted: a launch copies APP.wasm alone into a private
    directory; a checkpoint files' mount names its files (Wasmer copies only those)."""
    from host.mounts import APP_GUEST_DIR, CKPT_GUEST_DIR, Mounts
    from host.runtimes.wasmer import WasmerRuntime
    apps = tmp_path / "apps"
    apps.mkdir()
    (apps / "a.wasm").write_bytes(b"\0asm")
    (apps / "secret.txt").write_text("next to the app")
    work = tmp_path / "work"
    work.mkdir()
    mounts = Mounts()
    assert mounts.guest_app(str(apps / "a.wasm")) == APP_GUEST_DIR + "/a.wasm"
    assert mounts.guest_file(str(apps / "s.snap"), "--snapshot") == CKPT_GUEST_DIR + "/s.snap"
    assert mounts.guest_file(str(apps / "st.json"), "--stats") == CKPT_GUEST_DIR + "/st.json"
    staged = Mounts(private=mounts.private_pairs()).staged(str(work))
    app_mount = staged.mounts[0]
    assert sorted(os.listdir(app_mount.host)) == ["a.wasm"]
    assert app_mount.host.startswith(str(work))
    view = staged.view(WasmerRuntime())
    assert view.only_files() == {"/workspace/d0": ["a.wasm"],
                                 "/workspace/d1": ["s.snap", "st.json"]}
    assert view.preopens()[1] == (str(apps), "/workspace/d1")
