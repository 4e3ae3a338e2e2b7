"""The engine-neutral snapshot data model and the errors of checkpoint/.

A Snapshot is plain data: it names functions by their index in the module's function index space
and code positions by Wasm bytecode offsets in the module file, never by interpreter internals, so
any tier (or another engine) can produce or consume it. format.py turns it into bytes and back.

Values are ``(valtype, value)`` tuples with valtype codes from interp/opcodes.py and values in
interp/values.py's runtime representation, except references: a funcref is a function index
(int) or None, an externref can only be None (a host object cannot be carried across hosts), an
exnref is an index into ``Snapshot.exceptions`` or None.

Frames are ordered outermost (the entry call) first, innermost (the running function) last.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Any

PAGE_SIZE = 65536

Value = Tuple[int, Any]


class SnapshotError(Exception):
    """Base of every error checkpoint/ raises on purpose; the message is for a user."""


class CorruptSnapshot(SnapshotError):
    """The bytes are not a whole, intact snapshot (bad magic, truncation, checksum mismatch)."""


class VersionMismatch(SnapshotError):
    """The snapshot uses a format version this code does not read."""

    def __init__(self, file_version, supported):
        self.file_version = file_version
        self.supported = tuple(supported)
        super().__init__(
            "snapshot format version %d is not supported (this selfhost reads version %s)"
            % (file_version, ", ".join(str(v) for v in self.supported)))


class ModuleMismatch(SnapshotError):
    """The snapshot was taken of a different module than the one given to resume it."""

    def __init__(self, snapshot_sha256, module_sha256):
        self.snapshot_sha256 = bytes(snapshot_sha256)
        self.module_sha256 = bytes(module_sha256)
        super().__init__(
            "snapshot was taken of module sha256 %s..., but the given module is sha256 %s..."
            % (short_hex(snapshot_sha256), short_hex(module_sha256)))


class InvalidState(SnapshotError):
    """The in-memory state cannot be written as a snapshot (e.g. a non-null externref)."""


class SnapshotIOError(SnapshotError):
    """Reading or writing a snapshot file failed (the message names the path and the cause)."""


def short_hex(digest, n=12):
    return bytes(digest).hex()[:n]


@dataclass
class Label:
    """One entry of a frame's label stack: optional, as labels follow from pc and the body."""
    opcode: int         # 0x02 block, 0x03 loop, 0x04 if (0x00 for the function's own label)
    start_offset: int   # module file offset of the opening instruction
    height: int         # operand-stack height (within the frame) at the label's entry
    arity: int          # number of values a branch to this label carries


@dataclass
class Frame:
    func: int                       # index in the module's function index space
    pc: int                         # module file offset of the next instruction to run
    locals: List[Value] = field(default_factory=list)
    stack: List[Value] = field(default_factory=list)   # this frame's operands, bottom first
    labels: List[Label] = field(default_factory=list)
    tier: str = ""                  # informational: which tier ran the frame


@dataclass
class MemoryState:
    pages: int
    max_pages: Optional[int]
    data: Any                       # bytes-like, exactly pages * 65536 bytes


@dataclass
class TableState:
    reftype: int                    # FUNCREF, EXTERNREF or EXNREF valtype code
    max: Optional[int]
    elements: List[Optional[int]]   # function (or exception) indices or None


@dataclass
class ExceptionState:
    """A caught exception an exnref refers to (exception handling): its tag, as an index in the
    instance's tag space, and its payload values (an exnref among them names an earlier entry
    of Snapshot.exceptions)."""
    tag: int
    values: List[Value] = field(default_factory=list)


@dataclass
class Snapshot:
    module_sha256: bytes
    frames: List[Frame] = field(default_factory=list)
    globals: List[Value] = field(default_factory=list)
    memories: List[MemoryState] = field(default_factory=list)
    tables: List[TableState] = field(default_factory=list)
    dropped_elems: List[int] = field(default_factory=list)
    dropped_datas: List[int] = field(default_factory=list)
    wasi: dict = field(default_factory=dict)     # JSON-able: args, env, preopens, fds, counts
    stats: dict = field(default_factory=dict)    # JSON-able
    created_by: str = ""
    exceptions: List[ExceptionState] = field(default_factory=list)   # what exnrefs name
