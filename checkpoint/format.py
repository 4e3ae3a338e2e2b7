"""Snapshot file format, versions 1 and 2: the spec, the encoder and the decoder.

All integers are little-endian and fixed-width (u8/u16/u32/u64), so whole vectors pack and unpack
with one struct or array call (this code also runs inside selfhost.wasm, where Python is slower).

File:
  0    8   magic b"\\x89SHSNAP\\n"                     (the same in every version)
  8    2   u16 format version (1 or 2, see below)
  10   2   u16 flags, 0
  12   32  SHA-256 of the module file the snapshot was taken of
  44   ..  sections, each: u8 id, u64 payload length, payload
  -32  32  SHA-256 of every byte before it            (the same in every version)
Readers check magic, then the trailing checksum, then the version: a damaged version field reads
as corruption, a real newer file as a version mismatch. Each section id 1-7 appears exactly once,
in any order; ids >= 0x80 are optional extensions that readers skip; other ids are an error.
Version 2 (exception handling) adds section 8 and the exnref value type; a writer writes version
1 whenever the snapshot holds no exnref (nor an exnref table), so version 1 readers read every
snapshot of a program without exceptions, and a version 1 file is read as before.

Sections:
  1 META     UTF-8 JSON {"created_by": str, "stats": {...}}
  2 WASI     UTF-8 JSON: args, env, preopens, fds (path, flags, rights, offset), output counts
  3 FRAMES   u32 n; u32 t; t tier names (u16 length, UTF-8);
             n x (u32 func (function index space), u32 pc (module file offset of the next
                  instruction), u32 nlocals, u32 nstack, u32 nlabels, u32 tier name index);
             values(sum of nlocals + nstack): frame 0's locals, then its operand stack (bottom
                  first), then frame 1's locals, ...;
             sum of nlabels x (u32 opcode, u32 start offset, u32 height, u32 arity)
             Frames are outermost first. All frames' values go into one vector, so a deep
             recursion packs with one struct call instead of one per frame.
  4 GLOBALS  u32 n; values(n)
  5 MEMORIES u32 n; each: u32 pages, u8 has_max, u32 max, u8 codec, u64 length, data
             (codec 0 raw pages*65536 bytes, 1 zero runs: see codec.py)
  6 TABLES   u32 n; each: u8 reftype, u8 has_max, u32 max, u32 size, size x u32 element
  7 DROPPED  u32 n, n x u32 dropped element segments; u32 m, m x u32 dropped data segments
  8 EXCEPTIONS (version 2 only, required there) the exceptions exnrefs refer to:
             u32 n; n x (u32 tag (index in the tag space), u32 nvalues); values(sum of nvalues):
             exception 0's payload, then exception 1's, ...; an exnref in the payload of
             exception i names an exception j < i
values(n): n valtype bytes (0x7F i32, 0x7E i64, 0x7D f32, 0x7C f64, 0x70 funcref, 0x6F externref,
0x69 exnref), then the n payloads in order: i32 u32; i64 u64; f32 its 32 bits; f64 its 64 bits;
funcref u32 function index or 0xFFFFFFFF for null; externref one byte 0 (only null can be saved);
exnref u32 index in the EXCEPTIONS section or 0xFFFFFFFF for null.
Table elements use the same funcref (or exnref) encoding.
"""
import gc
import hashlib
import json
import re
import struct
import sys
from array import array
from itertools import chain

from interp.opcodes import I32, I64, F32, F64, FUNCREF, EXTERNREF, EXNREF, VALTYPE_NAMES
from interp.values import f32_to_bits, f32_from_bits

from . import codec
from .snapshot import (Snapshot, Frame, Label, MemoryState, TableState, ExceptionState,
                       PAGE_SIZE, CorruptSnapshot, VersionMismatch, ModuleMismatch, InvalidState)

MAGIC = b"\x89SHSNAP\n"
VERSION = FORMAT_VERSION = 2     # the newest; version 1 is written when it suffices
SUPPORTED_VERSIONS = (1, 2)
HEADER_SIZE = 44
TRAILER_SIZE = 32

(SEC_META, SEC_WASI, SEC_FRAMES, SEC_GLOBALS, SEC_MEMORIES, SEC_TABLES, SEC_DROPPED,
 SEC_EXCEPTIONS) = range(1, 9)
