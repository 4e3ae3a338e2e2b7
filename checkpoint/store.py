"""Snapshot files: written whole or not at all.

write_snapshot writes to a temporary file in the target's directory, flushes and fsyncs it, then
os.replace()s it onto the target: a crash or error at any point leaves the previous snapshot file
whole (at worst a stray ``.NAME.*.tmp`` beside it). Only os calls that WASI has are used.
"""
import os

from . import format as _format
from .snapshot import SnapshotError, SnapshotIOError

_os_write = os.write   # a seam for tests that simulate a failure mid-write
_counter = [0]


def _temp_path(path):
    _counter[0] += 1
    d, name = os.path.split(path)
    return os.path.join(d, ".%s.%d.%d.tmp" % (name, os.getpid(), _counter[0]))


def _write_all(fd, data):
    view = memoryview(data).cast("B")
    while view:
        n = _os_write(fd, view)
        view = view[n:]


def write_snapshot(path, snapshot):
    """Encode snapshot and store it at path atomically. Returns the number of bytes written."""
    path = os.fspath(path)
    parts = _format.encode_parts(snapshot)   # InvalidState before any file is touched
    tmp = _temp_path(path)
    fd = None
    total = 0
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
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


def read_snapshot(path, expected_module_sha256=None):
    """Read and decode the snapshot at path (see format.decode for the errors)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise SnapshotIOError("cannot read snapshot %s: %s" % (path, e.strerror or e)) from e
    try:
        return _format.decode(data, expected_module_sha256)
    except SnapshotError as e:
        e.args = ("%s: %s" % (path, e),)
        raise
