"""Unit tests of interp/wasi/: errno mapping, sandboxed path resolution, the fd table, the
memory layouts of the calls; plus the C test apps run by wasmtime with OUR WASI functions as
their imports (independent of our interpreter), compared with wasmtime's own WASI. The
differential suite against the wasmtime CLI is tests/conformance/ (tests/test_conformance.py);
the resolver's security properties are in tests/test_wasi_sandbox.py."""
import ctypes
import errno
import io
import os
import struct
import time

import pytest

from interp.wasi import WASI
from interp.wasi import abi as W
from interp.wasi.paths import Walk, join_host
from interp.errors import Exit, WasmError
from interp.opcodes import I32, I64


class FakeMemory:
    def __init__(self, size=65536):
        self.data = bytearray(size)


def make(tmp_path=None, args=("app.wasm",), env=None, stdin=b"", preopens=None):
    out, err = io.BytesIO(), io.BytesIO()
    if preopens is None:
        preopens = [(str(tmp_path), "/sandbox")] if tmp_path is not None else []
    wasi = WASI(list(args), env or {}, preopens, io.BytesIO(stdin), out, err)
    wasi.bind(FakeMemory())
    f = wasi.functions()
    call = lambda name, *a: f[name][1](*a)
    return wasi, call, out, err


def put(wasi, addr, data):
    wasi.memory.data[addr:addr + len(data)] = data
    return addr, len(data)


def u32(wasi, addr):
    return struct.unpack_from("<I", wasi.memory.data, addr)[0]


def u64(wasi, addr):
    return struct.unpack_from("<Q", wasi.memory.data, addr)[0]


def open_path(wasi, call, path, oflags=0, rights=W.RIGHTS_ALL, dirfd=3, follow=1, fdflags=0):
    p, n = put(wasi, 1000, path.encode())
    rc = call("path_open", dirfd, follow, p, n, oflags, rights, rights, fdflags, 2000)
    return rc, (u32(wasi, 2000) if rc == 0 else None)


def write_fd(wasi, call, fd, data):
    put(wasi, 3000, data)
    put(wasi, 100, struct.pack("<II", 3000, len(data)))
    rc = call("fd_write", fd, 100, 1, 200)
    return rc, u32(wasi, 200)


def read_fd(wasi, call, fd, n):
    put(wasi, 100, struct.pack("<II", 4000, n))
    rc = call("fd_read", fd, 100, 1, 200)
    got = u32(wasi, 200)
    return rc, bytes(wasi.memory.data[4000:4000 + got])


# --- errno mapping ------------------------------------------------------------------------

@pytest.mark.parametrize("exc, expected", [
    (FileNotFoundError(errno.ENOENT, "x"), 44), (FileExistsError(errno.EEXIST, "x"), 20),
    (NotADirectoryError(errno.ENOTDIR, "x"), 54), (IsADirectoryError(errno.EISDIR, "x"), 31),
    (OSError(errno.ENOTEMPTY, "x"), 55), (PermissionError(errno.EACCES, "x"), 2),
    (OSError(errno.EBADF, "x"), 8), (OSError(errno.EINVAL, "x"), 28),
    (OSError(errno.ELOOP, "x"), 32), (OSError(errno.EPERM, "x"), 63),
    (OSError(errno.ENOSPC, "x"), 51), (OSError(errno.EXDEV, "x"), 75),
    (OSError(errno.ENAMETOOLONG, "x"), 37), (OSError(errno.ESPIPE, "x"), 70),
    (OSError(99999, "x"), 29), (OSError("no errno"), 29),
])
def test_errno_mapping(exc, expected):
    assert W.wasi_errno(exc) == expected


def test_oserror_from_host_call_becomes_errno(tmp_path):
    wasi, call, _, _ = make(tmp_path)
    p, n = put(wasi, 1000, b"nothere/x")
    assert call("path_create_directory", 3, p, n) == W.ENOENT
    (tmp_path / "d").mkdir()
    p, n = put(wasi, 1000, b"d")
    assert call("path_create_directory", 3, p, n) == W.EEXIST
    (tmp_path / "d" / "f").write_text("x")
    assert call("path_remove_directory", 3, p, n) == W.ENOTEMPTY
    assert call("path_unlink_file", 3, p, n) == W.EISDIR


# --- path resolution ------------------------------------------------------------------------

