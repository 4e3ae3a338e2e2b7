"""WASI's path_* calls as wasmtime 49 answers them; every path through the sandboxed resolver
(paths.py) and every host call on one name in an open directory (hostfs.py).

path_open and path_filestat_get resolve like Linux's ``openat2(RESOLVE_BENEATH)``: a trailing
slash requires a directory and follows a final symlink. The calls that act on a name
(mkdir, rmdir, unlink, link, symlink, readlink, rename, set_times without follow) split the
path as cap-std's ``open_parent`` does (a path ending in "/", "/." or ".." acts on "." in that
directory) and then answer as Linux's ``*at`` call on that name would.
"""
import errno as _errno
import os

from . import filestat, hostfs
from .abi import (CHECKPOINT_MAGIC, EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP,
                  ENAMETOOLONG, ENOENT, ENOTDIR, ENOTSUP, EPERM, ESCAPE, ESUCCESS,
                  FDFLAG_APPEND, FDFLAG_NONBLOCK, FDFLAGS_SYNCS, LOOKUP_SYMLINK_FOLLOW,
                  OFLAG_CREAT, OFLAG_DIRECTORY, OFLAG_EXCL, OFLAG_TRUNC, PATH_MAX,
                  RIGHT_FD_READ, RIGHT_FD_WRITE, WasiError, reported_rights)
from .fdtable import Fd
from .paths import (Walk, check_name, check_path, check_rel, components, join_host,
                    single_name, strip_dir_suffix)

S_ISDIR, S_ISLNK = hostfs.S_ISDIR, hostfs.S_ISLNK


def _os_mode(read, write):
    if read and write:
        return os.O_RDWR
    return os.O_WRONLY if write else os.O_RDONLY


