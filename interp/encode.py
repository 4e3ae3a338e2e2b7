"""The encode stage: interp.module.Module -> binary bytes, the inverse of decode (Wasm 2.0 plus
what decode reads beyond it: exception handling's tags and try_table, tail calls, atomics).

``decode_module(encode_module(m))`` gives back ``m``'s structures (types, imports, functions
with their locals and instructions, tables, memories, globals, exports, start, element and data
segments, the data count, custom sections); only byte offsets differ, and the bytes themselves
may differ from the file ``m`` came from (LEB128 lengths are written minimally, locals are
grouped by runs, custom sections are all placed after the last section).

Used by the instrumenter (interp/instrument.py), which rewrites a decoded module for the native
side. Instructions may carry any offset (or None): offsets are not encoded.

Element segments are written in the most compact form that decodes to the same segment: a
function-index vector when every item is a plain ``ref.func`` of a funcref segment, else
expressions. One function, ``encode_code_entry``, writes a function body (locals and
instructions), so that a body kept undecoded as bytes can be copied through in one place.
"""
import struct

from .opcodes import FUNCREF, IMMEDIATES, REF_FUNC, END
from .values import f32_to_bits, f64_to_bits

_EXTERN_KIND = {"func": 0, "table": 1, "memory": 2, "global": 3, "tag": 4}
_F32 = struct.Struct("<I").pack
_F64 = struct.Struct("<Q").pack


def uleb(n):
    """Unsigned LEB128 (minimal length)."""
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n):
    """Signed LEB128 (minimal length) of a Python int."""
    if -64 <= n < 64:
        return bytes((n & 0x7F,))
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _name(s):
    b = s.encode("utf-8")
    return uleb(len(b)) + b


def _vec(items, enc):
    return uleb(len(items)) + b"".join(enc(x) for x in items)


def _limits(lim):
    if lim.max is None:
        return b"\x00" + uleb(lim.min)
    return b"\x01" + uleb(lim.min) + uleb(lim.max)


def _functype(ft):
    return b"\x60" + uleb(len(ft.params)) + bytes(ft.params) + uleb(len(ft.results)) \
        + bytes(ft.results)


def _tabletype(tt):
    return bytes((tt.reftype,)) + _limits(tt.limits)


def _globaltype(gt):
    return bytes((gt.valtype, 1 if gt.mutable else 0))


# ---------------------------------------------------------------------------- instructions

# immediate kind -> small code for the encoder's if-chain (most frequent first)
(_K_NONE, _K_IDX, _K_MEMARG, _K_I32, _K_BLOCK, _K_I64, _K_F32, _K_F64, _K_BR_TABLE,
 _K_CALL_IND, _K_MEM0, _K_REFTYPE, _K_SELECT_T, _K_DATA_MEM0, _K_MEM00, _K_IDX2, _K_FENCE,
 _K_TRY_TABLE) = range(18)
_KIND = {"none": _K_NONE, "idx": _K_IDX, "memarg": _K_MEMARG, "i32": _K_I32,
         "blocktype": _K_BLOCK, "i64": _K_I64, "f32": _K_F32, "f64": _K_F64,
         "br_table": _K_BR_TABLE, "call_ind": _K_CALL_IND, "mem0": _K_MEM0,
         "reftype": _K_REFTYPE, "select_t": _K_SELECT_T, "data_mem0": _K_DATA_MEM0,
         "mem00": _K_MEM00, "idx2": _K_IDX2, "fence": _K_FENCE, "try_table": _K_TRY_TABLE}


def _opcode_bytes(op):
    if op < 0x100:
        return bytes((op,))
    return bytes((op >> 8,)) + uleb(op & 0xFF)   # 0xFC / 0xFE prefix, then the sub-opcode


_OPS = {}   # opcode -> (kind code, opcode bytes)
for _op, _kind in IMMEDIATES.items():
    _OPS[_op] = (_KIND[_kind], _opcode_bytes(_op))
del _op, _kind


def encode_expr(instrs):
    """The bytes of an instruction list (an expression ends with its own ``end``)."""
    out = bytearray()
    put = out.extend
    ops = _OPS
    for op, imm, _off in instrs:
        kind, code = ops[op]
        put(code)
        if kind == _K_NONE:
            continue
        if kind == _K_IDX:
            if imm < 0x80:
                out.append(imm)
            else:
                put(uleb(imm))
        elif kind == _K_MEMARG:
            put(uleb(imm[0]))
            put(uleb(imm[1]))
        elif kind == _K_I32:
            put(sleb(imm - 0x100000000 if imm & 0x80000000 else imm))
        elif kind == _K_BLOCK:
            put(sleb(imm))
        elif kind == _K_I64:
            put(sleb(imm - (1 << 64) if imm >> 63 else imm))
        elif kind == _K_F32:
            put(_F32(f32_to_bits(imm)))
        elif kind == _K_F64:
            put(_F64(f64_to_bits(imm)))
        elif kind == _K_BR_TABLE:
            labels, default = imm
            put(uleb(len(labels)))
            for d in labels:
                put(uleb(d))
            put(uleb(default))
        elif kind == _K_CALL_IND:
            put(uleb(imm[0]))
            put(uleb(imm[1]))
        elif kind == _K_MEM0:
            out.append(0)
        elif kind == _K_REFTYPE:
            out.append(imm)
        elif kind == _K_SELECT_T:
            put(uleb(len(imm)))
            put(bytes(imm))
        elif kind == _K_DATA_MEM0:
            put(uleb(imm))
            out.append(0)
        elif kind == _K_MEM00:
            put(b"\x00\x00")
        elif kind == _K_FENCE:
            out.append(0)
        elif kind == _K_TRY_TABLE:
            blocktype, catches = imm
            put(sleb(blocktype))
            put(uleb(len(catches)))
            for ckind, tag, label in catches:
                out.append(ckind)
                if tag is not None:
                    put(uleb(tag))
                put(uleb(label))
        else:  # _K_IDX2
            put(uleb(imm[0]))
            put(uleb(imm[1]))
    return bytes(out)


