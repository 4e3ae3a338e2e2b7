"""WASI's fd_* calls as wasmtime 49 answers them: read/write (positional, the first non-empty
iovec, append), seek, sync, fdstat, filestat, prestat, readdir, renumber.

Which kind of fd each call takes (else EBADF): read/write any but a directory; seek/tell a
file (stdio: ESPIPE); advise, allocate, sync, datasync, set_size, set_flags a file; readdir a
directory; filestat_set_times a file or directory.
"""
import errno as _errno
import os
import time

from . import filestat, hostfs
from .abi import (EBADF, EINTR, EINVAL, ENAMETOOLONG, ENOTDIR, ENOTSUP, ESPIPE, ESUCCESS,
                  FDFLAG_APPEND, FDFLAG_NONBLOCK, FDFLAGS_SYNCS, FILETYPE_CHAR, FILETYPE_DIR,
                  FILETYPE_UNKNOWN, FST_ATIM, FST_ATIM_NOW, FST_MTIM, FST_MTIM_NOW, INT64_MAX,
                  MASK64, WasiError, _DIRENT, _FDSTAT, _FILESTAT, _PRESTAT, filetype)
from .fdtable import _stream_isatty
from .stdio import read_some

READ_CHUNK = 64 << 20       # the most one fd_read of a file reads (a short read beyond)
STDIN_CHUNK = 1 << 20       # and of stdin