SECTION_NAMES = {SEC_META: "meta", SEC_WASI: "wasi", SEC_FRAMES: "frames",
                 SEC_GLOBALS: "globals", SEC_MEMORIES: "memories", SEC_TABLES: "tables",
                 SEC_DROPPED: "dropped", SEC_EXCEPTIONS: "exceptions"}
_V1_SECTIONS = (SEC_META, SEC_WASI, SEC_FRAMES, SEC_GLOBALS, SEC_MEMORIES, SEC_TABLES,
                SEC_DROPPED)

NULL_REF = 0xFFFFFFFF
MAX_PAGES = 65536

_HEADER = struct.Struct("<8sHH32s")
_SECTION = struct.Struct("<BQ")
_FRAME = struct.Struct("<IIIIII")
_LABEL = struct.Struct("<IIII")
_MEMORY = struct.Struct("<IBIBQ")
_TABLE = struct.Struct("<BBII")
_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")
_BIG_ENDIAN = sys.byteorder == "big"
assert array("I").itemsize == 4, "array('I') must be 32 bits"

# valtype byte -> struct format character, applied to a whole type vector with bytes.translate
_KNOWN_TYPES = bytes([I32, I64, F32, F64, FUNCREF, EXTERNREF, EXNREF])
_PLAIN_TYPES = bytes([I32, I64, F64])     # values that need no conversion
_special = re.compile(b"[^\x7f\x7e\x7c]").finditer   # positions of the other types
_FMT_TABLE = bytearray(range(256))
for _t, _c in ((I32, "I"), (I64, "Q"), (F32, "I"), (F64, "d"), (FUNCREF, "I"), (EXTERNREF, "B"),
               (EXNREF, "I")):
    _FMT_TABLE[_t] = ord(_c)
_FMT_TABLE = bytes(_FMT_TABLE)


# ---------------------------------------------------------------------------- encoding

def _u32_array(items, what):
    """A list of u32 as little-endian bytes, with a clear error for anything else."""
    try:
        arr = array("I", items)
    except (OverflowError, TypeError) as e:
        raise InvalidState("%s must be integers 0..2**32-1 (%s)" % (what, e)) from None
    if _BIG_ENDIAN:
        arr.byteswap()
    return arr.tobytes()


def _value_error(t, v, where):
    """Say exactly why (t, v) cannot be saved (the fast path only knows that something failed)."""
    if isinstance(t, int):
        name = VALTYPE_NAMES.get(t, "0x%02x" % t)
    else:
        name = repr(t)
    if t == EXTERNREF and v is not None:
        return InvalidState("cannot checkpoint a non-null externref (%s)" % where)
    if t == FUNCREF:
        return InvalidState("%s: a funcref must be a function index or None, not %r"
                            % (where, v))
    if t == EXNREF:
        return InvalidState("%s: an exnref must be an exception index or None, not %r"
                            % (where, v))
    if not isinstance(t, int) or t not in VALTYPE_NAMES:
        return InvalidState("%s: unknown valtype %s" % (where, name))
    if t not in (I32, I64, F32, F64):
        return InvalidState("cannot checkpoint a value of type %s (%s)" % (name, where))
    if t in (I32, I64):
        return InvalidState("%s: %s value %r is not an unsigned %d-bit integer"
                            % (where, name, v, 32 if t == I32 else 64))
    return InvalidState("%s: %s value %r is not a float" % (where, name, v))


def _check_value(t, v, where):
    if t == I32:
        ok = type(v) is int and 0 <= v <= 0xFFFFFFFF
    elif t == I64:
        ok = type(v) is int and 0 <= v <= 0xFFFFFFFFFFFFFFFF
    elif t in (F32, F64):
        ok = type(v) in (float, int)
    elif t == FUNCREF or t == EXNREF:
        ok = v is None or (type(v) is int and 0 <= v < NULL_REF)
    elif t == EXTERNREF:
        ok = v is None
    else:
        ok = False
    if not ok:
        raise _value_error(t, v, where)


