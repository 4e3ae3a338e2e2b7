"""The decode stage: binary module bytes -> interp.module.Module.

What it reads: Wasm 2.0 without SIMD, plus exception handling (the tag section, tag imports and
exports, exnref, try_table/throw/throw_ref), tail calls and the atomic instructions (threads;
a shared memory is not read). The encodings of the other proposals wasmtime 49 enables (SIMD,
shared memories, GC, function references, multi-memory, memory64, wide arithmetic, the legacy
exceptions) raise ``UnsupportedFeature`` ("unsupported feature: NAME"):
such a module is not malformed, it is one this engine cannot run.

One pass over the bytes. Errors are ``MalformedError(message, offset)`` with the messages of the
official test suite (the reference interpreter's wording).

Like the reference interpreter, reads are bounded by the end of the *file*, not of the current
section or function body: a body or section that runs long is reported afterwards as
"section size mismatch", running off the end of the file as "unexpected end ...". Every byte
read is ``data[pos]``; an IndexError at the end of the file is turned into that error once, at
the top, so the hot loops need no bounds checks. Slices are checked explicitly.

Instruction bodies are decoded by ``_decode_expr``: a flat loop over a 256-entry table of
immediate kinds, with one-byte LEB128 values read inline and longer ones by the ``_u32`` /
``_s32`` / ``_s33`` / ``_s64`` helpers, which enforce the spec's length and unused-bit limits.
"""
from functools import partial

from .errors import MalformedError, UnsupportedFeature
from .module import (Data, Elem, Export, Func, FuncType, Global, GlobalType, Import, Limits,
                     MemType, Module, TableType)
from .opcodes import (FUNCREF, IMMEDIATES, VALTYPE_NAMES, BLOCK_EMPTY, BLOCK_VALTYPE,
                      REF_TYPES, V128)
from .values import f32_from_bits, f64_from_bits

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

# Declared locals are expanded into a list (module.Func.locals). The format allows 2**32-1 of
# them; more than this would only exhaust memory, so it is refused with a clear message.
MAX_LOCALS = 1 << 20

# Order rank of each non-custom section id; the data count section (12) sits before code (10),
# the tag section (13) between memory (5) and global (6).
_RANK = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}
_EXTERN_KINDS = ("func", "table", "memory", "global", "tag")

# The encodings of proposals this engine does not implement, by the byte that starts them.
_UNSUPPORTED_OPS = {0x06: "legacy exceptions", 0x07: "legacy exceptions",
                    0x09: "legacy exceptions", 0x18: "legacy exceptions",
                    0x19: "legacy exceptions", 0x14: "function-references",
                    0x15: "function-references", 0xD3: "function-references",
                    0xD4: "function-references", 0xD5: "gc", 0xD6: "function-references",
                    0xFB: "gc", 0xFD: "simd"}
_UNSUPPORTED_FC = {0x13: "wide-arithmetic", 0x14: "wide-arithmetic", 0x15: "wide-arithmetic",
                   0x16: "wide-arithmetic"}
_UNSUPPORTED_TYPES = {V128: "simd", 0x63: "function-references", 0x64: "function-references",
                      0x6A: "gc", 0x6B: "gc", 0x6C: "gc", 0x6D: "gc", 0x6E: "gc", 0x71: "gc",
                      0x72: "gc", 0x73: "gc", 0x74: "gc"}
_UNSUPPORTED_FORMS = {0x4E: "gc", 0x4F: "gc", 0x50: "gc", 0x5E: "gc", 0x5F: "gc"}

# ---------------------------------------------------------------------------------------------
# LEB128. Each helper takes (data, pos) at the first byte and returns (value, new_pos).
# The reference interpreter checks, on the last allowed byte, the unused value bits first
# ("integer too large") and then the continuation bit ("integer representation too long").


def _u32(data, pos):
    result = 0
    shift = 0
    while shift < 28:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
    b = data[pos]  # 5th byte: only 4 value bits left
    if b & 0x70:
        raise MalformedError("integer too large", pos)
    if b & 0x80:
        raise MalformedError("integer representation too long", pos)
    return result | (b << 28), pos + 1


