"""WASI's fd_* calls: read/write (with offsets, append emulation), seek, sync, fdstat, filestat,
prestat, readdir.
"""
import os
import time

from .abi import (EBADF, EINVAL, ENAMETOOLONG, ENOTCAPABLE, ENOTSUP, ESPIPE, ESUCCESS,
                  FDFLAGS_ALL, FDFLAG_APPEND, FILETYPE_CHAR, FILETYPE_DIR, FILETYPE_UNKNOWN,
                  FST_ATIM, FST_ATIM_NOW, FST_MTIM, FST_MTIM_NOW, MASK64, WasiError, _DIRENT,
                  _FDSTAT, _FILESTAT, _PRESTAT, _filetype, _os, _pack_filestat)
from .fdtable import (_stream_isatty)


class FileCalls:
    """The fd_* calls of WASI (a mixin of core.WASI: it uses its fd table and memory helpers)."""

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
