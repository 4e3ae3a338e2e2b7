"""Checkpoint/restore: the engine-neutral snapshot format and the machine-state mapping.

snapshot.py (data model, errors), format.py (bytes <-> Snapshot; ``check`` reads a header and
section sizes for the host without decoding everything), codec.py (memory compression),
store.py (atomic files), capture.py (machine state <-> Snapshot), wasi_state.py (the WASI
section's schema: JSON form, checks, remapping onto the user's directories, display),
inspect.py (views for humans).
"""
from .snapshot import (Snapshot, Frame, Label, MemoryState, TableState, ExceptionState, PAGE_SIZE,
                       SnapshotError, CorruptSnapshot, VersionMismatch, ModuleMismatch,
                       InvalidState, SnapshotIOError)
from .format import encode, decode, check, FORMAT_VERSION
from .store import write_snapshot, read_snapshot

__all__ = ["Snapshot", "Frame", "Label", "MemoryState", "TableState", "ExceptionState", "PAGE_SIZE",
           "SnapshotError", "CorruptSnapshot", "VersionMismatch", "ModuleMismatch",
           "InvalidState", "SnapshotIOError", "encode", "decode", "check", "FORMAT_VERSION",
           "write_snapshot", "read_snapshot"]