class PathCalls:
    """The path_* calls of WASI (a mixin of core.WASI)."""

    # --- helpers ---------------------------------------------------------------------------

    def _path_arg(self, addr, n):
        path = self._string(addr, n)
        check_path(path)
        return path

    @staticmethod
    def _rel(base, names):
        return "/".join([p for p in [base.rel] if p] + list(names))

    @staticmethod
    def _join(root_host, rel):
        return join_host(root_host, rel.split("/") if rel else [])

    def _subdirs_at(self, walk, name, host_path):
        def count():
            fd = hostfs.open_dir_at(walk.fd, name)
            try:
                return hostfs.count_subdirs(fd, host_path)
            finally:
                hostfs.close(fd)
        return count

    # --- open ------------------------------------------------------------------------------

    def path_open(self, dirfd, dirflags, path, path_len, oflags, rights_base,
                  rights_inheriting, fdflags, opened_fd_ptr):
        guest = self._string(path, path_len)
        base = self.fds.get(dirfd)
        if base is None or base.kind not in ("dir", "file"):
            return EBADF
        if base.kind == "file":
            return ENOTDIR
        if oflags & OFLAG_DIRECTORY and oflags & (OFLAG_CREAT | OFLAG_EXCL | OFLAG_TRUNC):
            return EINVAL
        if fdflags & FDFLAGS_SYNCS:
            return ENOTSUP
        if guest.rstrip("/").rpartition("/")[2] == CHECKPOINT_MAGIC:
            entry = Fd("magic", guest_path=guest, dir_fd=dirfd)
            self._put_u32(opened_fd_ptr, self._new_fd(entry))
            return ESUCCESS
        check_path(guest)
        read = bool(rights_base & RIGHT_FD_READ) or not rights_base & RIGHT_FD_WRITE
        write = bool(rights_base & RIGHT_FD_WRITE) or bool(oflags & (OFLAG_CREAT | OFLAG_TRUNC))
        with Walk(base.handle) as walk:
            kind, handle, name = self._open_in(walk, guest, bool(dirflags & LOOKUP_SYMLINK_FOLLOW),
                                               oflags, read, write)
            names = walk.names + ([name] if name != "." else [])
        rights = reported_rights(kind == "dir", read, write)
        entry = Fd(kind, host_path=join_host(base.host_path, names), guest_path=guest,
                   fdflags=fdflags & (FDFLAG_APPEND | FDFLAG_NONBLOCK) if kind == "file" else 0,
                   rights_base=rights, rights_inheriting=rights, dir_fd=dirfd, root=base.root,
                   rel=self._rel(base, names))
        entry.handle = handle
        try:
            self._put_u32(opened_fd_ptr, self._new_fd(entry))
        except BaseException:
            hostfs.close(handle)
            raise
        return ESUCCESS

    def _open_in(self, walk, guest, follow, oflags, read, write):
        """Open ``guest`` below ``walk``'s start: ("dir" | "file", OS fd, last name)."""
        creat, excl = oflags & OFLAG_CREAT, oflags & OFLAG_EXCL
        name = walk.to_last(components(guest))
        trailing = guest.endswith("/")
        retries = 8
        while True:
            if name == ".":
                if creat and excl:
                    raise WasiError(EEXIST)
                if write:
                    raise WasiError(EISDIR)
                return "dir", walk.take_fd(), name
            check_name(name)
            if creat and trailing:
                raise WasiError(EISDIR)
            st = walk.lstat(name)
            try:
                if st is None:
                    if not creat:
                        raise WasiError(ENOENT)
                    flags = _os_mode(read, write) | os.O_CREAT | os.O_EXCL
                    return "file", hostfs.open_file_at(walk.fd, name, flags), name
                if creat and excl:
                    raise WasiError(EEXIST)
                if S_ISLNK(st.st_mode):
                    if not (follow or trailing):
                        raise WasiError(ELOOP)
                    name, slash = walk.follow(name)
                    trailing = trailing or slash
                    continue
                if S_ISDIR(st.st_mode):
                    if write:
                        raise WasiError(EISDIR)
                    return "dir", hostfs.open_dir_at(walk.fd, name), name
                if oflags & OFLAG_DIRECTORY or trailing:
                    raise WasiError(ENOTDIR)
                flags = _os_mode(read, write) | (os.O_TRUNC if oflags & OFLAG_TRUNC else 0)
                return "file", hostfs.open_existing_at(walk.fd, name, flags, st), name
            except OSError as e:
                # the entry changed since the lstat (created, or swapped for a symlink or a
                # directory): look again
                if e.errno not in (_errno.EEXIST, _errno.ELOOP, _errno.ENOTDIR,
                                   _errno.ENOENT) or not retries:
                    raise
                if e.errno == _errno.EEXIST and excl:
                    raise
                retries -= 1

    # --- directories -------------------------------------------------------------------------

    def path_create_directory(self, dirfd, path, path_len):
        base = self._get_dir(dirfd)
        guest = self._path_arg(path, path_len)
        with Walk(base.handle) as walk:
            name = walk.open_parent(strip_dir_suffix(guest))
            if name == "." or walk.lstat(name) is not None:
                return EEXIST
            hostfs.mkdir_at(walk.fd, name)
        return ESUCCESS

    def path_remove_directory(self, dirfd, path, path_len):
        base = self._get_dir(dirfd)
        guest = self._path_arg(path, path_len)
        with Walk(base.handle) as walk:
            name = walk.open_parent(guest)
            if name == ".":
                return EINVAL
            st = walk.lstat(name)
            if st is None:
                return ENOENT
            if not S_ISDIR(st.st_mode):
                return ENOTDIR
            hostfs.rmdir_at(walk.fd, name)
        return ESUCCESS

    def path_unlink_file(self, dirfd, path, path_len):
        base = self._get_dir(dirfd)
        guest = self._path_arg(path, path_len)
        with Walk(base.handle) as walk:
            name = walk.open_parent(guest)
            if name == ".":
                return EISDIR
            st = walk.lstat(name)
            if st is None:
                return ENOENT
            if S_ISDIR(st.st_mode):
                return EISDIR
            hostfs.unlink_at(walk.fd, name)
        return ESUCCESS

    def path_rename(self, old_fd, old_path, old_len, new_fd, new_path, new_len):
        old_base = self._get_dir(old_fd)
        new_base = self._get_dir(new_fd)
        old = self._path_arg(old_path, old_len)
        new = self._path_arg(new_path, new_len)
        slash = old.endswith("/") or new.endswith("/")
        with Walk(old_base.handle) as ow, Walk(new_base.handle) as nw:
            oname = ow.open_parent(strip_dir_suffix(old))
            nname = nw.open_parent(strip_dir_suffix(new))
            if oname == "." or nname == ".":
                return EBUSY
            ost = ow.lstat(oname)
            if ost is None:
                return ENOENT
            is_dir = S_ISDIR(ost.st_mode)
            if slash and not is_dir:
                return ENOTDIR
            nst = nw.lstat(nname)
            if nst is not None:
                if (nst.st_dev, nst.st_ino) == (ost.st_dev, ost.st_ino):
                    return ESUCCESS
                if is_dir and not S_ISDIR(nst.st_mode):
                    return ENOTDIR
                if not is_dir and S_ISDIR(nst.st_mode):
                    return EISDIR
            if is_dir:
                for fd in nw.fds:               # into itself?
                    st = hostfs.fstat(fd)
                    if (st.st_dev, st.st_ino) == (ost.st_dev, ost.st_ino):
                        return EINVAL
            if nst is not None and S_ISLNK(nst.st_mode):
                # replace a symlink in two steps: Wasmer's path_rename panics onto a dangling
                # one (and ends the run); a link holds no data, so nothing can be lost
                hostfs.unlink_at(nw.fd, nname)
            hostfs.rename_at(ow.fd, oname, nw.fd, nname)
            self._moved(old_base.root, self._rel(old_base, ow.names + [oname]),
                        new_base, self._rel(new_base, nw.names + [nname]))
        return ESUCCESS

    def _moved(self, root, rel, new_base, new_rel):
        """Open fds at or below a renamed (root, rel) follow it to its new place."""
        new_root_host = self._root_host(new_base.root)
        for entry in self.fds.values():
            if entry.kind not in ("file", "dir") or entry.root != root or entry.preopen:
                continue
            if entry.rel == rel or entry.rel.startswith(rel + "/"):
                entry.root = new_base.root
                entry.rel = new_rel + entry.rel[len(rel):]
                if new_root_host is not None:
                    entry.host_path = self._join(new_root_host, entry.rel)

    def _root_host(self, root):
        for host, guest in self.preopens:
            if guest == root:
                return host
        return None

    # --- stat and times --------------------------------------------------------------------

    def path_filestat_get(self, dirfd, flags, path, path_len, buf):
        base = self._get_dir(dirfd)
        guest = self._path_arg(path, path_len)
        follow = bool(flags & LOOKUP_SYMLINK_FOLLOW)
        with Walk(base.handle) as walk:
            one = None if follow else single_name(guest)
            if one is not None:     # wasmtime: an lstat of the name, a trailing slash ignored
                name, st, trailing = one, walk.lstat(one), False
            else:
                name, st, trailing = walk.resolve(guest, follow)
            if st is None:
                return ENOENT
            if trailing and not S_ISDIR(st.st_mode):
                return ENOTDIR
            host = join_host(base.host_path, walk.names + ([name] if name != "." else []))
            count = (self._subdirs_at(walk, name, host) if S_ISDIR(st.st_mode) else None)
            data = filestat.pack(st, count)
        self._write(buf, data, 8)
        return ESUCCESS

    def path_filestat_set_times(self, dirfd, flags, path, path_len, atim, mtim, fst_flags):
        ns = self._new_times(atim, mtim, fst_flags)
        base = self._get_dir(dirfd)
        guest = self._path_arg(path, path_len)
        with Walk(base.handle) as walk:
            if flags & LOOKUP_SYMLINK_FOLLOW:
                name, st, trailing = walk.resolve(guest, True)
                if st is None:
                    return ENOENT
                if trailing and not S_ISDIR(st.st_mode):
                    return ENOTDIR
            else:
                name = walk.open_parent(guest)
                st = hostfs.fstat(walk.fd) if name == "." else walk.lstat(name)
                if st is None:
                    return ENOENT
            if name == ".":
                hostfs.futime(walk.fd, self._times(ns, st))
            else:
                hostfs.utime_at(walk.fd, name, self._times(ns, st))
        return ESUCCESS

    # --- links ---------------------------------------------------------------------------

    def path_symlink(self, old_path, old_len, dirfd, new_path, new_len):
        base = self._get_dir(dirfd)
        target = self._string(old_path, old_len)
        new = self._string(new_path, new_len)
        if "\0" in target:
            return EINVAL
        if not target:
            return ENOENT
        if len(target.encode("utf-8", "surrogateescape")) >= PATH_MAX:
            return ENAMETOOLONG
        if target.startswith("/"):
            return ESCAPE
        check_path(new)
        with Walk(base.handle) as walk:
            name = walk.open_parent(new)
            if name == "." or walk.lstat(name) is not None:
                return EEXIST
            hostfs.symlink_at(target, walk.fd, name)
        return ESUCCESS

    def path_readlink(self, dirfd, path, path_len, buf, buf_len, bufused_ptr):
        base = self._get_dir(dirfd)
        guest = self._path_arg(path, path_len)
        with Walk(base.handle) as walk:
            name = walk.open_parent(guest)
            if name == ".":
                return EINVAL
            st = walk.lstat(name)
            if st is None:
                return ENOENT
            if not S_ISLNK(st.st_mode):
                return EINVAL
            target = hostfs.readlink_at(walk.fd, name)
        if target.startswith("/"):      # as wasmtime: an absolute target is not shown
            return ESCAPE
        data = target.encode("utf-8", "surrogateescape")[:buf_len]
        self._write(buf, data)
        self._put_u32(bufused_ptr, len(data))
        return ESUCCESS

    def path_link(self, old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len):
        old_base = self._get_dir(old_fd)
        new_base = self._get_dir(new_fd)
        old = self._string(old_path, old_len)
        new = self._string(new_path, new_len)
        if old_flags & LOOKUP_SYMLINK_FOLLOW:
            return EINVAL          # wasmtime links the name itself only
        check_path(old)
        check_path(new)
        with Walk(old_base.handle) as ow, Walk(new_base.handle) as nw:
            oname = ow.open_parent(old)
            nname = nw.open_parent(new)
            ost = hostfs.fstat(ow.fd) if oname == "." else ow.lstat(oname)
            if ost is None:
                return ENOENT
            if nname == "." or nw.lstat(nname) is not None:
                return EEXIST
            if S_ISDIR(ost.st_mode):
                return EPERM
            hostfs.link_at(ow.fd, oname, nw.fd, nname, S_ISLNK(ost.st_mode))
        return ESUCCESS

    # --- restore ----------------------------------------------------------------------------

    @staticmethod
    def _reopen(root_handle, entry):
        """A new OS fd for ``entry`` (a file or directory of a snapshot) at its ``rel`` below
        the preopen open as ``root_handle``: every component opened without following a
        symlink, no file created or truncated."""
        try:
            parts = check_rel(entry.rel)
        except WasiError:
            raise OSError(EINVAL, "not a path below a preopen", entry.rel) from None
        with Walk(root_handle) as walk:
            for part in parts[:-1]:
                walk.down(part)
            last = parts[-1] if parts else "."
            if entry.kind == "dir":
                return hostfs.open_dir_at(walk.fd, last)
            st = walk.lstat(last)
            if st is None:
                raise OSError(_errno.ENOENT, "no such file any more", entry.rel)
            return hostfs.open_existing_at(walk.fd, last, _os_mode(entry.readable,
                                                                   entry.writable), st)
