"""Tests of interp/decode.py: hand-built binaries, wat2wasm-built modules, the spec suite."""
import json
import math
import os
import shutil
import struct
import time

import pytest

from tests import support

from interp import opcodes as op
from interp.decode import decode_module, _u32, _s32, _s33, _s64, MAX_LOCALS
from interp.errors import MalformedError, UnsupportedFeature
from interp.module import FuncType, GlobalType, Limits, MemType, TableType
from interp.values import f32_to_bits, f64_to_bits

HEADER = b"\0asm\1\0\0\0"
SUITE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "shared", "wasm-testsuite")
HAVE_WABT = shutil.which("wat2wasm") is not None and shutil.which("wast2json") is not None


# ---------------------------------------------------------------------------------------------
# byte-building helpers

def uleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if (v == 0 and not b & 0x40) or (v == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def vec(items):
    return uleb(len(items)) + b"".join(items)


def name(s):
    raw = s.encode()
    return uleb(len(raw)) + raw


def section(sid, payload):
    return bytes([sid]) + uleb(len(payload)) + payload


def module(*sections):
    return HEADER + b"".join(sections)


TYPE_V_V = section(1, b"\x01\x60\x00\x00")
FUNC_1 = section(3, b"\x01\x00")
MEM_1 = section(5, b"\x01\x00\x01")


def code(*bodies, locals_=b"\x00"):
    entries = []
    for body in bodies:
        entry = locals_ + body
        entries.append(uleb(len(entry)) + entry)
    return section(10, vec(entries))


def func_module(body, *extra, locals_=b"\x00"):
    """One `func()` with the given body bytes (which must include the final end)."""
    return module(TYPE_V_V, FUNC_1, *extra, code(body, locals_=locals_))


def body_of(data):
    return decode_module(data).funcs[0].body


def ops(body):
    return [(o, imm) for o, imm, _ in body]


def malformed(data):
    with pytest.raises(MalformedError) as info:
        decode_module(data)
    return info.value.message


def wat(tmp_path, text, *flags):
    return support.wat2wasm(text, tmp_path / "m.wasm", *flags).read_bytes()

needs_wabt = pytest.mark.skipif(not HAVE_WABT, reason="wabt (wat2wasm, wast2json) not on PATH")


# ---------------------------------------------------------------------------------------------
# LEB128

@pytest.mark.parametrize("v", [0, 1, 63, 64, 127, 128, 300, 2**31, 2**32 - 1])
def test_u32_roundtrip(v):
    enc = uleb(v)
    assert _u32(enc + b"\xAA", 0) == (v, len(enc))


def test_u32_padded_and_limits():
    assert _u32(b"\x80\x80\x80\x80\x00", 0) == (0, 5)          # 5-byte zero is fine
    assert _u32(b"\xff\xff\xff\xff\x0f", 0) == (2**32 - 1, 5)
    with pytest.raises(MalformedError, match="integer too large"):
        _u32(b"\xff\xff\xff\xff\x1f", 0)
    with pytest.raises(MalformedError, match="integer too large"):
        _u32(b"\x80\x80\x80\x80\x10", 0)
    with pytest.raises(MalformedError, match="integer representation too long"):
        _u32(b"\x80\x80\x80\x80\x80\x00", 0)


@pytest.mark.parametrize("v", [0, 1, -1, 63, -64, 64, -65, 2**31 - 1, -2**31, 12345, -12345])
def test_s32_roundtrip(v):
    enc = sleb(v)
    assert _s32(enc, 0) == (v, len(enc))


def test_s32_limits():
    assert _s32(b"\xff\xff\xff\xff\x07", 0) == (2**31 - 1, 5)
    assert _s32(b"\x80\x80\x80\x80\x78", 0) == (-2**31, 5)
    assert _s32(b"\xff\xff\xff\xff\x7f", 0) == (-1, 5)           # padded -1
    for bad in (b"\xff\xff\xff\xff\x0f", b"\x80\x80\x80\x80\x70", b"\x80\x80\x80\x80\x08"):
        with pytest.raises(MalformedError, match="integer too large"):
            _s32(bad, 0)
    with pytest.raises(MalformedError, match="integer representation too long"):
        _s32(b"\xff\xff\xff\xff\xff\x7f", 0)


def test_s33_and_s64_limits():
    assert _s33(b"\xff\xff\xff\xff\x0f", 0) == (2**32 - 1, 5)
    assert _s33(b"\x80\x80\x80\x80\x70", 0) == (-2**32, 5)
    with pytest.raises(MalformedError, match="integer too large"):
        _s33(b"\xff\xff\xff\xff\x1f", 0)
    assert _s64(sleb(-2**63), 0) == (-2**63, 10)
    assert _s64(sleb(2**63 - 1), 0) == (2**63 - 1, 10)
    assert _s64(b"\xff" * 9 + b"\x7f", 0) == (-1, 10)
    with pytest.raises(MalformedError, match="integer too large"):
        _s64(b"\xff" * 9 + b"\x01", 0)  # bit 63 set but bits above not sign-extended
    with pytest.raises(MalformedError, match="integer representation too long"):
        _s64(b"\x80" * 10 + b"\x00", 0)


def test_truncated_leb_is_unexpected_end():
    assert malformed(func_module(b"\x41\x80\x80")).startswith("unexpected end")


# ---------------------------------------------------------------------------------------------
# instructions

def test_every_immediate_kind():
    body = (b"\x02\x40" b"\x03\x7f" b"\x04\x05" b"\x05" b"\x0b" b"\x0b" b"\x0b"  # blocks
            b"\x0e\x02\x00\x01\x02"                     # br_table [0 1] 2
            b"\x11\x03\x01"                             # call_indirect type 3 table 1
            b"\x20\x81\x01"                             # local.get 129
            b"\x28\x02\x80\x01"                         # i32.load align=2 offset=128
            b"\x41\x7f"                                 # i32.const -1
            b"\x42" + sleb(-2) +                        # i64.const -2
            b"\x43" + struct.pack("<f", 1.5) +
            b"\x44" + struct.pack("<d", -0.25) +
            b"\x3f\x00\x40\x00"                         # memory.size, memory.grow
            b"\xd0\x6f\xd0\x70\xd2\x07"                 # ref.null extern/func, ref.func 7
            b"\x1c\x01\x7e"                             # select (result i64)
            b"\xfc\x00"                                 # i32.trunc_sat_f32_s
            b"\xfc\x08\x02\x00\xfc\x09\x03"             # memory.init 2, data.drop 3
            b"\xfc\x0a\x00\x00\xfc\x0b\x00"             # memory.copy, memory.fill
            b"\xfc\x0c\x04\x05\xfc\x0e\x06\x07"         # table.init 4 5, table.copy 6 7
            b"\xfc\x0f\x01\xfc\x10\x02\xfc\x11\x03"     # table.grow/size/fill
            b"\x0b")
    m = decode_module(func_module(body, MEM_1, section(12, b"\x00")))
    assert ops(m.funcs[0].body) == [
        (op.BLOCK, -64), (op.LOOP, -1), (op.IF, 5), (op.ELSE, None), (op.END, None),
        (op.END, None), (op.END, None),
        (op.BR_TABLE, ((0, 1), 2)), (op.CALL_INDIRECT, (3, 1)), (op.LOCAL_GET, 129),
        (op.I32_LOAD, (2, 128)), (op.I32_CONST, 0xFFFFFFFF), (op.I64_CONST, 2**64 - 2),
        (op.F32_CONST, 1.5), (op.F64_CONST, -0.25), (op.MEMORY_SIZE, None),
        (op.MEMORY_GROW, None), (op.REF_NULL, op.EXTERNREF), (op.REF_NULL, op.FUNCREF),
        (op.REF_FUNC, 7), (op.SELECT_T, (op.I64,)), (0xFC00, None), (0xFC08, 2),
        (0xFC09, 3), (0xFC0A, None), (0xFC0B, None), (0xFC0C, (4, 5)), (0xFC0E, (6, 7)),
        (0xFC0F, 1), (0xFC10, 2), (0xFC11, 3), (op.END, None)]


def test_offsets_are_absolute_opcode_positions():
    data = func_module(b"\x41\x80\x01\x1a\x0b")
    body = body_of(data)
    start = data.index(b"\x41\x80\x01")
    assert [off for _, _, off in body] == [start, start + 3, start + 4]
    assert decode_module(data).funcs[0].offset == start - 1  # at the locals vector


def test_float_constants_keep_bits():
    snan32 = 0x7FA00001
    snan64 = 0xFFF0000000000123
    body = (b"\x43" + struct.pack("<I", snan32) + b"\x1a"
            + b"\x44" + struct.pack("<Q", snan64) + b"\x1a\x0b")
    (_, f, _), _, (_, d, _), _, _ = body_of(func_module(body))
    assert math.isnan(f) and f32_to_bits(f) == snan32
    assert math.isnan(d) and f64_to_bits(d) == snan64


def test_consts_stored_unsigned():
    body = b"\x41" + sleb(-2**31) + b"\x1a\x42" + sleb(-1) + b"\x1a\x41" + sleb(2**31 - 1) + b"\x1a\x0b"
    imms = [imm for o, imm, _ in body_of(func_module(body)) if o in (op.I32_CONST, op.I64_CONST)]
    assert imms == [2**31, 2**64 - 1, 2**31 - 1]


def test_locals_expanded():
    locs = b"\x04\x02\x7f\x00\x7e\x01\x6f\x01\x7c"
    f = decode_module(func_module(b"\x0b", locals_=locs)).funcs[0]
    assert f.locals == [op.I32, op.I32, op.EXTERNREF, op.F64]


def test_nested_if_else_structure():
    body = b"\x04\x40\x04\x40\x05\x0b\x05\x02\x40\x0b\x0b\x0b"
    assert [o for o, _, _ in body_of(func_module(body))] == [
        op.IF, op.IF, op.ELSE, op.END, op.ELSE, op.BLOCK, op.END, op.END, op.END]


# ---------------------------------------------------------------------------------------------
# sections, via wat2wasm

ALL_SECTIONS_WAT = """
(module
  (type $t (func (param i32 i64) (result f32)))
  (type $v (func))
  (import "env" "f" (func $imp (type $t)))
  (import "env" "tab" (table 2 10 funcref))
  (import "env" "g" (global $g (mut i32)))
  (import "env" "m" (memory 1 2))
  (table $ext 3 externref)
  (global $h i64 (i64.const -2))
  (global $hf (mut f64) (f64.const 0.5))
  (export "a" (func $a))
  (export "mem" (memory 0))
  (export "h" (global $h))
  (export "ext" (table $ext))
  (start $s)
  (elem (i32.const 1) $a $s)
  (elem funcref (ref.func $a) (ref.null func))
  (elem declare func $s)
  (data (i32.const 16) "hi")
  (data "passive")
  (func $a (type $t) (local f64 f64 externref) (f32.const 1.5))
  (func $s (type $v) (data.drop 1))
)
"""


@needs_wabt
def test_all_sections(tmp_path):
    data = wat(tmp_path, ALL_SECTIONS_WAT, "--debug-names")
    m = decode_module(data)
    assert m.raw is data or m.raw == data
    assert m.types == [FuncType((op.I32, op.I64), (op.F32,)), FuncType((), ())]
    assert [(i.module, i.name, i.kind, i.desc) for i in m.imports] == [
        ("env", "f", "func", 0),
        ("env", "tab", "table", TableType(op.FUNCREF, Limits(2, 10))),
        ("env", "g", "global", GlobalType(op.I32, True)),
        ("env", "m", "memory", MemType(Limits(1, 2)))]
    assert m.tables == [TableType(op.EXTERNREF, Limits(3, None))]
    assert m.mems == []
    assert [g.type for g in m.globals] == [GlobalType(op.I64, False), GlobalType(op.F64, True)]
    assert ops(m.globals[0].init) == [(op.I64_CONST, 2**64 - 2), (op.END, None)]
    assert ops(m.globals[1].init) == [(op.F64_CONST, 0.5), (op.END, None)]
    assert [(e.name, e.kind, e.index) for e in m.exports] == [
        ("a", "func", 1), ("mem", "memory", 0), ("h", "global", 1), ("ext", "table", 1)]
    assert m.start == 2
    e0, e1, e2 = m.elems
    assert (e0.mode, e0.table, e0.reftype) == ("active", 0, op.FUNCREF)
    assert ops(e0.offset) == [(op.I32_CONST, 1), (op.END, None)]
    assert [ops(x) for x in e0.init] == [[(op.REF_FUNC, 1), (op.END, None)],
                                         [(op.REF_FUNC, 2), (op.END, None)]]
    assert (e1.mode, e1.reftype) == ("passive", op.FUNCREF)
    assert [ops(x) for x in e1.init] == [[(op.REF_FUNC, 1), (op.END, None)],
                                         [(op.REF_NULL, op.FUNCREF), (op.END, None)]]
    assert (e2.mode, [ops(x) for x in e2.init]) == ("declarative", [[(op.REF_FUNC, 2),
                                                                     (op.END, None)]])
    assert m.datacount == 2
    d0, d1 = m.datas
    assert (d0.init, d0.mode, d0.memory, ops(d0.offset)) == (
        b"hi", "active", 0, [(op.I32_CONST, 16), (op.END, None)])
    assert (d1.init, d1.mode) == (b"passive", "passive")
    fa, fs = m.funcs
    assert fa.type_idx == 0 and fa.locals == [op.F64, op.F64, op.EXTERNREF]
    assert ops(fa.body) == [(op.F32_CONST, 1.5), (op.END, None)]
    assert ops(fs.body) == [(0xFC09, 1), (op.END, None)]
    assert m.func_names == {0: "imp", 1: "a", 2: "s"}
    assert [n for n, _ in m.customs] == ["name"]


@needs_wabt
def test_bytearray_input_and_raw(tmp_path):
    data = wat(tmp_path, "(module (func (export \"x\")))")
    m = decode_module(bytearray(data))
    assert m.raw == data and isinstance(m.raw, bytes)
    assert m.exports[0].name == "x"


def test_non_bytes_input_is_a_clear_error():
    with pytest.raises(TypeError, match="expects bytes"):
        decode_module("\0asm")


# ---------------------------------------------------------------------------------------------
# element and data segment encodings, hand-built

TABLE_1 = section(4, b"\x01\x70\x00\x01")
OFF = b"\x41\x05\x0b"   # (i32.const 5) end
FUNCIDX = b"\x02\x00\x03"  # vec [0, 3]
EXPRS = b"\x02\xd2\x00\x0b\xd0\x6f\x0b"  # [ref.func 0], [ref.null extern]


@pytest.mark.parametrize("flags,payload,mode,table,reftype,inits", [
    (0, OFF + FUNCIDX, "active", 0, op.FUNCREF, "idx"),
    (1, b"\x00" + FUNCIDX, "passive", 0, op.FUNCREF, "idx"),
    (2, b"\x02" + OFF + b"\x00" + FUNCIDX, "active", 2, op.FUNCREF, "idx"),
    (3, b"\x00" + FUNCIDX, "declarative", 0, op.FUNCREF, "idx"),
    (4, OFF + EXPRS, "active", 0, op.FUNCREF, "expr"),
    (5, b"\x6f" + EXPRS, "passive", 0, op.EXTERNREF, "expr"),
    (6, b"\x01" + OFF + b"\x70" + EXPRS, "active", 1, op.FUNCREF, "expr"),
    (7, b"\x70" + EXPRS, "declarative", 0, op.FUNCREF, "expr"),
])
def test_elem_flags(flags, payload, mode, table, reftype, inits):
    m = decode_module(module(section(9, b"\x01" + bytes([flags]) + payload)))
    (e,) = m.elems
    assert (e.mode, e.table, e.reftype) == (mode, table, reftype)
    if mode == "active":
        assert ops(e.offset) == [(op.I32_CONST, 5), (op.END, None)]
    else:
        assert e.offset is None
    if inits == "idx":
        assert [ops(x) for x in e.init] == [[(op.REF_FUNC, 0), (op.END, None)],
                                            [(op.REF_FUNC, 3), (op.END, None)]]
    else:
        assert [ops(x) for x in e.init] == [[(op.REF_FUNC, 0), (op.END, None)],
                                            [(op.REF_NULL, op.EXTERNREF), (op.END, None)]]


def test_elem_flags_as_long_leb():
    m = decode_module(module(TABLE_1, section(9, b"\x01\x82\x00\x80\x00" + OFF + b"\x00\x00")))
    assert (m.elems[0].mode, m.elems[0].table, m.elems[0].init) == ("active", 0, [])


@pytest.mark.parametrize("payload,expect", [
    (b"\x00" + OFF + b"\x03abc", (b"abc", "active", 0, True)),
    (b"\x01\x02xy", (b"xy", "passive", 0, False)),
    (b"\x02\x01" + OFF + b"\x00", (b"", "active", 1, True)),
])
def test_data_flags(payload, expect):
    (d,) = decode_module(module(section(11, b"\x01" + payload))).datas
    assert (d.init, d.mode, d.memory, d.offset is not None) == expect
    if d.offset is not None:
        assert ops(d.offset) == [(op.I32_CONST, 5), (op.END, None)]


# ---------------------------------------------------------------------------------------------
# custom and name sections

def name_section(*subsections):
    return section(0, name("name") + b"".join(subsections))


def test_name_section_function_names():
    fnames = vec([uleb(0) + name("main"), uleb(3) + name("h\u00e9")])
    data = module(name_section(section(0, name("modname")), section(1, fnames),
                               section(2, b"\x00")))
    m = decode_module(data)
    assert m.func_names == {0: "main", 3: "h\u00e9"}


@pytest.mark.parametrize("payload", [
    section(1, b"\x05\x00"),                      # count 5, runs off the end
    section(1, b"\x01\x00\x02\xff\xfe"),          # bad UTF-8 name
    b"\x01\x7f",                                  # subsection size too long
])
def test_broken_name_section_is_ignored(payload):
    m = decode_module(module(section(0, name("name") + payload), TYPE_V_V))
    assert m.func_names == {} and m.customs[0][0] == "name" and len(m.types) == 1


def test_custom_sections_anywhere_and_kept():
    data = module(section(0, name("a") + b"1"), TYPE_V_V, section(0, name("b")), FUNC_1,
                  code(b"\x0b"), section(0, name("") + b"\x00\xff"))
    m = decode_module(data)
    assert m.customs == [("a", b"1"), ("b", b""), ("", b"\x00\xff")]


def test_utf8_names_checked():
    bad = [b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xe0\x80"]
    for raw in bad:
        assert malformed(module(section(0, uleb(len(raw)) + raw))) == "malformed UTF-8 encoding"
        imp = section(2, b"\x01" + uleb(len(raw)) + raw + name("x") + b"\x00\x00")
        assert malformed(module(TYPE_V_V, imp)) == "malformed UTF-8 encoding"
    ok = "\U0001F600\u00e9\u4e2d".encode()
    assert decode_module(module(section(0, uleb(len(ok)) + ok))).customs[0][0] == ok.decode()


# ---------------------------------------------------------------------------------------------
# every malformed message

BIG_LOCALS = b"\x02\x80\x80\x80\x80\x08\x7f\x80\x80\x80\x80\x08\x7e"  # 2 * 2**31 locals

MALFORMED = [
    (b"", "unexpected end"),
    (b"\0as", "unexpected end"),
    (b"\0asm\1\0", "unexpected end"),
    (b"asm\0\1\0\0\0", "magic header not detected"),
    (b"\0asm\2\0\0\0", "unknown binary version"),
    (module(b"\x0e\x00"), "malformed section id"),  # 13 is the tag section (exceptions)
    (module(b"\x80\x00"), "malformed section id"),
    (module(b"\x01\x05\x00"), "length out of bounds"),
    (module(b"\x01\x80\x80\x80\x80\x10"), "integer too large"),
    (module(b"\x01\x80\x80\x80\x80\x80\x00"), "integer representation too long"),
    (module(FUNC_1, TYPE_V_V), "unexpected content after last section"),
    (module(TYPE_V_V, TYPE_V_V), "unexpected content after last section"),
    (module(section(10, b"\x00"), section(12, b"\x00")), "unexpected content after last section"),
    (module(section(1, b"\x01\x60\x00\x00\x00")), "section size mismatch"),
    (module(section(1, b"\x02\x60\x00\x00")), "unexpected end of section or function"),
    (module(section(1, b"\x01\x61\x00\x00")), "malformed function type"),
    (module(section(1, b"\x01\xe0\x7f\x00\x00")), "integer representation too long"),
    (module(section(1, b"\x01\x60\x01\x7a\x00")), "malformed value type"),
    (module(section(2, b"\x01" + name("m") + name("f") + b"\x05\x00")), "malformed import kind"),
    (module(section(6, b"\x01\x7f\x02\x41\x00\x0b")), "malformed mutability"),
    (module(section(4, b"\x01\x7f\x00\x00")), "malformed reference type"),
    (module(section(4, b"\x01\x70\x02\x00")), "integer too large"),           # limits flags
    (module(section(5, b"\x01\x81\x00\x00")), "integer representation too long"),
    (module(section(7, b"\x01" + name("e") + b"\x05\x00")), "malformed export kind"),
    (module(section(9, b"\x01\x08")), "malformed elements segment kind"),
    (module(section(9, b"\x01\x01\x01\x00")), "malformed element kind"),
    (module(section(9, b"\x01\x05\x7f\x00")), "malformed reference type"),
    (module(section(11, b"\x01\x03")), "malformed data segment kind"),
    (module(section(11, b"\x01\x01\x05ab")), "unexpected end of section or function"),
    (module(section(0, b"\x03ab"), section(1, b"\x00")), "unexpected end"),   # name past size
    (module(section(0, b"")), "unexpected end"),
    (module(TYPE_V_V, section(3, b"\x02\x00\x00"), code(b"\x0b")),
     "function and code section have inconsistent lengths"),
    (module(TYPE_V_V, code(b"\x0b")), "function and code section have inconsistent lengths"),
    (module(section(12, b"\x01")), "data count and data section have inconsistent lengths"),
    (module(MEM_1, section(12, b"\x00"), section(11, b"\x01\x01\x00")),
     "data count and data section have inconsistent lengths"),
    (func_module(b"\xfc\x09\x00\x0b"), "data count section required"),
    (func_module(b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b", MEM_1),
     "data count section required"),
    (func_module(b"\x0b", locals_=BIG_LOCALS), "too many locals"),
    # Wasm 2.0's reserved zero bytes are memory indices since multi-memory
    (func_module(b"\x3f\x01\x1a\x0b", MEM_1), "unsupported feature: multi-memory"),
    (func_module(b"\x41\x00\x40\x80\x00\x1a\x0b", MEM_1), "unsupported feature: multi-memory"),
    (func_module(b"\x41\x00\x41\x00\x41\x00\xfc\x0a\x00\x01\x0b", MEM_1),
     "unsupported feature: multi-memory"),
    (func_module(b"\x41\x00\x41\x00\x41\x00\xfc\x0b\x01\x0b", MEM_1),
     "unsupported feature: multi-memory"),
    (func_module(b"\x41\x00\x28\x40\x00\x00\x1a\x0b", MEM_1), "unsupported feature: multi-memory"),
    (func_module(b"\xfd\x0c" + b"\x00" * 16 + b"\x1a\x0b"), "unsupported feature: simd"),
    (func_module(b"\x06\x0b"), "unsupported feature: legacy exceptions"),
    (func_module(b"\xfe\x7f\x0b"), "illegal opcode"),                 # no such atomic op
    (func_module(b"\xfe\x03\x01\x0b"), "zero byte expected"),             # atomic.fence
    (func_module(b"\xfb\x00\x00\x0b"), "unsupported feature: gc"),
    (func_module(b"\x14\x00\x0b"), "unsupported feature: function-references"),
    (func_module(b"\xfc\x13\x0b"), "unsupported feature: wide-arithmetic"),
    (module(section(5, b"\x01\x03\x01\x01")), "unsupported feature: threads (shared memory)"),
    (module(section(5, b"\x01\x04\x01")), "unsupported feature: memory64"),
    (module(section(5, b"\x01\x08\x01\x00")), "unsupported feature: custom-page-sizes"),
    (module(section(1, b"\x01\x5f\x00")), "unsupported feature: gc"),
    (func_module(b"\xfc\x12\x0b"), "illegal opcode"),
    (func_module(b"\xff\x0b"), "illegal opcode"),
    (func_module(b"\x41\x00\x28\x20\x00\x1a\x0b", MEM_1), "malformed memop flags"),
    (func_module(b"\x05\x0b"), "END opcode expected"),                        # else outside if
    (func_module(b"\x02\x40\x05\x0b\x0b"), "END opcode expected"),            # else in block
    (func_module(b"\x04\x40\x05\x05\x0b\x0b"), "END opcode expected"),        # two elses
    (func_module(b"\x02\x7a\x0b\x0b"), "malformed value type"),               # block type
    (func_module(b"\x02\xff\x7f\x0b\x0b"), "malformed block type"),           # s33 -1 long
    (func_module(b"\xd0\x7f\x1a\x0b"), "malformed reference type"),
    (func_module(b"\x1c\x01\x7a\x0b"), "malformed value type"),
    (func_module(b"\x41\x80\x80\x80\x80\x70\x1a\x0b"), "integer too large"),   # s32
    (func_module(b"\x42" + b"\x80" * 9 + b"\x02\x1a\x0b"), "integer too large"),  # s64
    (func_module(b"\x01"), "unexpected end of section or function"),          # no end
    (module(TYPE_V_V, FUNC_1, section(10, b"\x01\x03\x00\x01\x01")),
     "unexpected end of section or function"),
    (module(TYPE_V_V, FUNC_1, section(10, b"\x01\x04\x00\x01\x0b\x01")),      # body size 4, 3 used
     "section size mismatch"),
    (module(section(6, b"\x01\x7f\x00\x41\x00")), "unexpected end of section or function"),
]


@pytest.mark.parametrize("data,message", MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_messages(data, message):
    assert malformed(data).startswith(message)


def test_malformed_error_has_offset():
    with pytest.raises(MalformedError) as info:
        decode_module(func_module(b"\x06\x0b"))
    data = func_module(b"\x06\x0b")
    assert info.value.offset == data.rindex(b"\x06\x0b")


def test_locals_beyond_implementation_limit_are_refused_cleanly():
    locs = b"\x01" + uleb(MAX_LOCALS + 1) + b"\x7f"
    assert malformed(func_module(b"\x0b", locals_=locs)).startswith("too many locals")


def test_max_valid_local_counts_sum_ok():
    locs = b"\x02" + uleb(MAX_LOCALS // 2) + b"\x7f" + uleb(MAX_LOCALS // 2) + b"\x7e"
    assert len(decode_module(func_module(b"\x0b", locals_=locs)).funcs[0].locals) == MAX_LOCALS


# ---------------------------------------------------------------------------------------------
# speed

def test_big_module_decodes_fast():
    """~200 KB of code: a one-pass decoder does this in a fraction of a second."""
    body = (b"\x20\x00\x41\xe4\x00\x6a\x21\x00"          # local.set 0 (local.get 0 + 100)
            b"\x20\x00\x28\x02\x08\x41\x7f\x36\x02\x00"  # i32.store (i32.load) (-1)
            b"\x02\x40\x20\x00\x0d\x00\x0b") * 20 + b"\x0b"
    n = 400
    data = module(section(1, b"\x01\x60\x00\x00"), section(3, vec([b"\x00"] * n)), MEM_1,
                  code(*[body] * n, locals_=b"\x01\x01\x7f"))
    assert len(data) > 150_000
    t = time.perf_counter()
    m = decode_module(data)
    elapsed = time.perf_counter() - t
    assert len(m.funcs) == n and len(m.funcs[0].body) == 20 * 12 + 1
    assert elapsed < 3.0, "decode took %.2fs" % elapsed


# ---------------------------------------------------------------------------------------------
# the official spec suite: every binary module decodes, every binary assert_malformed fails

def _suite_files():
    if not os.path.isdir(SUITE):
        return []
    return sorted(f for f in os.listdir(SUITE) if f.endswith(".wast") and not f.startswith("simd_"))


# Wasm 2.0 assertions whose bytes mean something else under the proposals interp implements
# (exception handling): still rejected, with another message
SUPERSEDED = {("binary.wast", 113): "0x0a is throw_ref: the decoder reads on to the end",
              ("binary.wast", 680): "import kind 4 is a tag: its type index is missing",
              ("binary.wast", 690): "import kind 4 is a tag: its type index runs off the end"}


@needs_wabt
@pytest.mark.skipif(not os.path.isdir(SUITE), reason="spec suite not at %s" % SUITE)
@pytest.mark.parametrize("wast", _suite_files())
def test_spec_suite_binaries(wast):
    """An assert_malformed whose bytes are a later proposal's encoding (multi-memory's memory
    indices, shared memories) may be rejected as an unsupported feature instead."""
    from tests.spec import convert  # shares the wast2json cache in tests/.cache/spec
    json_path = convert(os.path.join(SUITE, wast))
    base = os.path.dirname(json_path)
    with open(json_path) as f:
        commands = json.load(f)["commands"]
    failures = []
    decoded = rejected = 0
    for cmd in commands:
        fn = cmd.get("filename", "")
        if not fn.endswith(".wasm"):
            continue
        with open(os.path.join(base, fn), "rb") as f:
            data = f.read()
        if cmd["type"] == "module":
            try:
                decode_module(data)
                decoded += 1
            except MalformedError as e:
                failures.append("line %d: module: %s" % (cmd["line"], e))
        elif cmd["type"] == "assert_malformed" and cmd.get("module_type") == "binary":
            try:
                decode_module(data)
            except MalformedError as e:
                rejected += 1
                if isinstance(e, UnsupportedFeature) or (wast, cmd["line"]) in SUPERSEDED:
                    continue
                if not e.message.startswith(cmd["text"]):
                    failures.append("line %d: expected %r, got %r"
                                    % (cmd["line"], cmd["text"], e.message))
            else:
                failures.append("line %d: decoded, expected %r" % (cmd["line"], cmd["text"]))
    assert not failures, "\n".join(failures)
    print("%s: %d modules decoded, %d binary assert_malformed rejected"
          % (wast, decoded, rejected))


# ---------------------------------------------------------------------------------------------
# robustness: any damage to a module gives a Module or a MalformedError, never another exception

from hypothesis import given, settings, strategies as st  # noqa: E402

RICH = module(
    section(0, name("c") + b"xyz"), TYPE_V_V,
    section(2, vec([name("m") + name("t") + b"\x01\x70\x01\x01\x02",
                    name("m") + name("g") + b"\x03\x7e\x00"])),
    FUNC_1, TABLE_1, MEM_1, section(6, b"\x01\x7f\x01\x41\x2a\x0b"),
    section(7, vec([name("f") + b"\x00\x00"])), section(8, b"\x00"),
    section(9, vec([b"\x00" + OFF + FUNCIDX, b"\x05\x6f" + EXPRS, b"\x06\x01" + OFF + b"\x70"
                    + EXPRS])),
    section(12, b"\x02"),
    code(b"\x02\x40\x41\x01\x04\x7f\x41\x02\x05\x41\x03\x0b\x1a\x0b"
         b"\x0e\x02\x00\x01\x00\x43\x00\x00\xc0\x7f\x1a\x44" + b"\x00" * 8 + b"\x1a"
         b"\xfc\x09\x01\x41\x00\x28\x02\x04\x1a\x0b", locals_=b"\x01\x02\x7c"),
    section(11, vec([b"\x00" + OFF + b"\x02hi", b"\x01\x01z"])),
    name_section(section(1, vec([b"\x00" + name("f")]))))


def test_rich_module_decodes():
    m = decode_module(RICH)
    assert len(m.imports) == 2 and len(m.elems) == 3 and len(m.datas) == 2
    assert m.func_names == {0: "f"} and m.start == 0 and m.datacount == 2


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_modules_never_crash(draw):
    data = bytearray(RICH)
    for _ in range(draw.draw(st.integers(1, 4))):
        how = draw.draw(st.sampled_from(["set", "cut", "insert", "delete"]))
        i = draw.draw(st.integers(8, len(data) - 1))
        if how == "set":
            data[i] = draw.draw(st.integers(0, 255))
        elif how == "cut":
            del data[i:]
        elif how == "insert":
            data[i:i] = bytes(draw.draw(st.lists(st.integers(0, 255), min_size=1, max_size=6)))
        else:
            del data[i]
        if len(data) <= 9:
            break
    try:
        decode_module(bytes(data))
    except MalformedError as e:
        assert e.message and (e.offset is None or 0 <= e.offset <= len(data))
