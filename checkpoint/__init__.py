"""Checkpoint/restore: the engine-neutral snapshot format (snapshot.py data model, format.py
encode/decode, codec.py memory compression, store.py atomic files, inspect.py views)."""
from .snapshot import (Snapshot, Frame, Label, MemoryState, TableState, PAGE_SIZE,
                       SnapshotError, CorruptSnapshot, VersionMismatch, ModuleMismatch,
                       InvalidState, SnapshotIOError)
from .format import encode, decode, FORMAT_VERSION
from .store import write_snapshot, read_snapshot