def _pack_values(values, where):
    """values -> (type bytes, payload bytes). where names the vector in error messages."""
    if not values:
        return b"", b""
    try:
        if set(map(len, values)) != {2}:
            raise ValueError
        flat = list(chain.from_iterable(values))
        types = bytes(flat[0::2])
        vals = flat[1::2]
    except (TypeError, ValueError):
        for i, item in enumerate(values):
            if not (isinstance(item, tuple) and len(item) == 2):
                raise InvalidState("%s[%d]: a value must be a (valtype, value) pair, not %r"
                                   % (where, i, item)) from None
            _check_value(item[0], item[1], "%s[%d]" % (where, i))
        raise InvalidState("%s: malformed values" % where) from None
    if types.translate(None, _PLAIN_TYPES):
        for m in _special(types):
            i = m.start()
            t = types[i]
            v = vals[i]
            if t == F32:
                if type(v) not in (float, int):
                    raise _value_error(t, v, "%s[%d]" % (where, i))
                vals[i] = f32_to_bits(v)
            elif t == FUNCREF or t == EXNREF:
                if v is None:
                    vals[i] = NULL_REF
                elif not (type(v) is int and 0 <= v < NULL_REF):
                    raise _value_error(t, v, "%s[%d]" % (where, i))
            elif t == EXTERNREF:
                if v is not None:
                    raise _value_error(t, v, "%s[%d]" % (where, i))
                vals[i] = 0
            else:
                raise _value_error(t, v, "%s[%d]" % (where, i))
    try:
        payload = struct.pack(b"<" + types.translate(_FMT_TABLE), *vals)
    except (struct.error, TypeError, OverflowError):
        for i, (t, v) in enumerate(zip(types, vals)):
            if t in (I32, I64, F64):
                _check_value(t, v, "%s[%d]" % (where, i))
        raise InvalidState("%s: a value does not fit its type" % where) from None
    return types, payload