class FileCalls:
    """The fd_* calls of WASI (a mixin of core.WASI: it uses its fd table and memory helpers)."""

    # --- read / write ------------------------------------------------------------------------

    def _read_into(self, entry, iovs, iovs_len, offset=None):
        """Read into the first non-empty iovec; at ``offset`` without moving the position when
        given."""
        if entry.kind == "stdio":
            if entry.stdio != 0:
                raise WasiError(EBADF)
            if offset is not None:
                raise WasiError(ESPIPE)
            buf, n = self._first_iovec(iovs, iovs_len)
            if n == 0:
                raise WasiError(EINTR)      # wasmtime's blocking read of nothing
            data = read_some(self.streams[0], min(n, STDIN_CHUNK))
            self._write(buf, data)
            self.stdin_read += len(data)
            return len(data)
        if entry.kind == "magic":
            return 0
        if entry.kind != "file" or not entry.readable:
            raise WasiError(EBADF)
        buf, n = self._first_iovec(iovs, iovs_len)
        pos = entry.offset if offset is None else offset
        if n == 0:
            return 0
        if pos > INT64_MAX:
            raise WasiError(EINVAL)
        st = hostfs.fstat(entry.handle)
        want = min(n, READ_CHUNK)
        if hostfs.S_ISREG(st.st_mode):     # no larger buffer than there is left to read
            want = min(want, max(st.st_size - pos, 0))
        data = os.pread(entry.handle, want, pos) if want else b""
        self._write(buf, data)
        if offset is None:
            entry.offset = pos + len(data)
        return len(data)

    def _write_from(self, entry, iovs, iovs_len, offset=None):
        if entry.kind == "stdio":
            if entry.stdio == 0:
                raise WasiError(EBADF)
            if offset is not None:
                raise WasiError(ESPIPE)
            buf, n = self._first_iovec(iovs, iovs_len)
            if n:
                self.writers[entry.stdio].write(self._read(buf, n))
                self.written[entry.stdio] += n
            return n
        if entry.kind == "magic":
            buf, n = self._first_iovec(iovs, iovs_len)
            self.checkpoint_requested = True
            if self.on_checkpoint_request is not None:
                self.on_checkpoint_request()
            return n
        if entry.kind != "file" or not entry.writable:
            raise WasiError(EBADF)
        buf, n = self._first_iovec(iovs, iovs_len)
        data = self._read(buf, n)
        append = entry.fdflags & FDFLAG_APPEND
        if append:                     # even for pwrite, as Linux does in append mode
            pos = hostfs.fstat(entry.handle).st_size
        else:
            pos = entry.offset if offset is None else offset
        done = os.pwrite(entry.handle, data, pos) if data else 0
        if offset is None:
            entry.offset = hostfs.fstat(entry.handle).st_size if append else pos + done
        return done

    def fd_read(self, fd, iovs, iovs_len, nread_ptr):
        n = self._read_into(self._get(fd), iovs, iovs_len)
        self._put_u32(nread_ptr, n)
        return ESUCCESS

    def fd_pread(self, fd, iovs, iovs_len, offset, nread_ptr):
        n = self._read_into(self._get(fd), iovs, iovs_len, offset & MASK64)
        self._put_u32(nread_ptr, n)
        return ESUCCESS

    def fd_write(self, fd, iovs, iovs_len, nwritten_ptr):
        n = self._write_from(self._get(fd), iovs, iovs_len)
        self._put_u32(nwritten_ptr, n)
        return ESUCCESS

    def fd_pwrite(self, fd, iovs, iovs_len, offset, nwritten_ptr):
        n = self._write_from(self._get(fd), iovs, iovs_len, offset & MASK64)
        self._put_u32(nwritten_ptr, n)
        return ESUCCESS

    # --- position ------------------------------------------------------------------------

    def _get_seekable(self, fd):
        entry = self._get(fd)
        if entry.kind in ("stdio", "magic"):
            raise WasiError(ESPIPE)
        if entry.kind != "file":
            raise WasiError(EBADF)
        return entry

    def fd_seek(self, fd, offset, whence, newoffset_ptr):
        entry = self._get_seekable(fd)
        if whence == 0:
            pos = offset
        elif whence == 1:
            pos = entry.offset + offset
        else:
            pos = hostfs.fstat(entry.handle).st_size + offset
        if not 0 <= pos <= MASK64:
            return EINVAL
        entry.offset = pos
        self._put_u64(newoffset_ptr, pos)
        return ESUCCESS

    def fd_tell(self, fd, offset_ptr):
        entry = self._get_seekable(fd)
        self._put_u64(offset_ptr, entry.offset)
        return ESUCCESS

    # --- the table ------------------------------------------------------------------------

    def fd_close(self, fd):
        entry = self._get(fd)
        self._close_handle(entry)
        self.fds.remove(fd)
        return ESUCCESS

    def fd_renumber(self, fd, to):
        self._get(fd)
        self._get(to)
        if fd != to:
            self._close_handle(self.fds.move(fd, to))
        return ESUCCESS

    # --- files only ----------------------------------------------------------------------

    def fd_sync(self, fd):
        os.fsync(self._get_file(fd).handle)
        return ESUCCESS

    def fd_datasync(self, fd):
        entry = self._get_file(fd)
        try:
            getattr(os, "fdatasync", os.fsync)(entry.handle)
        except OSError as e:
            if e.errno != _errno.EBADF:
                raise
            # Node's uvwasi refuses fd_datasync on a file opened read only (it enforces the
            # FD_DATASYNC right, which wasi-libc asks only for writing); wasmtime answers
            # success. A full sync (its right comes with reading) does all datasync does.
            os.fsync(entry.handle)
        return ESUCCESS

    def fd_advise(self, fd, offset, length, advice):
        self._get_file(fd)
        if (offset & MASK64) > INT64_MAX or (length & MASK64) > INT64_MAX:
            return EINVAL
        return ESUCCESS

    def fd_allocate(self, fd, offset, length):
        self._get_file(fd)
        return ENOTSUP

    def fd_filestat_set_size(self, fd, size):
        entry = self._get_file(fd)
        size &= MASK64
        if not entry.writable or size > INT64_MAX:
            return EINVAL
        os.ftruncate(entry.handle, size)
        return ESUCCESS

    def fd_fdstat_set_flags(self, fd, flags):
        entry = self._get_file(fd)
        if flags & FDFLAGS_SYNCS:
            return EINVAL
        entry.fdflags = flags & (FDFLAG_APPEND | FDFLAG_NONBLOCK)
        return ESUCCESS

    # --- fdstat / filestat ---------------------------------------------------------------

    def _stdio_filetype(self, entry):
        stream = self.streams[entry.stdio]
        return FILETYPE_CHAR if _stream_isatty(stream) else FILETYPE_UNKNOWN

    def fd_fdstat_get(self, fd, buf):
        entry = self._get(fd)
        if entry.kind == "stdio":
            ftype = self._stdio_filetype(entry)
        elif entry.kind == "dir":
            ftype = FILETYPE_DIR
        elif entry.kind == "magic":
            ftype = FILETYPE_CHAR
        else:
            ftype = filetype(hostfs.fstat(entry.handle).st_mode)
        self._write(buf, _FDSTAT.pack(ftype, entry.fdflags, entry.rights_base,
                                      entry.rights_inheriting if entry.kind != "stdio"
                                      else entry.rights_base), 8)
        return ESUCCESS

    def fd_fdstat_set_rights(self, fd, base, inheriting):
        entry = self._get(fd)
        return EBADF if entry.kind == "stdio" else ENOTSUP

    def fd_filestat_get(self, fd, buf):
        entry = self._get(fd)
        if entry.kind == "stdio":
            data = _FILESTAT.pack(0, 0, self._stdio_filetype(entry), 0, 0, 0, 0, 0)
        elif entry.kind == "magic":
            data = _FILESTAT.pack(0, 0, FILETYPE_CHAR, 0, 0, 0, 0, 0)
        else:
            st = hostfs.fstat(entry.handle)
            data = filestat.pack(st, lambda: hostfs.count_subdirs(entry.handle,
                                                                    entry.host_path))
        self._write(buf, data, 8)
        return ESUCCESS

    def fd_filestat_set_times(self, fd, atim, mtim, fst_flags):
        ns = self._new_times(atim, mtim, fst_flags)
        entry = self._get(fd)
        if entry.kind not in ("file", "dir"):
            return EBADF
        hostfs.futime(entry.handle, self._times(ns, hostfs.fstat(entry.handle)))
        return ESUCCESS

    @staticmethod
    def _new_times(atim, mtim, flags):
        """(atime, mtime) to set: a number, "now" or None (unchanged); both "set" and "now"
        for one of them is EINVAL."""
        if (flags & FST_ATIM and flags & FST_ATIM_NOW) or (flags & FST_MTIM
                                                            and flags & FST_MTIM_NOW):
            raise WasiError(EINVAL)
        a = atim & MASK64 if flags & FST_ATIM else "now" if flags & FST_ATIM_NOW else None
        m = mtim & MASK64 if flags & FST_MTIM else "now" if flags & FST_MTIM_NOW else None
        return a, m

    @staticmethod
    def _times(ns, st):
        """The (atime_ns, mtime_ns) pair for os.utime: unchanged values read from ``st``."""
        now = time.time_ns()
        a, m = ns
        return (st.st_atime_ns if a is None else now if a == "now" else a,
                st.st_mtime_ns if m is None else now if m == "now" else m)

    # --- preopens ------------------------------------------------------------------------

    def fd_prestat_get(self, fd, buf):
        entry = self._get(fd)
        if not entry.preopen:
            return EBADF
        self._write(buf, _PRESTAT.pack(0, len(entry.guest_path.encode("utf-8"))), 4)
        return ESUCCESS

    def fd_prestat_dir_name(self, fd, path, path_len):
        entry = self._get(fd)
        if not entry.preopen:
            return ENOTDIR
        name = entry.guest_path.encode("utf-8")
        if path_len < len(name):
            return ENAMETOOLONG
        self._write(path, name)
        return ESUCCESS

    # --- directories ---------------------------------------------------------------------

    def fd_readdir(self, fd, buf, buf_len, cookie, bufused_ptr):
        entry = self._get_dir(fd)
        here = hostfs.fstat(entry.handle)
        names = hostfs.listdir(entry.handle, entry.host_path)
        cookie &= MASK64
        out = bytearray()
        dot = filestat.inode(here)
        for i in range(cookie, len(names) + 2):
            if len(out) >= buf_len:
                break
            if i < 2:
                name, ino, ftype = ("." if i == 0 else ".."), dot, FILETYPE_DIR
            else:
                name = names[i - 2]
                st = hostfs.lstat_at(entry.handle, name)
                if st is None:              # gone since the listing
                    continue
                ino, ftype = filestat.inode(st), filetype(st.st_mode)
            raw = name.encode("utf-8", "surrogateescape")
            out += _DIRENT.pack(i + 1, ino, len(raw), ftype) + raw
        data = bytes(out[:buf_len])
        self._write(buf, data)
        self._put_u32(bufused_ptr, len(data))
        return ESUCCESS
