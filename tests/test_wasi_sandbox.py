"""The WASI layer's sandbox under attack (issue 15), natively: a host-side attacker swapping
directories for symlinks while the guest's calls run, absolute and escaping symlink targets,
80 KiB paths, many fds, and no fd leaked by the resolver. The same calls inside selfhost.wasm
are covered by the conformance suite (tests/test_conformance.py) on every runtime."""
import errno
import io
import os
import struct
import threading

import pytest

from interp.wasi import WASI
from interp.wasi import abi as W
from interp.wasi import hostfs


class Memory:
    def __init__(self, size=1 << 20):
        self.data = bytearray(size)


def make(root):
    wasi = WASI(["app.wasm"], {}, [(str(root), "/sandbox")], io.BytesIO(), io.BytesIO(),
                io.BytesIO())
    wasi.bind(Memory())
    f = wasi.functions()
    return wasi, lambda name, *a: f[name][1](*a)


def put(wasi, addr, data):
    wasi.memory.data[addr:addr + len(data)] = data
    return addr, len(data)


def open_path(wasi, call, path, oflags=0, rights=W.RIGHT_FD_READ, follow=1):
    p, n = put(wasi, 1000, path.encode())
    rc = call("path_open", 3, follow, p, n, oflags, rights, 0, 0, 900)
    return rc, struct.unpack_from("<I", wasi.memory.data, 900)[0] if rc == 0 else None


def read_all(wasi, call, fd):
    put(wasi, 100, struct.pack("<II", 4096, 1024))
    assert call("fd_read", fd, 100, 1, 200) == 0
    n = struct.unpack_from("<I", wasi.memory.data, 200)[0]
    return bytes(wasi.memory.data[4096:4096 + n])


def open_fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def box(tmp_path):
    root = tmp_path / "sandbox"
    (root / "d").mkdir(parents=True)
    (root / "d" / "f.txt").write_bytes(b"inside")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f.txt").write_bytes(b"SECRET")
    return root, outside


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_concurrent_directory_swaps_never_reach_outside(box):
    """An attacker on the host renames the directory d away and puts a symlink to a directory
    outside the sandbox (absolute, then relative) in its place, over and over, while the guest
    opens, creates and unlinks below d: the guest only ever reaches the real d or fails."""
    root, outside = box
    wasi, call = make(root)
    stop = threading.Event()

    def attacker():
        targets = [str(outside), "../outside"]
        i = 0
        while not stop.is_set():
            try:
                os.rename(root / "d", root / "d_real")
                os.symlink(targets[i % 2], root / "d")
                os.unlink(root / "d")
                os.rename(root / "d_real", root / "d")
            except OSError:
                pass
            i += 1
    thread = threading.Thread(target=attacker)
    thread.start()
    seen = set()
    try:
        for i in range(3000):
            rc, fd = open_path(wasi, call, "d/f.txt")
            if rc == 0:
                seen.add(read_all(wasi, call, fd))
                assert call("fd_close", fd) == 0
            rc, fd = open_path(wasi, call, "d/new%d" % i, oflags=W.OFLAG_CREAT,
                               rights=W.RIGHT_FD_WRITE)
            if rc == 0:
                call("fd_close", fd)
            p, n = put(wasi, 1000, b"d/new%d" % i)
            call("path_unlink_file", 3, p, n)
    finally:
        stop.set()
        thread.join()
    assert b"SECRET" not in seen and seen <= {b"inside"}
    assert sorted(os.listdir(outside)) == ["f.txt"]
    assert (outside / "f.txt").read_bytes() == b"SECRET"
    wasi.close()


def test_symlink_targets_that_leave(box):
    root, outside = box
    os.symlink(str(outside / "f.txt"), root / "abs")
    os.symlink("../outside/f.txt", root / "rel")
    wasi, call = make(root)
    for name in ("abs", "rel"):
        assert open_path(wasi, call, name)[0] == W.EPERM
    p, n = put(wasi, 1000, b"abs")
    assert call("path_readlink", 3, p, n, 2048, 256, 200) == W.EPERM   # as wasmtime
    p, n = put(wasi, 1000, b"rel")
    assert call("path_readlink", 3, p, n, 2048, 256, 200) == 0         # shown, not followed
    assert bytes(wasi.memory.data[2048:2048 + 16]) == b"../outside/f.txt"
    wasi.close()


