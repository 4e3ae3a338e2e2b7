"""Snapshot files: written whole or not at all, and nothing left behind.

write_snapshot writes to a temporary file in the target's directory, flushes and fsyncs it, then
os.replace()s it onto the target: a crash or error at any point leaves the previous snapshot file
whole. The temporary file has one fixed name per target, ``.NAME.selfhost-tmp``: a process
killed mid-write (kill -9 leaves no chance to clean up) leaves at most that one file, and the
next write to the same target removes it first (an unlink never follows a symlink, and the
file is then made with O_EXCL, so a symlink planted under that name is never written through).
Only os calls that WASI has are used.
"""
import os

from . import format as _format
from .snapshot import SnapshotError, SnapshotIOError

_os_write = os.write   # a seam for tests that simulate a failure mid-write
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def temp_path(path):
    """The one temporary file a write of ``path`` uses (a leftover of a killed writer)."""
    d, name = os.path.split(os.fspath(path))
    return os.path.join(d, ".%s.selfhost-tmp" % name)


def _open_temp(tmp):
    """Create the temp file afresh: a leftover (file or symlink) is removed, never followed."""
    for _ in range(3):
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        except FileExistsError:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)


def _write_all(fd, data):
    view = memoryview(data).cast("B")
    while view:
        n = _os_write(fd, view)
        view = view[n:]


def write_snapshot(path, snapshot):
    """Encode snapshot and store it at path atomically. Returns the number of bytes written."""
    path = os.fspath(path)
    parts = _format.encode_parts(snapshot)   # InvalidState before any file is touched
    tmp = temp_path(path)
    fd = None
    total = 0
    try:
        fd = _open_temp(tmp)
        for part in parts:
            _write_all(fd, part)
            total += memoryview(part).nbytes
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.replace(tmp, path)
    except BaseException as e:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise SnapshotIOError("cannot write snapshot %s: %s"
                                  % (path, e.strerror or e)) from e
        raise
    _sync_dir(os.path.dirname(path) or ".")
    return total


def _sync_dir(d):
    """Make the rename itself durable where the host allows it (best effort: not under WASI)."""
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