def _signed(data, pos, nbytes, lastmask, bits):
    """Signed LEB128 of at most nbytes bytes; the value bits of the last byte covered by
    lastmask must all equal the sign (all zero or all one)."""
    result = 0
    shift = 0
    last = 7 * (nbytes - 1)
    while shift < last:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos
    b = data[pos]
    m = b & lastmask
    if m and m != lastmask:
        raise MalformedError("integer too large", pos)
    if b & 0x80:
        raise MalformedError("integer representation too long", pos)
    result |= (b & 0x7F) << shift
    if result >> (bits - 1):        # sign bit set: make it negative
        result = (result & ((1 << bits) - 1)) - (1 << bits)
    return result, pos + 1


def _s32(data, pos):
    return _signed(data, pos, 5, 0x78, 32)


def _s33(data, pos):
    return _signed(data, pos, 5, 0x70, 33)


def _s64(data, pos):
    return _signed(data, pos, 10, 0x7F, 64)


# ---------------------------------------------------------------------------------------------
# Instructions

# immediate kind codes for the dispatch table (most frequent first in the if-chain below)
(K_IDX, K_NONE, K_MEMARG, K_I32, K_BLOCK, K_END, K_ELSE, K_I64, K_F32, K_F64, K_BR_TABLE,
 K_CALL_IND, K_MEM0, K_REFTYPE, K_SELECT_T, K_PREFIX, K_TRY_TABLE, K_UNSUPPORTED, K_ATOMIC,
 K_ILLEGAL) = range(20)

_KIND_CODE = {"idx": K_IDX, "none": K_NONE, "memarg": K_MEMARG, "i32": K_I32,
              "blocktype": K_BLOCK, "i64": K_I64, "f32": K_F32, "f64": K_F64,
              "br_table": K_BR_TABLE, "call_ind": K_CALL_IND, "mem0": K_MEM0,
              "reftype": K_REFTYPE, "select_t": K_SELECT_T, "try_table": K_TRY_TABLE}

_KINDS = [K_ILLEGAL] * 256
for _op, _kind in IMMEDIATES.items():
    if _op < 256:
        _KINDS[_op] = _KIND_CODE[_kind]
_KINDS[0x0B] = K_END
_KINDS[0x05] = K_ELSE
_KINDS[0xFC] = K_PREFIX
_KINDS[0xFE] = K_ATOMIC
for _op in _UNSUPPORTED_OPS:
    _KINDS[_op] = K_UNSUPPORTED
del _op, _kind

_VALTYPE_BYTES = frozenset(VALTYPE_NAMES) - {V128}
_BLOCKTYPES = frozenset(BLOCK_VALTYPE) - {-5} | {BLOCK_EMPTY}
# blocktypes (one-byte s33) of the unsupported value types
_UNSUPPORTED_BLOCKTYPES = {b - 0x80: name for b, name in _UNSUPPORTED_TYPES.items()}


def _bad_valtype(b, pos, message="malformed value type"):
    """The error for a byte that is not a value type this engine reads."""
    feature = _UNSUPPORTED_TYPES.get(b)
    if feature is not None:
        return UnsupportedFeature(feature, pos)
    return MalformedError(message, pos)


