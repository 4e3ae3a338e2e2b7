"""File operations confined to one host directory tree: never through a symlink, no race.

The Wasmer runner copies each mounted directory into its sandbox and what the guest changed
back out (wasmer_child.py). Both directions work on a tree whose contents the guest chose (a
symlink it made in an earlier run, ``link -> ../x``, is a real symlink on the host, as under
wasmtime), and a host process may change the tree meanwhile. So no operation here takes a
joined path string: ``HostTree`` opens the mount's directory once and reaches everything
below it one component at a time, relative to directory fds, with ``O_NOFOLLOW``; a component
that is not (any more) a real directory stops the operation instead of being followed. Files
are replaced through a temp file made with ``O_EXCL`` under a random name (a planted
``NAME.tmp`` symlink is never followed: O_EXCL refuses any existing name) and renamed over
the target, which replaces a symlink rather than writing through it.
"""
import os
import secrets
import shutil
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_TEMP_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
               | getattr(os, "O_CLOEXEC", 0))
_CACHE_LIMIT = 64


class Unsafe(OSError):
    """A path below the root is not reachable without following a symlink (or a non-directory
    stands where a directory should be): the operation is refused."""


class HostTree:
    """One host directory (the user's ``--dir``: opened as given, it is trusted) and
    operations on the paths below it, given as tuples of names."""

    def __init__(self, root):
        self.root_path = root
        self.root = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        self._dirs = {}

    def close(self):
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()
        os.close(self.root)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- reaching a directory ----------------------------------------------------------

    def dir_fd(self, parts, create=False):
        """The fd of the directory ``parts`` below the root, every component opened with
        O_NOFOLLOW. ``create``: make missing directories, and replace a symlink or a file
        that stands where a directory must be (the guest replaced it). Raises Unsafe."""
        parts = tuple(parts)
        if not parts:
            return self.root
        fd = self._dirs.get(parts)
        if fd is not None:
            return fd
        parent = self.dir_fd(parts[:-1], create)
        name = parts[-1]
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as e:
            if not create:
                raise Unsafe(e.errno, "not a directory here", "/".join(parts)) from None
            self._replace_with_dir(parent, name, parts)
            try:
                fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
            except OSError as e2:
                raise Unsafe(e2.errno, "not a directory here", "/".join(parts)) from None
        if len(self._dirs) >= _CACHE_LIMIT:
            self._forget()
        self._dirs[parts] = fd
        return fd

    def _forget(self):
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()

    def _replace_with_dir(self, parent, name, parts):
        try:
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISDIR(st.st_mode):
            os.unlink(name, dir_fd=parent)            # a symlink or a file: removed, not followed
        try:
            os.mkdir(name, 0o777, dir_fd=parent)
        except FileExistsError:
            pass

    def lstat(self, parts):
        """lstat of ``parts`` (None when it does not exist); Unsafe when its directory is not
        reachable."""
        parent = self.dir_fd(parts[:-1])
        try:
            return os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None

    # --- reading -----------------------------------------------------------------------

    def scan(self):
        """Everything below the root, parents before children: (parts, kind, value) with kind
        "dir" (value None), "file" (its bytes) or "link" (its target). Other kinds (sockets,
        fifos, devices) and entries that change while they are read are skipped."""
        stack = [((), self.root, None)]
        while stack:
            parts, fd, names = stack[-1]
            if names is None:
                try:
                    names = sorted(os.listdir(fd), reverse=True)
                except OSError:
                    names = []
                stack[-1] = (parts, fd, names)
            if not names:
                stack.pop()
                if fd != self.root:
                    os.close(fd)
                continue
            name = names.pop()
            here = parts + (name,)
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                try:
                    yield here, "link", os.readlink(name, dir_fd=fd)
                except OSError:
                    continue
            elif stat.S_ISDIR(st.st_mode):
                try:
                    sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError:
                    continue                  # replaced by a symlink meanwhile: not followed
                yield here, "dir", None
                stack.append((here, sub, None))
            elif stat.S_ISREG(st.st_mode):
                data = self._read(fd, name)
                if data is not None:
                    yield here, "file", data

    @staticmethod
    def _read(dir_fd, name):
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        except OSError:
            return None                       # unreadable, or a symlink by now
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        except OSError:
            return None
        finally:
            os.close(fd)

    def read_link(self, parts):
        return os.readlink(parts[-1], dir_fd=self.dir_fd(parts[:-1]))

    # --- writing -----------------------------------------------------------------------

    def write_file(self, parts, data):
        """Make ``parts`` a regular file holding ``data``, atomically: a temp file made with
        O_EXCL beside it, renamed over it (a symlink there is replaced, never written through;
        a directory there is removed first). Keeps the mode of a file it replaces."""
        parent = self.dir_fd(parts[:-1], create=True)
        name = parts[-1]
        old = self._lstat_in(parent, name)
        mode = stat.S_IMODE(old.st_mode) if old is not None and stat.S_ISREG(old.st_mode) \
            else None
        tmp, fd = self._temp(parent, name)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if mode is not None:
                    os.fchmod(fd, mode)
            finally:
                os.close(fd)
            if old is not None and stat.S_ISDIR(old.st_mode):
                self._remove_tree(parent, tuple(parts))
            os.rename(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=parent)
            except OSError:
                pass
            raise

    @staticmethod
    def _temp(parent, name):
        for _ in range(100):
            tmp = ".%s.selfhost-%s.tmp" % (name[:100], secrets.token_hex(8))
            try:
                return tmp, os.open(tmp, _TEMP_FLAGS, 0o666, dir_fd=parent)
            except FileExistsError:
                continue
        raise FileExistsError("cannot make a temp file beside %s" % name)

    def make_link(self, parts, target):
        """Make ``parts`` a symlink to ``target`` (stored verbatim, never followed here),
        replacing what is there unless it is that link already."""
        parent = self.dir_fd(parts[:-1], create=True)
        name = parts[-1]
        old = self._lstat_in(parent, name)
        if old is not None:
            if stat.S_ISLNK(old.st_mode) and os.readlink(name, dir_fd=parent) == target:
                return
            self._remove_in(parent, tuple(parts), old)
        os.symlink(target, name, dir_fd=parent)

    def make_dir(self, parts):
        self.dir_fd(parts, create=True)

    def remove(self, parts):
        """Remove the file or symlink ``parts`` (never what a symlink points to); nothing when
        it, or the directory it is in, is gone or not reachable without following a link."""
        try:
            parent = self.dir_fd(parts[:-1])
        except Unsafe:
            return
        old = self._lstat_in(parent, parts[-1])
        if old is not None and not stat.S_ISDIR(old.st_mode):
            try:
                os.unlink(parts[-1], dir_fd=parent)
            except FileNotFoundError:
                pass

    def remove_dir(self, parts):
        """rmdir ``parts`` if it is an empty real directory (it may still hold what was not
        copied in)."""
        try:
            parent = self.dir_fd(parts[:-1])
        except Unsafe:
            return
        fd = self._dirs.pop(tuple(parts), None)
        if fd is not None:
            os.close(fd)
        try:
            os.rmdir(parts[-1], dir_fd=parent)
        except OSError:
            pass

    @staticmethod
    def _lstat_in(parent, name):
        try:
            return os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def _remove_in(self, parent, parts, st):
        if stat.S_ISDIR(st.st_mode):
            self._remove_tree(parent, parts)
        else:
            os.unlink(parts[-1], dir_fd=parent)

    def _remove_tree(self, parent, parts):
        n = len(parts)
        for key in [k for k in self._dirs if k[:n] == parts]:
            os.close(self._dirs.pop(key))      # fds of directories that are going away
        shutil.rmtree(parts[-1], dir_fd=parent)   # fd-based: never follows a symlink inside