def _check_keys(obj, what):
    """JSON would turn an int key into a string silently; the restore side would then miss it."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise InvalidState("%s: key %r is not a string (JSON keeps only string keys)"
                                   % (what, k))
            _check_keys(v, what)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _check_keys(v, what)


def _json_bytes(obj, what):
    _check_keys(obj, what)
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise InvalidState("%s is not JSON-able: %s" % (what, e)) from None


def _opt_max(value, what):
    if value is None:
        return 0, 0
    if type(value) is not int or not 0 <= value <= 0xFFFFFFFF:
        raise InvalidState("%s must be None or an integer 0..2**32-1, not %r" % (what, value))
    return 1, value


def _encode_frames(frames):
    tiers = {}
    header = array("I")
    extend = header.extend
    allvals = []
    addvals = allvals.extend
    labels = array("I")
    try:
        for fr in frames:
            tier = tiers.setdefault(fr.tier, len(tiers))
            extend((fr.func, fr.pc, len(fr.locals), len(fr.stack), len(fr.labels), tier))
            addvals(fr.locals)
            addvals(fr.stack)
            for lab in fr.labels:
                labels.extend((lab.opcode, lab.start_offset, lab.height, lab.arity))
    except (OverflowError, TypeError, AttributeError):
        _frame_error(frames)
        raise
    try:
        vtypes, vpay = _pack_values(allvals, "frame value")
    except InvalidState:
        _frame_error(frames)
        raise
    parts = [_U32.pack(len(frames)), _U32.pack(len(tiers))]
    for name in tiers:
        raw = name.encode("utf-8") if isinstance(name, str) else None
        if raw is None or len(raw) > 0xFFFF:
            raise InvalidState("a frame's tier must be a short string, not %r" % (name,))
        parts.append(struct.pack("<H", len(raw)))
        parts.append(raw)
    if _BIG_ENDIAN:
        header.byteswap()
        labels.byteswap()
    parts += [header.tobytes(), vtypes, vpay, labels.tobytes()]
    return parts, vtypes


def _encode_exceptions(exceptions):
    header = array("I")
    allvals = []
    for n, exn in enumerate(exceptions):
        if not isinstance(exn, ExceptionState):
            raise InvalidState("exception %d: expected an ExceptionState, not %s"
                               % (n, type(exn).__name__))
        if type(exn.tag) is not int or not 0 <= exn.tag < NULL_REF:
            raise InvalidState("exception %d: tag must be a tag index, not %r" % (n, exn.tag))
        for t, v in exn.values:
            if t == EXNREF and v is not None and not (type(v) is int and v < n):
                raise InvalidState("exception %d: its payload may only name earlier "
                                   "exceptions, not %r" % (n, v))
        header.extend((exn.tag, len(exn.values)))
        allvals.extend(exn.values)
    vtypes, vpay = _pack_values(allvals, "exception payload value")
    if _BIG_ENDIAN:
        header.byteswap()
    return [_U32.pack(len(exceptions)), header.tobytes(), vtypes, vpay], vtypes


def _frame_error(frames):
    """Frames failed to pack as a batch: find the first bad one and say where it is."""
    for n, fr in enumerate(frames):
        where = "frame %d" % n
        if not isinstance(fr, Frame):
            raise InvalidState("%s: expected a Frame, not %s" % (where, type(fr).__name__))
        if not isinstance(fr.tier, str):
            raise InvalidState("%s: tier must be a short string, not %r" % (where, fr.tier))
        try:
            _FRAME.pack(fr.func, fr.pc, len(fr.locals), len(fr.stack), len(fr.labels), 0)
            for lab in fr.labels:
                _LABEL.pack(lab.opcode, lab.start_offset, lab.height, lab.arity)
        except (struct.error, TypeError, AttributeError) as e:
            raise InvalidState("%s: func, pc and labels must be integers 0..2**32-1 (%s)"
                               % (where, e)) from None
        _pack_values(fr.locals, "%s (func %s) local" % (where, fr.func))
        _pack_values(fr.stack, "%s (func %s) stack" % (where, fr.func))


def _encode_memories(memories):
    parts = [_U32.pack(len(memories))]
    for n, mem in enumerate(memories):
        if not isinstance(mem, MemoryState):
            raise InvalidState("memory %d: expected a MemoryState, not %s"
                               % (n, type(mem).__name__))
        pages = mem.pages
        if type(pages) is not int or not 0 <= pages <= MAX_PAGES:
            raise InvalidState("memory %d: pages must be 0..65536, not %r" % (n, pages))
        has_max, mx = _opt_max(mem.max_pages, "memory %d: max_pages" % n)
        if has_max and (mx < pages or mx > MAX_PAGES):
            raise InvalidState("memory %d: max_pages %d is below pages %d or above 65536"
                               % (n, mx, pages))
        try:
            size = memoryview(mem.data).nbytes
        except TypeError:
            raise InvalidState("memory %d: data must be bytes-like, not %s"
                               % (n, type(mem.data).__name__)) from None
        if size != pages * PAGE_SIZE:
            raise InvalidState("memory %d: data holds %d bytes, but %d pages are %d bytes"
                               % (n, size, pages, pages * PAGE_SIZE))
        codec_id, blob = codec.encode(mem.data)
        length = sum(memoryview(b).nbytes for b in blob)
        parts.append(_MEMORY.pack(pages, has_max, mx, codec_id, length))
        parts.extend(blob)
    return parts


def _encode_tables(tables):
    parts = [_U32.pack(len(tables))]
    for n, tab in enumerate(tables):
        if not isinstance(tab, TableState):
            raise InvalidState("table %d: expected a TableState, not %s"
                               % (n, type(tab).__name__))
        if tab.reftype not in (FUNCREF, EXTERNREF, EXNREF):
            raise InvalidState("table %d: reftype must be funcref, externref or exnref, not %r"
                               % (n, tab.reftype))
        has_max, mx = _opt_max(tab.max, "table %d: max" % n)
        elems = tab.elements
        if tab.reftype == EXTERNREF:
            if any(e is not None for e in elems):
                raise InvalidState("cannot checkpoint a non-null externref (table %d)" % n)
            codes = [NULL_REF] * len(elems)
        else:
            codes = [NULL_REF if e is None else e for e in elems]
        packed = _u32_array(codes, "table %d elements (function or exception indices)" % n)
        if codes.count(NULL_REF) != elems.count(None):
            raise InvalidState("table %d: function index 0xFFFFFFFF is reserved for null" % n)
        parts.append(_TABLE.pack(tab.reftype, has_max, mx, len(elems)))
        parts.append(packed)
    return parts


def _encode_dropped(snap):
    parts = []
    for what, items in (("dropped_elems", snap.dropped_elems),
                        ("dropped_datas", snap.dropped_datas)):
        parts.append(_U32.pack(len(items)))
        parts.append(_u32_array(items, what))
    return parts


def encode_parts(snap):
    """Snapshot -> list of bytes-like parts whose concatenation is the file (the last part is the
    checksum). Memory parts may be views of the live memories: write them before it runs on."""
    enabled = gc.isenabled()
    gc.disable()   # as in decode: a deep stack makes the cyclic GC rescan a big heap repeatedly
    try:
        return _encode_parts(snap)
    finally:
        if enabled:
            gc.enable()


def _encode_parts(snap):
    if not isinstance(snap, Snapshot):
        raise InvalidState("expected a Snapshot, not %s" % type(snap).__name__)
    sha = snap.module_sha256
    if not isinstance(sha, (bytes, bytearray)) or len(sha) != 32:
        raise InvalidState("module_sha256 must be 32 bytes, not %r" % (sha,))
    if not isinstance(snap.created_by, str):
        raise InvalidState("created_by must be a string, not %r" % (snap.created_by,))
    gtypes, gpay = _pack_values(snap.globals, "global")
    frames, ftypes = _encode_frames(snap.frames)
    exceptions, etypes = _encode_exceptions(snap.exceptions)
    sections = [
        (SEC_META, [_json_bytes({"created_by": snap.created_by, "stats": snap.stats}, "stats")]),
        (SEC_WASI, [_json_bytes(snap.wasi, "wasi state")]),
        (SEC_FRAMES, frames),
        (SEC_GLOBALS, [_U32.pack(len(gtypes)), gtypes, gpay]),
        (SEC_MEMORIES, _encode_memories(snap.memories)),
        (SEC_TABLES, _encode_tables(snap.tables)),
        (SEC_DROPPED, _encode_dropped(snap)),
    ]
    exn = bytes([EXNREF])
    version = 1
    if (snap.exceptions or exn in gtypes or exn in ftypes or exn in etypes
            or any(t.reftype == EXNREF for t in snap.tables)):
        version = 2
        sections.append((SEC_EXCEPTIONS, exceptions))
    parts = [_HEADER.pack(MAGIC, version, 0, bytes(sha))]
    for sid, payload in sections:
        parts.append(_SECTION.pack(sid, sum(memoryview(p).nbytes for p in payload)))
        parts.extend(payload)
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    parts.append(h.digest())
    return parts


def encode(snap):
    """Snapshot -> bytes."""
    return b"".join(encode_parts(snap))


# ---------------------------------------------------------------------------- decoding

class _Reader:
    """Bounds-checked little-endian reads from one section's payload."""

    def __init__(self, buf, pos, end, name):
        self.buf, self.pos, self.end, self.name = buf, pos, end, name

    def need(self, n):
        if n > self.end - self.pos:
            raise CorruptSnapshot("%s section is truncated at byte %d" % (self.name, self.pos))

    def unpack(self, st):
        self.need(st.size)
        vals = st.unpack_from(self.buf, self.pos)
        self.pos += st.size
        return vals

    def u32(self):
        return self.unpack(_U32)[0]

    def take(self, n):
        self.need(n)
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def u32_list(self, n):
        arr = array("I")
        arr.frombytes(self.take(4 * n))
        if _BIG_ENDIAN:
            arr.byteswap()
        return arr

    def values(self, n):
        types = bytes(self.take(n))
        if types.translate(None, _KNOWN_TYPES):
            bad = types.translate(None, _KNOWN_TYPES)[0]
            raise CorruptSnapshot("%s section: unknown valtype 0x%02x" % (self.name, bad))
        if not n:
            return []
        fmt = b"<" + types.translate(_FMT_TABLE)
        size = struct.calcsize(fmt)
        self.need(size)
        vals = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        if types.translate(None, _PLAIN_TYPES):
            vals = list(vals)
            for m in _special(types):
                i = m.start()
                t = types[i]
                if t == F32:
                    vals[i] = f32_from_bits(vals[i])
                elif t == FUNCREF or t == EXNREF:
                    if vals[i] == NULL_REF:
                        vals[i] = None
                else:  # EXTERNREF
                    if vals[i]:
                        raise CorruptSnapshot("%s section: bad externref" % self.name)
                    vals[i] = None
        return list(zip(types, vals))

    def done(self):
        if self.pos != self.end:
            raise CorruptSnapshot("%s section has %d bytes of junk at its end"
                                  % (self.name, self.end - self.pos))