def _decode_expr(data, pos):
    """Decode instructions from pos through the `end` that closes the expression.

    Returns (instructions, new_pos, uses_data) where uses_data tells whether memory.init or
    data.drop occurs (they need a data count section). `ctrl` tracks open blocks only to know
    where an `else` is allowed: 0 block/loop, 1 if, 2 if whose else was seen.
    """
    body = []
    append = body.append
    kinds = _KINDS
    ctrl = []
    uses_data = False
    while True:
        start = pos
        op = data[pos]
        pos += 1
        k = kinds[op]
        if k == K_IDX:
            b = data[pos]
            if b < 0x80:
                pos += 1
                append((op, b, start))
            else:
                v, pos = _u32(data, pos)
                append((op, v, start))
        elif k == K_NONE:
            append((op, None, start))
        elif k == K_MEMARG:
            b = data[pos]
            if b < 0x80:
                align = b
                pos += 1
            else:
                align, pos = _u32(data, pos)
            if align >= 32:
                if align & 0x40:  # a memory index follows
                    raise UnsupportedFeature("multi-memory", start + 1)
                raise MalformedError("malformed memop flags", start + 1)
            b = data[pos]
            if b < 0x80:
                pos += 1
                append((op, (align, b), start))
            else:
                off, pos = _u32(data, pos)
                append((op, (align, off), start))
        elif k == K_I32:
            b = data[pos]
            if b < 0x40:
                pos += 1
                append((op, b, start))
            else:
                v, pos = _s32(data, pos)
                append((op, v & MASK32, start))
        elif k == K_BLOCK:
            b = data[pos]
            if b < 0x80:
                pos += 1
                v = b - 0x80 if b & 0x40 else b
                if v < 0 and v not in _BLOCKTYPES:
                    raise _bad_valtype(b, start + 1)
            else:  # a type index; value types are single bytes, so negative is malformed
                v, pos = _s33(data, pos)
                if v < 0:
                    raise MalformedError("malformed block type", start + 1)
            ctrl.append(1 if op == 0x04 else 0)
            append((op, v, start))
        elif k == K_END:
            append((op, None, start))
            if not ctrl:
                return body, pos, uses_data
            ctrl.pop()
        elif k == K_ELSE:
            if not ctrl or ctrl[-1] != 1:
                raise MalformedError("END opcode expected", start)
            ctrl[-1] = 2
            append((op, None, start))
        elif k == K_I64:
            v, pos = _s64(data, pos)
            append((op, v & MASK64, start))
        elif k == K_F32:
            end = pos + 4
            if end > len(data):
                raise IndexError
            append((op, f32_from_bits(int.from_bytes(data[pos:end], "little")), start))
            pos = end
        elif k == K_F64:
            end = pos + 8
            if end > len(data):
                raise IndexError
            append((op, f64_from_bits(int.from_bytes(data[pos:end], "little")), start))
            pos = end
        elif k == K_BR_TABLE:
            n, pos = _u32(data, pos)
            labels = []
            for _ in range(n):
                v, pos = _u32(data, pos)
                labels.append(v)
            v, pos = _u32(data, pos)
            append((op, (tuple(labels), v), start))
        elif k == K_CALL_IND:
            t, pos = _u32(data, pos)
            v, pos = _u32(data, pos)
            append((op, (t, v), start))
        elif k == K_MEM0:
            if data[pos] != 0:
                raise UnsupportedFeature("multi-memory", pos)  # a memory index
            pos += 1
            append((op, None, start))
        elif k == K_REFTYPE:
            b = data[pos]
            if b not in REF_TYPES:
                if b < 0x40 or b in _UNSUPPORTED_TYPES:  # a type index, or a GC heap type
                    raise UnsupportedFeature(_UNSUPPORTED_TYPES.get(b, "function-references"),
                                             pos)
                raise MalformedError("malformed reference type", pos)
            pos += 1
            append((op, b, start))
        elif k == K_SELECT_T:
            n, pos = _u32(data, pos)
            types = []
            for _ in range(n):
                b = data[pos]
                if b not in _VALTYPE_BYTES:
                    raise _bad_valtype(b, pos)
                pos += 1
                types.append(b)
            append((op, tuple(types), start))
        elif k == K_TRY_TABLE:
            b = data[pos]
            if b < 0x80:
                pos += 1
                v = b - 0x80 if b & 0x40 else b
                if v < 0 and v not in _BLOCKTYPES:
                    raise _bad_valtype(b, start + 1)
            else:
                v, pos = _s33(data, pos)
                if v < 0:
                    raise MalformedError("malformed block type", start + 1)
            n, pos = _u32(data, pos)
            catches = []
            for _ in range(n):
                at = pos
                kind = data[pos]
                pos += 1
                if kind > 3:
                    raise MalformedError("malformed catch clause", at)
                tag = None
                if kind < 2:
                    tag, pos = _u32(data, pos)
                label, pos = _u32(data, pos)
                catches.append((kind, tag, label))
            ctrl.append(0)
            append((op, (v, tuple(catches)), start))
        elif k == K_UNSUPPORTED:
            raise UnsupportedFeature(_UNSUPPORTED_OPS[op], start)
        elif k == K_ATOMIC:  # threads: 0xFE prefix, a memarg (atomic.fence: a zero byte)
            sub, pos = _u32(data, pos)
            op = 0xFE00 + sub
            kind = IMMEDIATES.get(op) if sub < 0x100 else None
            if kind == "memarg":
                align, pos = _u32(data, pos)
                if align >= 32:
                    if align & 0x40:
                        raise UnsupportedFeature("multi-memory", start + 1)
                    raise MalformedError("malformed memop flags", start + 1)
                off, pos = _u32(data, pos)
                append((op, (align, off), start))
            elif kind == "fence":
                if data[pos] != 0:
                    raise MalformedError("zero byte expected", pos)
                pos += 1
                append((op, None, start))
            else:
                raise MalformedError("illegal opcode 0xfe %d" % sub, start)
        elif k == K_PREFIX:
            sub, pos = _u32(data, pos)
            op = 0xFC00 + sub
            kind = IMMEDIATES.get(op) if sub < 0x100 else None
            if kind == "none":
                append((op, None, start))
            elif kind == "idx":
                v, pos = _u32(data, pos)
                append((op, v, start))
            elif kind == "idx2":
                a, pos = _u32(data, pos)
                v, pos = _u32(data, pos)
                append((op, (a, v), start))
            elif kind == "data_mem0":
                v, pos = _u32(data, pos)
                if data[pos] != 0:
                    raise UnsupportedFeature("multi-memory", pos)
                pos += 1
                uses_data = True
                append((op, v, start))
            elif kind == "mem0":
                if data[pos] != 0:
                    raise UnsupportedFeature("multi-memory", pos)
                pos += 1
                append((op, None, start))
            elif kind == "mem00":
                if data[pos] != 0 or data[pos + 1] != 0:
                    raise UnsupportedFeature("multi-memory", pos)
                pos += 2
                append((op, None, start))
            elif sub in _UNSUPPORTED_FC:
                raise UnsupportedFeature(_UNSUPPORTED_FC[sub], start)
            else:
                raise MalformedError("illegal opcode 0xfc %d" % sub, start)
            if op == 0xFC09:
                uses_data = True
        else:
            raise MalformedError("illegal opcode 0x%02x" % op, start)


