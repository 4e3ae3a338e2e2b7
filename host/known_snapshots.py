"""Snapshots that this user's own `selfhost` runs wrote on this machine, and their directories.

A snapshot records where its app's directories were on the host (the WASI section's preopens,
from selfhost's --dir-origin), so that `selfhost restore` on the machine that took it can
default to them. But a snapshot is untrusted input: anyone can write one, name any directory
in it and recompute its checksum. So the recorded directories are used only for a snapshot
that a `selfhost run` / `restore` / `migrate` of this user wrote: after such a run the host
CLI notes the snapshot's trailer (the SHA-256 of all its other bytes, so it names exactly this
content) with the directories the user gave, in the user's cache directory
(``$SELFHOST_CACHE/snapshots``). A restore takes a recorded directory as a default only when
the note for this very content names the same directory.

    remember(path, dirs)   after a run: note the snapshot at path (if any) with its dirs
    known_dirs(data)       the [(host, guest)] noted for these snapshot bytes, or None
"""
import json
import os

from . import launch

KEEP = 512          # notes kept (the oldest are dropped)
TRAILER = 32


def _dir():
    return os.path.join(str(launch.cache_dir()), "snapshots")


def _trailer_of_file(path):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            if size < TRAILER:
                return None
            f.seek(size - TRAILER)
            return f.read(TRAILER)
    except OSError:
        return None


def file_id(path):
    """What tells whether a run (re)wrote the file at ``path``: None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def remember(path, dirs, before=None):
    """Note the snapshot file at ``path`` as written by a run with the user's directories
    ``dirs`` [(host, guest)]: nothing when there is none, or when it is still the file it was
    before the run (``before``: its file_id then). Best effort: never fails."""
    if path is None or file_id(path) in (None, before):
        return
    trailer = _trailer_of_file(path)
    if trailer is None:
        return
    dirs = [[os.path.abspath(h), g] for h, g in dirs]
    try:
        d = _dir()
        os.makedirs(d, mode=0o700, exist_ok=True)
        final = os.path.join(d, trailer.hex() + ".json")
        tmp = "%s.%d.tmp" % (final, os.getpid())
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"dirs": dirs}, f)
        os.replace(tmp, final)
        _prune(d)
    except OSError:
        pass


def _prune(d):
    try:
        notes = [os.path.join(d, n) for n in os.listdir(d) if n.endswith(".json")]
        if len(notes) <= KEEP:
            return
        notes.sort(key=lambda p: os.stat(p).st_mtime)
        for old in notes[:len(notes) - KEEP]:
            os.unlink(old)
    except OSError:
        pass


def known_dirs(data):
    """The directories noted for the snapshot bytes ``data`` (whose checksum has been
    checked), as [(host, guest)], or None when no run of this user wrote it."""
    if len(data) < TRAILER:
        return None
    try:
        with open(os.path.join(_dir(), bytes(data[-TRAILER:]).hex() + ".json"),
                  encoding="utf-8") as f:
            note = json.load(f)
        return [(str(h), str(g)) for h, g in note["dirs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