def _as_module_hash(h):
    if isinstance(h, str):
        try:
            h = bytes.fromhex(h)
        except ValueError:
            h = b""
    if not isinstance(h, (bytes, bytearray)) or len(h) != 32:
        raise ValueError("expected_module_sha256 must be 32 bytes or 64 hex digits, not %r"
                         % (h,))
    return bytes(h)


def _view(data):
    """data as a byte view, after the checks every reader makes first: magic and minimum size."""
    try:
        buf = memoryview(data).cast("B")
    except TypeError:
        raise CorruptSnapshot("a snapshot must be bytes, not %s" % type(data).__name__) from None
    if len(buf) < len(MAGIC) or bytes(buf[:len(MAGIC)]) != MAGIC:
        raise CorruptSnapshot("not a selfhost snapshot (bad magic)")
    if len(buf) < HEADER_SIZE + TRAILER_SIZE:
        raise CorruptSnapshot("snapshot is truncated: %d bytes, at least %d expected"
                              % (len(buf), HEADER_SIZE + TRAILER_SIZE))
    return buf


def read_layout(data):
    """Header fields and the section table of a possibly damaged file (inspect shows them even
    when the checksum fails).
    -> dict(version, flags, module_sha256, sections=[(id, offset, length)], checksum_ok, size)"""
    buf = _view(data)
    _, version, flags, sha = _HEADER.unpack_from(buf, 0)
    end = len(buf) - TRAILER_SIZE
    checksum_ok = hashlib.sha256(buf[:end]).digest() == bytes(buf[end:])
    return {"version": version, "flags": flags, "module_sha256": bytes(sha),
            "sections": _section_table(buf), "checksum_ok": checksum_ok, "size": len(buf)}