def make_tree(base):
    """base/root: a dir a/b, a file, and symlinks that stay in, leave (relative and absolute,
    to base/outside) and climb back in; the caller adds its own loops. Returns root."""
    root = base / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "file").write_text("f")
    (base / "outside").write_text("o")
    os.symlink("a/b", root / "to_b")
    os.symlink("../outside", root / "out_rel")
    os.symlink(str(base / "outside"), root / "out_abs")
    os.symlink("../../file", root / "a" / "b" / "up_in")
    return root


@pytest.fixture
def tree(tmp_path):
    root = make_tree(tmp_path)
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    return str(root)


def resolve_in(root, path, follow=True):
    """The components below ``root`` that ``path`` names (the resolver's walk and last name)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with Walk(fd) as walk:
            name, _st, _trailing = walk.resolve(path, follow)
            return walk.names + ([name] if name != "." else [])
    finally:
        os.close(fd)


@pytest.mark.parametrize("path, follow, expected", [
    ("file", True, ["file"]),
    (".", True, []),
    ("a/b/../b/./", True, ["a", "b"]),
    ("a//b", True, ["a", "b"]),
    ("to_b", True, ["a", "b"]),
    ("to_b", False, ["to_b"]),
    ("to_b/../file", True, ["a", "file"]),      # ".." applies to the link's target, as in POSIX
    ("a/b/up_in", True, ["file"]),
    ("new_name", True, ["new_name"]),
])
def test_resolve_inside(tree, path, follow, expected):
    assert resolve_in(tree, path, follow) == expected


@pytest.mark.parametrize("path, follow, code", [
    ("..", True, W.EPERM),
    ("../outside", True, W.EPERM),
    ("a/../../outside", True, W.EPERM),
    ("a/b/../../..", True, W.EPERM),
    ("/etc/passwd", True, W.EPERM),
    ("out_rel", True, W.EPERM),
    ("out_abs", True, W.EPERM),
    ("out_rel/x", False, W.EPERM),      # intermediate components are always followed
    ("loop1", True, W.ELOOP),
    ("", True, W.ENOENT),
    ("file/..", True, W.ENOTDIR),
    ("missing/..", True, W.ENOENT),
])
def test_resolve_rejects(tree, path, follow, code):
    with pytest.raises(W.WasiError) as info:
        resolve_in(tree, path, follow)
    assert info.value.code == code


def test_resolve_not_following_last_link_keeps_it(tree):
    assert resolve_in(tree, "out_abs", follow=False) == ["out_abs"]


def test_escape_through_calls(tmp_path, tree):
    wasi, call, _, _ = make(preopens=[(tree, "/sandbox")])
    assert open_path(wasi, call, "../outside")[0] == W.EPERM
    assert open_path(wasi, call, "out_rel")[0] == W.EPERM
    assert open_path(wasi, call, "out_abs")[0] == W.EPERM
    assert open_path(wasi, call, "out_abs", follow=0)[0] == W.ELOOP
    p, n = put(wasi, 1000, b"../outside")
    assert call("path_unlink_file", 3, p, n) == W.EPERM
    assert call("path_filestat_get", 3, 1, p, n, 5000) == W.EPERM
    t, tn = put(wasi, 1200, b"/etc/passwd")
    q, qn = put(wasi, 1300, b"evil")
    assert call("path_symlink", t, tn, 3, q, qn) == W.EPERM
    assert not os.path.lexists(os.path.join(tree, "evil"))
    assert (tmp_path / "outside").read_text() == "o"
    # a sub-directory fd is its own sandbox: ".." from it is refused too
    rc, sub = open_path(wasi, call, "a", oflags=W.OFLAG_DIRECTORY, rights=W.RIGHT_FD_READ | W.RIGHT_FD_READDIR)
    assert rc == 0
    assert open_path(wasi, call, "../file", dirfd=sub)[0] == W.EPERM
    assert open_path(wasi, call, "b/../../file", dirfd=sub)[0] == W.EPERM


# --- fd table -------------------------------------------------------------------------------

def test_preopens_are_fds_3_4_in_order(tmp_path):
    (tmp_path / "x").mkdir()
    wasi, call, _, _ = make(preopens=[(str(tmp_path), "/first"), (str(tmp_path / "x"), "second")])
    for fd, name in ((3, b"/first"), (4, b"second")):
        assert call("fd_prestat_get", fd, 100) == 0
        assert wasi.memory.data[100] == 0 and u32(wasi, 104) == len(name)
        assert call("fd_prestat_dir_name", fd, 200, len(name)) == 0
        assert bytes(wasi.memory.data[200:200 + len(name)]) == name
    assert call("fd_prestat_get", 5, 100) == W.EBADF
    assert call("fd_prestat_get", 1, 100) == W.EBADF
    assert call("fd_prestat_dir_name", 3, 200, 2) == W.ENAMETOOLONG
    assert wasi.fds[3].preopen and wasi.fds[3].kind == "dir"


def test_file_fd_lifecycle_and_state(tmp_path):
    wasi, call, _, _ = make(tmp_path)
    rc, fd = open_path(wasi, call, "data.bin", oflags=W.OFLAG_CREAT)
    assert rc == 0 and fd == 4        # one past the highest: 0-2 stdio, 3 preopen
    entry = wasi.fds[fd]
    assert entry.kind == "file" and entry.guest_path == "data.bin" and entry.dir_fd == 3
    assert entry.host_path == os.path.join(str(tmp_path), "data.bin")
    assert write_fd(wasi, call, fd, b"hello world") == (0, 11)
    assert entry.offset == 11
    assert call("fd_seek", fd, -5, 2, 296) == 0 and u64(wasi, 296) == 6
    assert read_fd(wasi, call, fd, 100) == (0, b"world")
    assert call("fd_tell", fd, 296) == 0 and u64(wasi, 296) == 11
    assert call("fd_seek", fd, -100, 1, 296) == W.EINVAL
    with pytest.raises(WasmError, match="Invalid enum value Whence"):
        call("fd_seek", fd, 0, 7, 296)
    # the saved table reopens the file at the same offset
    call("fd_seek", fd, 6, 0, 296)
    state = wasi.state()
    assert state["fds"][fd]["offset"] == 6 and "handle" not in state["fds"][fd]
    import json
    state = json.loads(json.dumps(state))           # survives a JSON round trip
    wasi2, call2, _, _ = make(tmp_path, args=["other"])
    wasi2.restore_state(state)
    assert wasi2.args == [b"app.wasm"] and wasi2.fds[fd].host_path == entry.host_path
    assert read_fd(wasi2, call2, fd, 3) == (0, b"wor")
    wasi2.close()
    # close, then the fd is gone
    assert call("fd_close", fd) == 0
    assert call("fd_close", fd) == W.EBADF
    assert read_fd(wasi, call, fd, 1)[0] == W.EBADF
    assert fd not in wasi.fds


def test_append_flag_and_pwrite(tmp_path):
    (tmp_path / "log").write_bytes(b"abc")
    wasi, call, _, _ = make(tmp_path)
    rc, fd = open_path(wasi, call, "log", fdflags=W.FDFLAG_APPEND)
    assert rc == 0
    write_fd(wasi, call, fd, b"def")
    put(wasi, 3000, b"X")
    put(wasi, 100, struct.pack("<II", 3000, 1))
    assert call("fd_pwrite", fd, 100, 1, 0, 200) == 0       # appends, as Linux's pwrite
    assert (tmp_path / "log").read_bytes() == b"abcdefX"
    assert call("fd_fdstat_get", fd, 400) == 0
    assert wasi.memory.data[400] == W.FILETYPE_REG and u32(wasi, 402) & 0xFFFF == W.FDFLAG_APPEND
    assert call("fd_fdstat_set_flags", fd, 0) == 0 and wasi.fds[fd].fdflags == 0


def test_renumber(tmp_path):
    wasi, call, _, _ = make(tmp_path)
    _, a = open_path(wasi, call, "a", oflags=W.OFLAG_CREAT)
    _, b = open_path(wasi, call, "b", oflags=W.OFLAG_CREAT)
    assert call("fd_renumber", a, b) == 0
    assert a not in wasi.fds and wasi.fds[b].guest_path == "a"
    assert call("fd_renumber", a, b) == W.EBADF
    assert call("fd_renumber", b, 77) == W.EBADF


def test_directory_fd_rules(tmp_path):
    (tmp_path / "f").write_text("x")
    wasi, call, _, _ = make(tmp_path)
    assert open_path(wasi, call, "f", oflags=W.OFLAG_DIRECTORY)[0] == W.ENOTDIR
    assert open_path(wasi, call, ".", rights=W.RIGHTS_ALL)[0] == W.EISDIR  # write rights
    rc, d = open_path(wasi, call, ".", rights=W.RIGHT_FD_READ | W.RIGHT_FD_READDIR)
    assert rc == 0 and wasi.fds[d].kind == "dir"
    assert read_fd(wasi, call, 3, 1)[0] == W.EBADF      # as wasmtime (brotli on a directory)
    assert call("fd_pread", 3, 5000, 0, 0, 300) == W.EBADF
    assert write_fd(wasi, call, 3, b"x")[0] == W.EBADF
    assert call("fd_seek", 3, 0, 0, 296) == W.EBADF
    _, f = open_path(wasi, call, "f")
    p, n = put(wasi, 1000, b"x")
    assert call("path_create_directory", f, p, n) == W.EBADF
    assert open_path(wasi, call, "x", dirfd=f)[0] == W.ENOTDIR
    assert call("fd_readdir", f, 5000, 100, 0, 300) == W.EBADF
    assert open_path(wasi, call, "f", oflags=W.OFLAG_CREAT | W.OFLAG_EXCL)[0] == W.EEXIST


def test_readdir_cookies_and_small_buffer(tmp_path):
    for name in ("b", "a", "ccc"):
        (tmp_path / name).write_text(name)
    wasi, call, _, _ = make(tmp_path)

    def entries(buf_len, cookie=0):
        assert call("fd_readdir", 3, 5000, buf_len, cookie, 300) == 0
        used = u32(wasi, 300)
        raw = bytes(wasi.memory.data[5000:5000 + used])
        out = []
        while len(raw) >= 24:
            nxt, _ino, namlen, ftype = struct.unpack_from("<QQIB", raw)
            out.append((nxt, raw[24:24 + namlen], ftype))
            raw = raw[24 + namlen:]
        return used, out

    used, out = entries(4096)
    host_order = [n.encode() for n in os.listdir(tmp_path)]     # wasmtime lists in it too
    assert [e[1] for e in out] == [b".", b".."] + host_order
    assert [e[0] for e in out] == [1, 2, 3, 4, 5]
    assert out[2][2] == W.FILETYPE_REG and out[0][2] == W.FILETYPE_DIR
    used, out = entries(4096, cookie=3)
    assert [e[1] for e in out] == host_order[1:]
    used, _ = entries(30)          # the buffer fills up: bufused == buf_len tells libc
    assert used == 30


def test_stdio(tmp_path):
    wasi, call, out, err = make(stdin=b"input bytes")
    assert write_fd(wasi, call, 1, b"to stdout") == (0, 9)
    assert write_fd(wasi, call, 2, b"to stderr!") == (0, 10)
    assert out.getvalue() == b"to stdout" and err.getvalue() == b"to stderr!"
    assert wasi.written == {1: 9, 2: 10}
    assert read_fd(wasi, call, 0, 5) == (0, b"input")
    assert read_fd(wasi, call, 0, 100) == (0, b" bytes")
    assert read_fd(wasi, call, 0, 100) == (0, b"")
    assert wasi.stdin_read == 11
    assert call("fd_seek", 1, 0, 0, 296) == W.ESPIPE
    assert write_fd(wasi, call, 0, b"x")[0] == W.EBADF
    assert read_fd(wasi, call, 1, 1)[0] == W.EBADF
    assert call("fd_fdstat_get", 1, 400) == 0
    assert u64(wasi, 408) & W.RIGHT_FD_WRITE


def test_iovecs_first_non_empty_only(tmp_path):
    wasi, call, out, _ = make()
    put(wasi, 3000, b"abc")
    put(wasi, 3100, b"")
    put(wasi, 3200, b"defg")
    put(wasi, 100, struct.pack("<IIIIII", 3100, 0, 3000, 3, 3200, 4))
    assert call("fd_write", 1, 100, 3, 200) == 0 and u32(wasi, 200) == 3   # as wasmtime
    assert out.getvalue() == b"abc"
    put(wasi, 100, struct.pack("<II", 3100, 0))
    assert call("fd_write", 1, 100, 1, 200) == 0 and u32(wasi, 200) == 0


@pytest.mark.parametrize("call_args", [
    ("args_sizes_get", "size-2", 0),
    ("args_sizes_get", 101, 200),                 # misaligned
    ("random_get", "size-4", 8),
    ("clock_time_get", 0, 1, -4),                 # -4 is 0xFFFFFFFC: out of bounds
    ("fd_write", 1, 100, 1, 200),                 # the iovec's buffer is out of bounds
])
def test_bad_pointers_stop_the_program(call_args):
    wasi, call, out, _ = make()
    size = len(wasi.memory.data)
    put(wasi, 100, struct.pack("<II", size - 2, 10))
    args = [size + int(a[4:]) if isinstance(a, str) else a for a in call_args[1:]]
    with pytest.raises(WasmError, match="Pointer"):
        call(call_args[0], *args)
    assert len(wasi.memory.data) == size       # never grown by a write past the end
    assert out.getvalue() == b""


@pytest.mark.parametrize("name, args, witx", [
    ("clock_time_get", (4, 0, 100), "Clockid"), ("fd_advise", (3, 0, 0, 6), "Advice"),
    ("fd_fdstat_set_flags", (3, 0x20), "Fdflags"), ("proc_raise", (31,), "Signal"),
    ("path_open", (3, 2, 0, 0, 0, 0, 0, 0, 0), "Lookupflags"),
    ("path_open", (3, 1, 0, 0, 16, 0, 0, 0, 0), "Oflags"),
    ("path_open", (3, 1, 0, 0, 0, 1 << 30, 0, 0, 0), "Rights"),
    ("sock_shutdown", (1, 4), "Sdflags"), ("fd_seek", (3, 0, 3, 100), "Whence"),
])
def test_invalid_enum_and_flag_values_stop_the_program(tmp_path, name, args, witx):
    _wasi, call, _, _ = make(tmp_path)
    with pytest.raises(WasmError, match="In func wasi_snapshot_preview1::%s at convert %s"
                       % (name, witx)):
        call(name, *args)


def test_args_and_environ():
    wasi, call, _, _ = make(args=["app.wasm", "x y", "\u00e9"], env={"A": "1", "EMPTY": ""})
    assert call("args_sizes_get", 100, 104) == 0
    assert u32(wasi, 100) == 3 and u32(wasi, 104) == len(b"app.wasm\0x y\0\xc3\xa9\0")
    assert call("args_get", 200, 300) == 0
    ptrs = [u32(wasi, 200 + 4 * i) for i in range(3)]
    assert ptrs[0] == 300
    assert bytes(wasi.memory.data[ptrs[1]:ptrs[1] + 4]) == b"x y\0"
    assert call("environ_sizes_get", 100, 104) == 0
    assert u32(wasi, 100) == 2 and u32(wasi, 104) == len(b"A=1\0EMPTY=\0")
    assert call("environ_get", 200, 300) == 0
    assert bytes(wasi.memory.data[300:311]) == b"A=1\0EMPTY=\0"


def test_clocks_random_and_misc():
    wasi, call, _, _ = make()
    for clock in (0, 1):
        assert call("clock_time_get", clock, 1, 96) == 0
        assert call("clock_res_get", clock, 104) == 0 and u64(wasi, 104) == 1
    for clock in (2, 3):        # the CPU-time clocks: wasmtime has none
        assert call("clock_time_get", clock, 1, 96) == W.EBADF
        assert call("clock_res_get", clock, 104) == W.EBADF
    assert call("clock_time_get", 0, 1, 96) == 0
    assert abs(u64(wasi, 96) - time.time_ns()) < 10 ** 9
    assert call("random_get", 500, 64) == 0
    first = bytes(wasi.memory.data[500:564])
    call("random_get", 500, 64)
    assert first != bytes(wasi.memory.data[500:564]) and any(first)
    assert call("sched_yield") == 0
    for name, n in (("sock_accept", 3), ("sock_recv", 6), ("sock_send", 5), ("sock_shutdown", 2)):
        assert call(name, *([0] * n)) == W.ENOTSOCK == 57       # stdin: no socket
        assert call(name, *([99] + [0] * (n - 1))) == W.EBADF
    assert call("proc_raise", 2) == W.ENOTSUP
    with pytest.raises(Exit) as info:
        call("proc_exit", 7)
    assert info.value.code == 7


def test_poll_oneoff_clock_and_fd(tmp_path):
    wasi, call, _, _ = make(tmp_path)
    sub = struct.pack("<QB7xIxxxxQQH6x", 0xAB, 0, 1, 30_000_000, 0, 0)    # 30 ms, monotonic
    assert len(sub) == 48
    put(wasi, 1000, sub)
    start = time.monotonic()
    assert call("poll_oneoff", 1000, 2000, 1, 300) == 0
    assert time.monotonic() - start >= 0.025
    assert u32(wasi, 300) == 1
    userdata, error, etype = struct.unpack_from("<QHB", wasi.memory.data, 2000)
    assert (userdata, error, etype) == (0xAB, 0, 0)
    # an fd subscription is ready at once, the long clock does not fire
    subs = struct.pack("<QB7xIxxxxQQH6x", 1, 0, 1, 10 ** 12, 0, 0)
    subs += struct.pack("<QB7xI28x", 2, 1, 0)
    put(wasi, 1000, subs)
    start = time.monotonic()
    assert call("poll_oneoff", 1000, 2000, 2, 300) == 0
    assert time.monotonic() - start < 1
    assert u32(wasi, 300) == 1
    assert struct.unpack_from("<QHB", wasi.memory.data, 2000) == (2, 0, 1)
    assert call("poll_oneoff", 1000, 2000, 0, 300) == W.EINVAL


def test_path_calls(tmp_path):
    wasi, call, _, _ = make(tmp_path)
    (tmp_path / "f").write_bytes(b"12345")
    p, n = put(wasi, 1000, b"f")
    assert call("path_filestat_get", 3, 1, p, n, 5000) == 0
    assert wasi.memory.data[5016] == W.FILETYPE_REG and u64(wasi, 5032) == 5
    assert call("path_filestat_set_times", 3, 1, p, n, 10 ** 18, 2 * 10 ** 18,
                W.FST_ATIM | W.FST_MTIM) == 0
    st = os.stat(tmp_path / "f")
    assert st.st_atime_ns == 10 ** 18 and st.st_mtime_ns == 2 * 10 ** 18
    assert call("path_filestat_set_times", 3, 1, p, n, 0, 0, W.FST_ATIM | W.FST_ATIM_NOW) == W.EINVAL
    q, qn = put(wasi, 1100, b"g")
    assert call("path_rename", 3, p, n, 3, q, qn) == 0
    assert (tmp_path / "g").read_bytes() == b"12345" and not (tmp_path / "f").exists()
    assert call("path_link", 3, 0, q, qn, 3, p, n) == 0
    assert os.path.samefile(tmp_path / "f", tmp_path / "g")
    t, tn = put(wasi, 1200, b"g")
    l, ln = put(wasi, 1300, b"lnk")
    assert call("path_symlink", t, tn, 3, l, ln) == 0
    assert call("path_readlink", 3, l, ln, 5000, 64, 300) == 0
    assert bytes(wasi.memory.data[5000:5000 + u32(wasi, 300)]) == b"g"
    assert call("path_readlink", 3, l, ln, 5000, 0, 300) == 0 and u32(wasi, 300) == 0
    assert call("path_filestat_get", 3, 0, l, ln, 5000) == 0
    assert wasi.memory.data[5016] == W.FILETYPE_SYMLINK
    h, hn = put(wasi, 1500, b"hard_to_link")
    assert call("path_link", 3, 0, l, ln, 3, h, hn) == 0        # not following: links the link
    assert os.readlink(tmp_path / "hard_to_link") == "g"
    h, hn = put(wasi, 1500, b"hard_to_file")
    assert call("path_link", 3, 1, l, ln, 3, h, hn) == W.EINVAL  # wasmtime never follows
    assert not os.path.lexists(tmp_path / "hard_to_file")
    assert call("path_unlink_file", 3, l, ln) == 0 and not os.path.lexists(tmp_path / "lnk")
    bad, bn = put(wasi, 1400, b"\xff\xfe")
    assert call("path_create_directory", 3, bad, bn) == W.EILSEQ
    rc, fd = open_path(wasi, call, "g", rights=W.RIGHTS_ALL)
    assert call("fd_filestat_set_size", fd, 2) == 0
    assert (tmp_path / "g").read_bytes() == b"12"
    assert call("fd_allocate", fd, 0, 10) == W.ENOTSUP and os.path.getsize(tmp_path / "g") == 2
    assert call("fd_filestat_get", fd, 5000) == 0 and u64(wasi, 5032) == 2
    assert call("fd_sync", fd) == 0 and call("fd_datasync", fd) == 0
    assert call("fd_advise", fd, 0, 2 ** 64 - 1, 0) == W.EINVAL


def test_imports_are_hostfuncs_with_wasi_types():
    from interp import HostFunc
    wasi = WASI(["a"], {}, [])
    ns = wasi.imports()["wasi_snapshot_preview1"]
    assert set(ns) == set(W.SIGNATURES)
    assert all(isinstance(f, HostFunc) for f in ns.values())
    assert ns["fd_write"].type.params == (I32,) * 4 and ns["fd_write"].type.results == (I32,)
    assert ns["clock_time_get"].type.params == (I32, I64, I32)
    assert ns["path_open"].type.params == (I32,) * 5 + (I64, I64, I32, I32)
    assert ns["proc_exit"].type.results == ()


# --- the apps under wasmtime, with our WASI as their imports -----------------------------------

class WasmtimeMemory:
    """A ``.data`` view of the calling instance's memory (re-read on every access)."""

    def __init__(self, caller):
        self.caller = caller

    @property
    def data(self):
        mem = self.caller.get("memory")
        n = mem.data_len(self.caller)
        array = ctypes.cast(mem.data_ptr(self.caller), ctypes.POINTER(ctypes.c_ubyte * n)).contents
        return memoryview(array).cast("B")