def _local_groups(types):
    """Run-length groups (count, valtype) of a list of local types."""
    groups = []
    for t in types:
        if groups and groups[-1][1] == t:
            groups[-1][0] += 1
        else:
            groups.append([1, t])
    return groups


def encode_code_entry(func):
    """One code-section entry: size, local declarations, body. (The one place a function body
    is written: a body kept as undecoded bytes would be copied through here.)"""
    groups = _local_groups(func.locals)
    body = (uleb(len(groups)) + b"".join(uleb(n) + bytes((t,)) for n, t in groups)
            + encode_expr(func.instrs()))
    return uleb(len(body)) + body


# ------------------------------------------------------------------------------- sections

def _import(imp):
    head = _name(imp.module) + _name(imp.name) + bytes((_EXTERN_KIND[imp.kind],))
    if imp.kind == "func":
        return head + uleb(imp.desc)
    if imp.kind == "tag":
        return head + b"\x00" + uleb(imp.desc)
    if imp.kind == "table":
        return head + _tabletype(imp.desc)
    if imp.kind == "memory":
        return head + _limits(imp.desc.limits)
    return head + _globaltype(imp.desc)


def _export(ex):
    return _name(ex.name) + bytes((_EXTERN_KIND[ex.kind],)) + uleb(ex.index)


def _plain_funcidx(expr):
    """The function index of an expression that is exactly ``ref.func i; end``, else None."""
    if len(expr) == 2 and expr[0][0] == REF_FUNC and expr[1][0] == END:
        return expr[0][1]
    return None


def _elem(seg):
    indices = None
    if seg.reftype == FUNCREF:
        indices = [_plain_funcidx(e) for e in seg.init]
        if any(i is None for i in indices):
            indices = None
    # flags: bit 0 passive/declarative, bit 1 explicit table (active) or declarative,
    # bit 2 expressions
    if seg.mode == "active":
        explicit = seg.table != 0 or (indices is None and seg.reftype != FUNCREF)
        flags = (2 if explicit else 0) | (0 if indices is not None else 4)
        out = uleb(flags)
        if explicit:
            out += uleb(seg.table)
        out += encode_expr(seg.offset)
        if explicit:  # the element kind / reference type is written only with a table index
            out += b"\x00" if indices is not None else bytes((seg.reftype,))
    else:
        flags = (1 if seg.mode == "passive" else 3) | (0 if indices is not None else 4)
        out = uleb(flags) + (b"\x00" if indices is not None else bytes((seg.reftype,)))
    if indices is not None:
        return out + _vec(indices, uleb)
    return out + _vec(seg.init, encode_expr)


def _data(seg):
    if seg.mode == "passive":
        head = b"\x01"
    elif seg.memory == 0:
        head = b"\x00" + encode_expr(seg.offset)
    else:
        head = b"\x02" + uleb(seg.memory) + encode_expr(seg.offset)
    return head + uleb(len(seg.init)) + bytes(seg.init)


def _section(sid, payload):
    return bytes((sid,)) + uleb(len(payload)) + payload


def encode_module(module):
    """The binary encoding of ``module`` (see the module docstring)."""
    m = module
    out = [b"\0asm\1\0\0\0"]
    if m.types:
        out.append(_section(1, _vec(m.types, _functype)))
    if m.imports:
        out.append(_section(2, _vec(m.imports, _import)))
    if m.funcs:
        out.append(_section(3, _vec(m.funcs, lambda f: uleb(f.type_idx))))
    if m.tables:
        out.append(_section(4, _vec(m.tables, _tabletype)))
    if m.mems:
        out.append(_section(5, _vec(m.mems, lambda mt: _limits(mt.limits))))
    if m.tags:
        out.append(_section(13, _vec(m.tags, lambda t: b"\x00" + uleb(t))))
    if m.globals:
        out.append(_section(6, _vec(m.globals, lambda g: _globaltype(g.type)
                                    + encode_expr(g.init))))
    if m.exports:
        out.append(_section(7, _vec(m.exports, _export)))
    if m.start is not None:
        out.append(_section(8, uleb(m.start)))
    if m.elems:
        out.append(_section(9, _vec(m.elems, _elem)))
    if m.datacount is not None:
        out.append(_section(12, uleb(m.datacount)))
    if m.funcs:
        out.append(_section(10, _vec(m.funcs, encode_code_entry)))
    if m.datas:
        out.append(_section(11, _vec(m.datas, _data)))
    for name, payload in m.customs:
        out.append(_section(0, _name(name) + bytes(payload)))
    return b"".join(out)


def name_section(func_names):
    """The payload of a ``name`` custom section holding function names only
    (``{function index: name}``)."""
    entries = sorted(func_names.items())
    sub = _vec(entries, lambda e: uleb(e[0]) + _name(e[1]))
    return b"\x01" + uleb(len(sub)) + sub