# ---------------------------------------------------------------------------------------------
# Sections


def _type_byte_error(b, message):
    """Type codes are one-byte signed LEB128 numbers (s7) for the reference interpreter, so a
    continuation bit is an over-long integer rather than an unknown type."""
    return "integer representation too long" if b & 0x80 else message


class _Decoder:
    """Section-level parsing; `self.pos` is the read position in `self.data`."""

    def __init__(self, data, check_bodies=True):
        self.data = data
        self.n = len(data)
        self.pos = 0
        self.check_bodies = check_bodies

    # -- primitives ------------------------------------------------------------------------
    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self):
        b = self.data[self.pos]
        if b < 0x80:
            self.pos += 1
            return b
        v, self.pos = _u32(self.data, self.pos)
        return v

    def len32(self):
        """A u32 byte length (section, body, name): it cannot exceed the bytes left in the file.
        Vector counts are plain u32 (see vec)."""
        at = self.pos
        v = self.u32()
        if v > self.n - self.pos:
            raise MalformedError("length out of bounds", at)
        return v

    def take(self, count):
        end = self.pos + count
        if end > self.n:
            raise IndexError
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def name(self):
        at = self.pos
        raw = self.take(self.len32())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedError("malformed UTF-8 encoding", at) from None

    def valtype(self):
        b = self.data[self.pos]
        if b not in _VALTYPE_BYTES:
            raise _bad_valtype(b, self.pos, _type_byte_error(b, "malformed value type"))
        self.pos += 1
        return b

    def reftype(self):
        b = self.data[self.pos]
        if b not in REF_TYPES:
            raise _bad_valtype(b, self.pos, _type_byte_error(b, "malformed reference type"))
        self.pos += 1
        return b

    def limits(self, memory=False):
        """Table (or, with `memory`, memory) limits. Flags above 1 are later proposals'
        (shared memory 2-3, 64-bit indices 4-7, custom page sizes 8-15 for memories)."""
        at = self.pos
        flags = self.byte()
        if flags > 1:
            if memory and flags in (2, 3):
                raise UnsupportedFeature("threads (shared memory)", at)
            if 4 <= flags <= 7:
                raise UnsupportedFeature("memory64", at)
            if memory and 8 <= flags <= 15:
                raise UnsupportedFeature("custom-page-sizes", at)
            # otherwise the flags are a 1-bit LEB128 number for the reference interpreter
            raise MalformedError("integer too large" if flags & 0x7F > 1
                                 else "integer representation too long", at)
        lo = self.u32()
        return Limits(lo, self.u32() if flags else None)

    def tabletype(self):
        if self.data[self.pos] == 0x40:  # a table with an initializer expression
            raise UnsupportedFeature("function-references", self.pos)
        rt = self.reftype()
        return TableType(rt, self.limits())

    def globaltype(self):
        vt = self.valtype()
        at = self.pos
        mut = self.byte()
        if mut > 1:
            raise MalformedError("malformed mutability", at)
        return GlobalType(vt, mut == 1)

    def expr(self):
        body, self.pos, _ = _decode_expr(self.data, self.pos)
        return body

    def vec(self, item):
        # Counts are plain u32 (as in the reference interpreter): a count larger than what
        # follows runs off the end ("unexpected end"); the list never outgrows the input.
        return [item() for _ in range(self.u32())]

    # -- the module ------------------------------------------------------------------------
    def module(self):
        data, n = self.data, self.n
        if n < 4:
            raise MalformedError("unexpected end", n)
        if data[:4] != b"\0asm":
            raise MalformedError("magic header not detected", 0)
        if n < 8:
            raise MalformedError("unexpected end", n)
        if data[4:8] != b"\1\0\0\0":
            raise MalformedError("unknown binary version", 4)
        self.pos = 8
        m = Module(raw=data)
        func_types = []        # from the function section
        codes = []             # (locals, first instruction's offset, offset) from code
        uses_data_at = None    # offset of the first memory.init / data.drop
        last_rank = 0
        while self.pos < n:
            at = self.pos
            sid = data[at]
            if sid > 13:
                raise MalformedError("malformed section id", at)
            if sid:
                rank = _RANK[sid]
                if rank <= last_rank:
                    raise MalformedError("unexpected content after last section", at)
                last_rank = rank
            self.pos += 1
            size = self.len32()
            end = self.pos + size
            if sid == 0:
                self.custom(m, end)
            elif sid == 1:
                m.types = self.vec(self.functype)
            elif sid == 2:
                m.imports = self.vec(self.import_)
            elif sid == 3:
                func_types = self.vec(self.u32)
            elif sid == 4:
                m.tables = self.vec(self.tabletype)
            elif sid == 5:
                m.mems = self.vec(lambda: MemType(self.limits(memory=True)))
            elif sid == 13:
                m.tags = self.vec(self.tag)
            elif sid == 6:
                m.globals = self.vec(lambda: Global(self.globaltype(), self.expr()))
            elif sid == 7:
                m.exports = self.vec(self.export)
            elif sid == 8:
                m.start = self.u32()
            elif sid == 9:
                m.elems = self.vec(self.elem)
            elif sid == 12:
                m.datacount = self.u32()
            elif sid == 10:
                for _ in range(self.u32()):
                    code, used = self.code()
                    codes.append(code)
                    if used and uses_data_at is None:
                        uses_data_at = code[2]
            else:
                m.datas = self.vec(self.data_segment)
            if self.pos != end:
                raise MalformedError("section size mismatch", at)
        if len(func_types) != len(codes):
            raise MalformedError("function and code section have inconsistent lengths", n)
        if m.datacount is not None and m.datacount != len(m.datas):
            raise MalformedError("data count and data section have inconsistent lengths", n)
        if m.datacount is None and uses_data_at is not None:
            raise MalformedError("data count section required", uses_data_at)
        m.funcs = [Func(t, locs, None, off, partial(decode_body, data, at), at, end)
                   for t, (locs, at, off, end) in zip(func_types, codes)]
        return m

    def custom(self, m, end):
        name = self.name()
        if self.pos > end:
            raise MalformedError("unexpected end of section or function", end)
        payload = self.data[self.pos:end]
        self.pos = end
        m.customs.append((name, payload))
        if name == "name":
            try:
                m.func_names = _function_names(payload)
            except (MalformedError, IndexError):
                pass  # a broken name section is debug info only: ignore it

    def functype(self):
        at = self.pos
        b = self.byte()
        if b != 0x60:
            if b in _UNSUPPORTED_FORMS:
                raise UnsupportedFeature(_UNSUPPORTED_FORMS[b], at)
            raise MalformedError(_type_byte_error(b, "malformed function type"), at)
        params = tuple(self.vec(self.valtype))
        return FuncType(params, tuple(self.vec(self.valtype)))

    def tag(self):
        """A tag type: attribute 0 (exception), then the index of its function type."""
        at = self.pos
        if self.byte() != 0:
            raise MalformedError("malformed tag attribute", at)
        return self.u32()

    def import_(self):
        modname = self.name()
        name = self.name()
        at = self.pos
        kind = self.byte()
        if kind == 0:
            desc = self.u32()
        elif kind == 4:
            desc = self.tag()
        elif kind == 1:
            desc = self.tabletype()
        elif kind == 2:
            desc = MemType(self.limits(memory=True))
        elif kind == 3:
            desc = self.globaltype()
        else:
            raise MalformedError("malformed import kind", at)
        return Import(modname, name, _EXTERN_KINDS[kind], desc)

    def export(self):
        name = self.name()
        at = self.pos
        kind = self.byte()
        if kind > 4:
            raise MalformedError("malformed export kind", at)
        return Export(name, _EXTERN_KINDS[kind], self.u32())

    def funcidx_exprs(self):
        """A vector of function indices, each as the expression [ref.func i, end]."""
        out = []
        for _ in range(self.u32()):
            at = self.pos
            out.append([(0xD2, self.u32(), at), (0x0B, None, at)])
        return out

    def elemkind(self):
        at = self.pos
        if self.byte() != 0x00:
            raise MalformedError("malformed element kind", at)
        return FUNCREF

    def elem(self):
        at = self.pos
        flags = self.u32()
        if flags > 7:
            raise MalformedError("malformed elements segment kind", at)
        # bit 0: passive/declarative (else active); bit 1: explicit table index (active) or
        # declarative (non-active); bit 2: expressions instead of function indices.
        table, offset = 0, None
        if flags & 1 == 0:
            mode = "active"
            if flags & 2:
                table = self.u32()
            offset = self.expr()
        else:
            mode = "declarative" if flags & 2 else "passive"
        if flags & 4:
            reftype = self.reftype() if flags & 3 else FUNCREF
            init = self.vec(self.expr)
        else:
            reftype = self.elemkind() if flags & 3 else FUNCREF
            init = self.funcidx_exprs()
        return Elem(reftype, init, mode, table, offset)

    def data_segment(self):
        at = self.pos
        flags = self.u32()
        if flags == 0:
            offset = self.expr()
            return Data(self.take(self.u32()), "active", 0, offset)
        if flags == 1:
            return Data(self.take(self.u32()), "passive")
        if flags == 2:
            mem = self.u32()
            offset = self.expr()
            return Data(self.take(self.u32()), "active", mem, offset)
        raise MalformedError("malformed data segment kind", at)

    def code(self):
        """One code entry -> ((locals, first instruction's offset, offset, end), uses_data)."""
        size = self.len32()
        start = self.pos
        groups = []
        total = 0
        for _ in range(self.u32()):
            count = self.u32()
            groups.append((count, self.valtype()))
            total += count
        if total > MASK32:
            raise MalformedError("too many locals", self.pos)
        if total > MAX_LOCALS:
            raise MalformedError("too many locals: %d declared, this implementation supports at"
                                 " most %d" % (total, MAX_LOCALS), start)
        locs = []
        for count, t in groups:
            locs.extend([t] * count)
        at = self.pos
        if not self.check_bodies:   # left to the caller (validate_stream reads the bytes)
            self.pos = start + size
            return (locs, at, start, self.pos), False
        # checked now (malformed is a decode error), kept as bytes: module.Func decodes again
        _, self.pos, uses_data = _decode_expr(self.data, at)
        if self.pos != start + size:
            raise MalformedError("section size mismatch", start)
        return (locs, at, start, self.pos), uses_data


def _function_names(payload):
    """Function names (subsection 1) of a `name` custom section payload."""
    d = _Decoder(payload)
    names = {}
    while d.pos < d.n:
        sub = d.byte()
        size = d.len32()
        end = d.pos + size
        if sub == 1:
            for _ in range(d.len32()):
                idx = d.u32()
                names[idx] = d.name()
            if d.pos != end:
                raise MalformedError("section size mismatch", d.pos)
        d.pos = end
    return names


def decode_body(data, at):
    """The instructions of a function body whose first instruction is at ``data[at]`` (a body
    decode_module has already checked)."""
    return _decode_expr(data, at)[0]


def decode_module(data, check_bodies=True):
    """Decode a binary module. Raises MalformedError for bytes that are not a Wasm 2.0 module.

    ``check_bodies`` false skips the function bodies' instructions (each Func keeps where its
    instructions start): for a caller that checks them itself in one pass with validation
    (validate_stream), and that must call again with the default for the reference error."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    elif not isinstance(data, bytes):
        raise TypeError("decode_module expects bytes, not %s" % type(data).__name__)
    try:
        return _Decoder(data, check_bodies).module()
    except IndexError:
        raise MalformedError("unexpected end of section or function", len(data)) from None
