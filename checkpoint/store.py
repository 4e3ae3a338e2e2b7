"""Snapshot files (and selfhost's other output files): written whole or not at all, and
nothing left behind.

write_snapshot writes to a temporary file in the target's directory, flushes and fsyncs it, then
renames it onto the target: a crash or error at any point leaves the previous snapshot file
whole. The temporary file has one fixed name per target, ``.NAME.selfhost-tmp``: a process
killed mid-write (kill -9 leaves no chance to clean up) leaves at most that one file, and the
next write to the same target removes it first (an unlink never follows a symlink, and the
file is then made with O_EXCL, so a symlink planted under that name is never written through).
A symlink at the target's own name is unlinked before the rename: rename would replace it
anyway, but Wasmer's file system panics renaming onto a dangling one (the guest dies, "exit 0").

The target's directory may be one the guest works in (a snapshot next to the app's files).
A ``Place`` opens it once, when the run starts, before the guest runs: every later operation
is relative to that directory fd, so a directory the guest swaps for a symlink meanwhile is not
followed (the native runtime has no host sandbox below selfhost; under a Wasm host the host's
preopens confine these paths anyway, and where os lacks dir_fd calls, paths are used).
Only os calls that WASI has are used.
"""
import errno
import os
import stat

from . import format as _format
from .snapshot import SnapshotError, SnapshotIOError

_os_write = os.write   # a seam for tests that simulate a failure mid-write
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FD = all(f in os.supports_dir_fd for f in (os.open, os.rename, os.unlink))
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def temp_path(path):
    """The one temporary file a write of ``path`` uses (a leftover of a killed writer)."""
    d, name = os.path.split(os.fspath(path))
    return os.path.join(d, _temp_name(name))


def _temp_name(name):
    return ".%s.selfhost-tmp" % name


class Place:
    """Where one output file goes: its directory (opened now, when supported) and its name."""

    def __init__(self, path):
        self.path = os.fspath(path)
        directory, self.name = os.path.split(self.path)
        self.directory = directory or "."
        self.fd = None
        if _DIR_FD:
            try:
                self.fd = os.open(self.directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
                                  | getattr(os, "O_CLOEXEC", 0))
            except OSError:
                self.fd = None            # the write reports it, by path

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _where(self, name):
        """(path argument, keyword arguments) of ``name`` in this place."""
        if self.fd is None:
            return os.path.join(self.directory, name), {}
        return name, {"dir_fd": self.fd}

    def _open_temp(self):
        """Create the temp file afresh: a leftover (file or symlink) is removed, not followed."""
        tmp, at = self._where(_temp_name(self.name))
        for _ in range(3):
            try:
                return os.open(tmp, _TEMP_FLAGS, 0o644, **at)
            except OSError as e:
                # a leftover: EEXIST, or ELOOP where the host checks O_NOFOLLOW first (Wasmer)
                if e.errno not in (errno.EEXIST, errno.ELOOP):
                    raise
                try:
                    os.unlink(tmp, **at)
                except FileNotFoundError:
                    pass
        return os.open(tmp, _TEMP_FLAGS, 0o644, **at)

    def write(self, parts, sync=True):
        """Store the concatenation of ``parts`` at this place atomically (raises OSError);
        returns the number of bytes."""
        tmp, at = self._where(_temp_name(self.name))
        target, _ = self._where(self.name)
        fd = None
        total = 0
        try:
            fd = self._open_temp()
            for part in parts:
                _write_all(fd, part)
                total += memoryview(part).nbytes
            if sync:
                os.fsync(fd)
            os.close(fd)
            fd = None
            if _is_link(target, at):
                os.unlink(target, **at)
            if self.fd is None:
                os.replace(tmp, target)
            else:
                os.rename(tmp, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            try:
                os.unlink(tmp, **at)
            except OSError:
                pass
            raise
        if sync:
            _sync_dir(self.fd if self.fd is not None else self.directory)
        return total


def _is_link(path, at):
    try:
        return stat.S_ISLNK(os.lstat(path, **at).st_mode)
    except (OSError, NotImplementedError):   # absent, or no lstat relative to a dir fd
        return False


def _write_all(fd, data):
    view = memoryview(data).cast("B")
    while view:
        n = _os_write(fd, view)
        view = view[n:]


def write_snapshot(path, snapshot):
    """Encode snapshot and store it at path (a path, or a Place) atomically. Returns the
    number of bytes written."""
    parts = _format.encode_parts(snapshot)   # InvalidState before any file is touched
    place = path if isinstance(path, Place) else Place(path)
    try:
        return place.write(parts)
    except OSError as e:
        raise SnapshotIOError("cannot write snapshot %s: %s"
                              % (place.path, e.strerror or e)) from e
    finally:
        if place is not path:
            place.close()


def _sync_dir(d):
    """Make the rename itself durable where the host allows it (best effort: not under WASI).
    ``d``: a directory path or fd."""
    if isinstance(d, int):
        try:
            os.fsync(d)
        except OSError:
            pass
        return
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_snapshot(path, expected_module_sha256=None, memory_limits=None):
    """Read and decode the snapshot at path (see format.decode for the errors and
    ``memory_limits``)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise SnapshotIOError("cannot read snapshot %s: %s" % (path, e.strerror or e)) from e
    try:
        return _format.decode(data, expected_module_sha256, memory_limits)
    except SnapshotError as e:
        e.args = ("%s: %s" % (path, e),)
        raise