def _section_table(buf):
    end = len(buf) - TRAILER_SIZE
    sections = []
    pos = HEADER_SIZE
    while pos < end:
        if end - pos < _SECTION.size:
            raise CorruptSnapshot("section header truncated at byte %d" % pos)
        sid, length = _SECTION.unpack_from(buf, pos)
        pos += _SECTION.size
        if length > end - pos:
            raise CorruptSnapshot("section %d at byte %d claims %d bytes, only %d remain"
                                  % (sid, pos - _SECTION.size, length, end - pos))
        sections.append((sid, pos, length))
        pos += length
    return sections


def _check_header(buf, expected_module_sha256):
    end = len(buf) - TRAILER_SIZE
    if hashlib.sha256(buf[:end]).digest() != bytes(buf[end:]):
        raise CorruptSnapshot("snapshot checksum mismatch: the file is corrupt or truncated")
    _, version, flags, sha = _HEADER.unpack_from(buf, 0)
    if version not in SUPPORTED_VERSIONS:
        raise VersionMismatch(version, SUPPORTED_VERSIONS)
    if flags:
        raise CorruptSnapshot("unknown header flags 0x%04x" % flags)
    if expected_module_sha256 is not None:
        expected = _as_module_hash(expected_module_sha256)
        if expected != sha:
            raise ModuleMismatch(sha, expected)


def decode(data, expected_module_sha256=None, memory_limits=None):
    """bytes -> Snapshot. Raises CorruptSnapshot, VersionMismatch or ModuleMismatch.
    ``memory_limits``: [(min pages, max pages)] per memory of the module it is for
    (checkpoint.against_module.memory_limits): a memory count or size outside them is refused
    before its data is decoded, so a small file cannot make this allocate a large memory."""
    # The cyclic GC would rescan the growing heap of frames and value tuples again and again
    # (3.5x slower on 100k frames); nothing built here forms a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _decode(data, expected_module_sha256, memory_limits)
    finally:
        if enabled:
            gc.enable()