def test_long_paths_answered_before_any_lookup(box, monkeypatch):
    """ENAMETOOLONG for a path of 4096 bytes or more with no host call at all, and a walk
    linear in the path: one lstat per component, never a rescan of the prefix."""
    root, _outside = box
    wasi, call = make(root)
    calls = []
    real = hostfs.lstat_at
    monkeypatch.setattr(hostfs, "lstat_at", lambda fd, name: calls.append(name) or real(fd, name))
    for path in ("a" * 80 * 1024, "a/" * 40 * 1024, "../" * 27 * 1024, "b" * 4096):
        assert open_path(wasi, call, path)[0] == W.ENAMETOOLONG
    assert calls == []
    assert open_path(wasi, call, "c" * 256)[0] == W.ENAMETOOLONG
    os.mkdir(root / "d" / "e")
    path = "d/e/" + "../e/" * 800 + "x"                      # 4005 bytes, 1603 components
    assert open_path(wasi, call, path)[0] == W.ENOENT
    assert len(calls) <= 1603
    wasi.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_many_fds_and_no_leaks(box):
    root, _outside = box
    for i in range(50):
        os.symlink("d", root / ("l%d" % i))
    wasi, call = make(root)
    before = open_fds()
    for i in range(500):                   # walks through symlinks and dirs, failing or not
        assert open_path(wasi, call, "l%d/../l%d/f.txt/x" % (i % 50, i % 50))[0] == W.ENOTDIR
        assert open_path(wasi, call, "d/missing/x")[0] == W.ENOENT
        p, n = put(wasi, 1000, b"l%d/f.txt" % (i % 50))
        assert call("path_filestat_get", 3, 1, p, n, 2048) == 0
    assert open_fds() == before
    fds = []
    while True:                            # until the OS says no more, as under wasmtime
        rc, fd = open_path(wasi, call, "d/f.txt")
        if rc != 0:
            assert rc in (W.WASI_ERRNO_BY_NAME["EMFILE"], W.WASI_ERRNO_BY_NAME["ENFILE"])
            break
        fds.append(fd)
        if len(fds) > 100000:
            pytest.fail("no fd limit")
    assert len(set(fds)) == len(fds) > 200
    for fd in fds:
        assert call("fd_close", fd) == 0
    assert open_fds() == before
    wasi.close()
    assert open_fds() == before - 1         # the preopen's own fd


def test_renamed_open_files_keep_their_place(box):
    """A rename moves the open fds below it (what a snapshot records for them follows)."""
    root, _outside = box
    wasi, call = make(root)
    rc, fd = open_path(wasi, call, "d/f.txt")
    assert rc == 0 and wasi.fds[fd].rel == "d/f.txt"
    p, n = put(wasi, 1000, b"d")
    q, m = put(wasi, 1100, b"moved")
    assert call("path_rename", 3, p, n, 3, q, m) == 0
    assert wasi.fds[fd].rel == "moved/f.txt"
    assert wasi.fds[fd].host_path == os.path.join(str(root), "moved", "f.txt")
    assert read_all(wasi, call, fd) == b"inside"
    wasi.close()


def test_eloop_from_the_host_is_not_followed(box):
    root, _outside = box
    os.symlink("f.txt", root / "d" / "lnk")
    wasi, call = make(root)
    assert open_path(wasi, call, "d/lnk", follow=0)[0] == W.ELOOP
    fd = hostfs.open_dir(str(root))
    with pytest.raises(OSError) as info:        # the OS refuses to follow, whatever we asked
        hostfs.open_file_at(fd, "d/lnk", os.O_RDONLY)
    assert info.value.errno == errno.ELOOP
    os.close(fd)
    wasi.close()