def run_with_our_wasi(app_wasm, args, dirs=(), env=None, stdin=b""):
    import wasmtime
    from host.launch import Result
    out, err = io.BytesIO(), io.BytesIO()
    wasi = WASI([str(app_wasm)] + list(args), env or {}, dirs, io.BytesIO(stdin), out, err)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    vt = {I32: wasmtime.ValType.i32(), I64: wasmtime.ValType.i64()}
    for name, (ft, fn) in wasi.functions().items():
        ty = wasmtime.FuncType([vt[t] for t in ft.params], [vt[t] for t in ft.results])

        def host(caller, *a, fn=fn):
            wasi.memory = WasmtimeMemory(caller)
            return fn(*a)
        linker.define_func("wasi_snapshot_preview1", name, ty, host, access_caller=True)
    instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(app_wasm)))
    try:
        instance.exports(store)["_start"](store)
        code = 0
    except Exit as e:
        code = e.code
    except wasmtime.Trap:
        code = 134
    finally:
        wasi.close()
    return Result(code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize("name", ["hello", "args_env", "echo", "clock", "random", "exit3",
                                  "trap", "files", "escape"])
def test_app_under_wasmtime_with_our_wasi(name, tmp_path):
    from tests.test_apps_hosts import CASES, run_case, run_reference
    ref, ref_tree = run_case(run_reference, name, tmp_path, "ref")
    ours, our_tree = run_case(run_with_our_wasi, name, tmp_path, "ours")
    assert (ours.returncode, ours.stdout) == (ref.returncode, ref.stdout)
    assert our_tree == ref_tree
    if CASES[name][4]:
        assert ours.stderr == ref.stderr


# --- property: whatever the path, the resolved location stays inside the directory -----------

from hypothesis import given, settings, strategies as st  # noqa: E402

COMPONENTS = st.sampled_from(["a", "b", "..", ".", "", "to_b", "out_rel", "out_abs", "up_in",
                              "file", "new", "loop1"])


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(COMPONENTS, min_size=1, max_size=8), follow=st.booleans())
def test_resolution_never_leaves_the_directory(tmp_path_factory, parts, follow):
    base = tmp_path_factory.getbasetemp() / "prop"
    root = base / "root"
    if not root.exists():
        make_tree(base)
        os.symlink("loop1", root / "loop1")
    path = "/".join(parts)
    try:
        result = resolve_in(str(root), path, follow)
    except W.WasiError as e:
        assert e.code in (W.EPERM, W.ENOENT, W.ENOTDIR, W.ELOOP)
        return
    assert all(p not in ("", ".", "..") for p in result)
    host = join_host(str(root), result)
    parent = os.path.realpath(os.path.dirname(host)) if result else str(root)
    real_root = os.path.realpath(root)
    assert parent == real_root or parent.startswith(real_root + os.sep)
    if follow and os.path.lexists(host):
        assert os.path.realpath(host).startswith(real_root)