def _decode(data, expected_module_sha256, memory_limits=None):
    buf = _view(data)
    _check_header(buf, expected_module_sha256)
    found = {}
    for sid, pos, length in _section_table(buf):
        if sid >= 0x80:
            continue
        if sid not in SECTION_NAMES:
            raise CorruptSnapshot("unknown section id %d" % sid)
        if sid in found:
            raise CorruptSnapshot("duplicate %s section" % SECTION_NAMES[sid])
        found[sid] = _Reader(buf, pos, pos + length, SECTION_NAMES[sid])
    version = _HEADER.unpack_from(buf, 0)[1]
    required = _V1_SECTIONS if version == 1 else tuple(SECTION_NAMES)
    missing = [SECTION_NAMES[s] for s in required if s not in found]
    if missing:
        raise CorruptSnapshot("missing section(s): %s" % ", ".join(missing))
    if version == 1 and SEC_EXCEPTIONS in found:
        raise CorruptSnapshot("an exceptions section in a version 1 snapshot")

    snap = Snapshot(module_sha256=bytes(buf[12:44]))
    snap.created_by, snap.stats = _meta(_json_section(found[SEC_META]))
    snap.wasi = _json_section(found[SEC_WASI])
    snap.frames = _decode_frames(found[SEC_FRAMES])
    r = found[SEC_GLOBALS]
    snap.globals = r.values(r.u32())
    r.done()
    snap.memories = _decode_memories(found[SEC_MEMORIES], memory_limits)
    snap.tables = _decode_tables(found[SEC_TABLES])
    r = found[SEC_DROPPED]
    snap.dropped_elems = list(r.u32_list(r.u32()))
    snap.dropped_datas = list(r.u32_list(r.u32()))
    r.done()
    if SEC_EXCEPTIONS in found:
        snap.exceptions = _decode_exceptions(found[SEC_EXCEPTIONS])
    _check_exnrefs(snap)
    return snap


MAX_JSON_DEPTH = 32       # far above what selfhost writes (the WASI section nests 3 deep)
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def _json_depth(raw):
    """How deeply ``raw`` (JSON text) nests arrays and objects, counted without parsing it (a
    parser's own recursion could exhaust the stack first, inside selfhost.wasm too)."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for c in brackets:
        if c in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def _decode_exceptions(r):
    n = r.u32()
    if n > (r.end - r.pos) // 8:
        raise CorruptSnapshot("exceptions section claims %d exceptions" % n)
    header = r.u32_list(2 * n)
    vals = r.values(sum(header[1::2]))
    r.done()
    out = []
    p = 0
    for k in range(n):
        nv = header[2 * k + 1]
        values = vals[p:p + nv]
        p += nv
        for t, v in values:
            if t == EXNREF and v is not None and v >= k:
                raise CorruptSnapshot("exceptions section: exception %d names exception %d"
                                      % (k, v))
        out.append(ExceptionState(header[2 * k], values))
    return out


def _check_exnrefs(snap):
    """Every exnref must name an exception of the snapshot."""
    n = len(snap.exceptions)
    values = [v for fr in snap.frames for v in fr.locals + fr.stack] + snap.globals
    for t, v in values:
        if t == EXNREF and v is not None and v >= n:
            raise CorruptSnapshot("an exnref names exception %d of %d" % (v, n))
    for i, tab in enumerate(snap.tables):
        if tab.reftype == EXNREF and any(e is not None and e >= n for e in tab.elements):
            raise CorruptSnapshot("table %d: an exnref names a missing exception" % i)


def _json_section(r):
    raw = bytes(r.take(r.end - r.pos))
    if _json_depth(raw) > MAX_JSON_DEPTH:
        raise CorruptSnapshot("%s section nests JSON more than %d deep" % (r.name,
                                                                          MAX_JSON_DEPTH))
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CorruptSnapshot("%s section is not valid JSON: %s" % (r.name, e)) from None
    except RecursionError:
        raise CorruptSnapshot("%s section nests JSON too deeply" % r.name) from None


def _meta(meta):
    """The meta section -> (created_by, stats), its schema checked."""
    if not isinstance(meta, dict):
        raise CorruptSnapshot("meta section is not a JSON object")
    unknown = [k for k in meta if k not in ("created_by", "stats")]
    if unknown:
        raise CorruptSnapshot("meta section: unknown key %.40r" % unknown[0])
    created_by = meta.get("created_by", "")
    stats = meta.get("stats", {})
    if not isinstance(created_by, str):
        raise CorruptSnapshot("meta section: created_by is not a string")
    if not isinstance(stats, dict):
        raise CorruptSnapshot("meta section: stats is not a JSON object")
    return created_by, stats


def check(data, expected_module_sha256=None):
    """What the host needs to know about a snapshot file without decoding it all: the header
    checks every reader makes (magic, checksum, version, module), the section sizes, the meta
    and WASI sections (JSON) and each memory's page count (its data is not decoded).
    -> dict(version, module_sha256, size, sections={name: bytes}, meta, wasi, memory_pages)
    Raises CorruptSnapshot, VersionMismatch or ModuleMismatch."""
    buf = _view(data)
    _check_header(buf, expected_module_sha256)
    out = {"version": _HEADER.unpack_from(buf, 0)[1], "module_sha256": bytes(buf[12:44]),
           "size": len(buf), "sections": {}, "meta": {}, "wasi": None, "memory_pages": []}
    for sid, pos, length in _section_table(buf):
        name = SECTION_NAMES.get(sid, "0x%02x" % sid)
        out["sections"][name] = out["sections"].get(name, 0) + length
        if sid == SEC_META:
            created_by, stats = _meta(_json_section(_Reader(buf, pos, pos + length, name)))
            out["meta"] = {"created_by": created_by, "stats": stats}
        elif sid == SEC_WASI:
            out["wasi"] = _json_section(_Reader(buf, pos, pos + length, name))
        elif sid == SEC_MEMORIES:
            r = _Reader(buf, pos, pos + length, name)
            for _ in range(r.u32()):
                pages, _has_max, _max, _codec, blob = r.unpack(_MEMORY)
                out["memory_pages"].append(pages)
                r.take(blob)
    return out


def _decode_frames(r):
    n = r.u32()
    ntiers = r.u32()
    if ntiers > r.end - r.pos:
        raise CorruptSnapshot("frames section claims %d tier names" % ntiers)
    tiers = []
    for _ in range(ntiers):
        try:
            tiers.append(bytes(r.take(r.unpack(_U16)[0])).decode("utf-8"))
        except UnicodeDecodeError:
            raise CorruptSnapshot("frames section: a tier name is not UTF-8") from None
    if n > (r.end - r.pos) // _FRAME.size:
        raise CorruptSnapshot("frames section claims %d frames in %d bytes" % (n, r.end - r.pos))
    header = r.u32_list(6 * n)
    nvals = sum(header[2::6]) + sum(header[3::6])
    nlabels = sum(header[4::6])
    if max(header[5::6], default=-1) >= ntiers:
        raise CorruptSnapshot("frames section: tier index out of range")
    vals = r.values(nvals)
    raw = r.u32_list(4 * nlabels)
    labels = [Label(*raw[k:k + 4]) for k in range(0, 4 * nlabels, 4)]
    frames = []
    append = frames.append
    p = q = 0
    for k in range(0, 6 * n, 6):
        nl = header[k + 2]
        ns = p + nl + header[k + 3]
        nb = header[k + 4]
        append(Frame(header[k], header[k + 1], vals[p:p + nl], vals[p + nl:ns],
                     labels[q:q + nb], tiers[header[k + 5]]))
        p = ns
        q += nb
    r.done()
    return frames


def _decode_memories(r, limits=None):
    n = r.u32()
    if limits is not None and n != len(limits):
        raise InvalidState("snapshot does not fit the module: %d memories, the module has %d"
                           % (n, len(limits)))
    mems = []
    for i in range(n):
        pages, has_max, mx, codec_id, length = r.unpack(_MEMORY)
        if pages > MAX_PAGES or has_max > 1 or (has_max and mx < pages):
            raise CorruptSnapshot("memory %d: bad limits" % i)
        if limits is not None and not limits[i][0] <= pages <= limits[i][1]:
            raise InvalidState("snapshot does not fit the module: memory %d has %d pages, the "
                               "module allows %d to %d" % (i, pages, limits[i][0], limits[i][1]))
        data = codec.decode(codec_id, r.take(length), pages * PAGE_SIZE)
        mems.append(MemoryState(pages, mx if has_max else None, data))
    r.done()
    return mems


def _decode_tables(r):
    n = r.u32()
    tabs = []
    for i in range(n):
        reftype, has_max, mx, size = r.unpack(_TABLE)
        if reftype not in (FUNCREF, EXTERNREF, EXNREF) or has_max > 1:
            raise CorruptSnapshot("table %d: bad reftype or limits" % i)
        codes = r.u32_list(size)
        if reftype == EXTERNREF:
            if codes.count(NULL_REF) != size:
                raise CorruptSnapshot("table %d: bad externref" % i)
            elems = [None] * size
        else:
            elems = [None if c == NULL_REF else c for c in codes]
        tabs.append(TableState(reftype, mx if has_max else None, elems))
    r.done()
    return tabs
