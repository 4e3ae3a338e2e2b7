"""The opcode table: Wasm 2.0 (without SIMD), exception handling (the final "exnref" proposal),
tail calls and the threads proposal's atomic instructions; one row per instruction.

Decode, validate and lower all read this table, so an instruction's number, name and immediate
kind are written down exactly once. Single-byte opcodes keep their byte value; the 0xFC- and 0xFE-
prefixed ones are numbered ``0xFC00 + sub-opcode`` (e.g. ``memory.copy`` is ``0xFC0A``) and
``0xFE00 + sub-opcode`` (``i32.atomic.load`` is ``0xFE10``).

Immediate kinds (what ``decode`` stores as the instruction's ``imm``):
  none        -> None
  blocktype   -> int: the raw signed s33 from the binary: -64 (0x40) empty, -1 i32, -2 i64, -3 f32,
                 -4 f64, -5 v128, -16 funcref, -17 externref; >= 0 a type index
  idx         -> int (label depth, function, local, global, table, elem or data index)
  br_table    -> (tuple of label depths, default depth)
  call_ind    -> (type index, table index)
  memarg      -> (align exponent, offset)
  i32 / i64   -> int, unsigned canonical form (0 <= v < 2**32 / 2**64)
  f32 / f64   -> float in the runtime representation (see values.py)
  reftype     -> int valtype code (FUNCREF or EXTERNREF)
  select_t    -> tuple of valtype codes
  mem0        -> None (a reserved zero byte follows; non-zero is malformed "zero byte expected")
  data_mem0   -> int data index (followed by a reserved zero byte)
  mem00       -> None (two reserved zero bytes)
  idx2        -> (first, second) two indices: table.copy (dst, src), table.init (elem, table)
  fence       -> None (atomic.fence: a reserved zero byte follows)
  try_table   -> (blocktype as above, catches): catches a tuple of (kind, tag index or None,
                 label depth), kind CATCH / CATCH_REF / CATCH_ALL / CATCH_ALL_REF (0..3)
"""

# value type codes, as in the binary format
I32, I64, F32, F64, V128, FUNCREF, EXTERNREF = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F
EXNREF = 0x69    # exception handling: a reference to a caught exception
VALTYPE_NAMES = {I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128",
                 FUNCREF: "funcref", EXTERNREF: "externref", EXNREF: "exnref"}
NUM_TYPES = (I32, I64, F32, F64)
REF_TYPES = (FUNCREF, EXTERNREF, EXNREF)

# try_table catch clause kinds (their binary codes)
CATCH, CATCH_REF, CATCH_ALL, CATCH_ALL_REF = 0, 1, 2, 3

# blocktype immediates (raw s33)
BLOCK_EMPTY = -64
BLOCK_VALTYPE = {-1: I32, -2: I64, -3: F32, -4: F64, -5: V128, -16: FUNCREF, -17: EXTERNREF,
                 -23: EXNREF}

_TABLE = """
0x00 unreachable none
0x01 nop none
0x02 block blocktype
0x03 loop blocktype
0x04 if blocktype
0x05 else none
0x08 throw idx
0x0A throw_ref none
0x0B end none
0x0C br idx
0x0D br_if idx
0x0E br_table br_table
0x0F return none
0x10 call idx
0x11 call_indirect call_ind
0x12 return_call idx
0x13 return_call_indirect call_ind
0x1A drop none
0x1B select none
0x1C select_t select_t
0x1F try_table try_table
0x20 local.get idx
0x21 local.set idx
0x22 local.tee idx
0x23 global.get idx
0x24 global.set idx
0x25 table.get idx
0x26 table.set idx
0x28 i32.load memarg
0x29 i64.load memarg
0x2A f32.load memarg
0x2B f64.load memarg
0x2C i32.load8_s memarg
0x2D i32.load8_u memarg
0x2E i32.load16_s memarg
0x2F i32.load16_u memarg
0x30 i64.load8_s memarg
0x31 i64.load8_u memarg
0x32 i64.load16_s memarg
0x33 i64.load16_u memarg
0x34 i64.load32_s memarg
0x35 i64.load32_u memarg
0x36 i32.store memarg
0x37 i64.store memarg
0x38 f32.store memarg
0x39 f64.store memarg
0x3A i32.store8 memarg
0x3B i32.store16 memarg
0x3C i64.store8 memarg
0x3D i64.store16 memarg
0x3E i64.store32 memarg
0x3F memory.size mem0
0x40 memory.grow mem0
0x41 i32.const i32
0x42 i64.const i64
0x43 f32.const f32
0x44 f64.const f64
0x45 i32.eqz none
0x46 i32.eq none
0x47 i32.ne none
0x48 i32.lt_s none
0x49 i32.lt_u none
0x4A i32.gt_s none
0x4B i32.gt_u none
0x4C i32.le_s none
0x4D i32.le_u none
0x4E i32.ge_s none
0x4F i32.ge_u none
0x50 i64.eqz none
0x51 i64.eq none
0x52 i64.ne none
0x53 i64.lt_s none
0x54 i64.lt_u none
0x55 i64.gt_s none
0x56 i64.gt_u none
0x57 i64.le_s none
0x58 i64.le_u none
0x59 i64.ge_s none
0x5A i64.ge_u none
0x5B f32.eq none
0x5C f32.ne none
0x5D f32.lt none
0x5E f32.gt none
0x5F f32.le none
0x60 f32.ge none
0x61 f64.eq none
0x62 f64.ne none
0x63 f64.lt none
0x64 f64.gt none
0x65 f64.le none
0x66 f64.ge none
0x67 i32.clz none
0x68 i32.ctz none
0x69 i32.popcnt none
0x6A i32.add none
0x6B i32.sub none
0x6C i32.mul none
0x6D i32.div_s none
0x6E i32.div_u none
0x6F i32.rem_s none
0x70 i32.rem_u none
0x71 i32.and none
0x72 i32.or none
0x73 i32.xor none
0x74 i32.shl none
0x75 i32.shr_s none
0x76 i32.shr_u none
0x77 i32.rotl none
0x78 i32.rotr none
0x79 i64.clz none
0x7A i64.ctz none
0x7B i64.popcnt none
0x7C i64.add none
0x7D i64.sub none
0x7E i64.mul none
0x7F i64.div_s none
0x80 i64.div_u none
0x81 i64.rem_s none
0x82 i64.rem_u none
0x83 i64.and none
0x84 i64.or none
0x85 i64.xor none
0x86 i64.shl none
0x87 i64.shr_s none
0x88 i64.shr_u none
0x89 i64.rotl none
0x8A i64.rotr none
0x8B f32.abs none
0x8C f32.neg none
0x8D f32.ceil none
0x8E f32.floor none
0x8F f32.trunc none
0x90 f32.nearest none
0x91 f32.sqrt none
0x92 f32.add none
0x93 f32.sub none
0x94 f32.mul none
0x95 f32.div none
0x96 f32.min none
0x97 f32.max none
0x98 f32.copysign none
0x99 f64.abs none
0x9A f64.neg none
0x9B f64.ceil none
0x9C f64.floor none
0x9D f64.trunc none
0x9E f64.nearest none
0x9F f64.sqrt none
0xA0 f64.add none
0xA1 f64.sub none
0xA2 f64.mul none
0xA3 f64.div none
0xA4 f64.min none
0xA5 f64.max none
0xA6 f64.copysign none
0xA7 i32.wrap_i64 none
0xA8 i32.trunc_f32_s none
0xA9 i32.trunc_f32_u none
0xAA i32.trunc_f64_s none
0xAB i32.trunc_f64_u none
0xAC i64.extend_i32_s none
0xAD i64.extend_i32_u none
0xAE i64.trunc_f32_s none
0xAF i64.trunc_f32_u none
0xB0 i64.trunc_f64_s none
0xB1 i64.trunc_f64_u none
0xB2 f32.convert_i32_s none
0xB3 f32.convert_i32_u none
0xB4 f32.convert_i64_s none
0xB5 f32.convert_i64_u none
0xB6 f32.demote_f64 none
0xB7 f64.convert_i32_s none
0xB8 f64.convert_i32_u none
0xB9 f64.convert_i64_s none
0xBA f64.convert_i64_u none
0xBB f64.promote_f32 none
0xBC i32.reinterpret_f32 none
0xBD i64.reinterpret_f64 none
0xBE f32.reinterpret_i32 none
0xBF f64.reinterpret_i64 none
0xC0 i32.extend8_s none
0xC1 i32.extend16_s none
0xC2 i64.extend8_s none
0xC3 i64.extend16_s none
0xC4 i64.extend32_s none
0xD0 ref.null reftype
0xD1 ref.is_null none
0xD2 ref.func idx
0xFC00 i32.trunc_sat_f32_s none
0xFC01 i32.trunc_sat_f32_u none
0xFC02 i32.trunc_sat_f64_s none
0xFC03 i32.trunc_sat_f64_u none
0xFC04 i64.trunc_sat_f32_s none
0xFC05 i64.trunc_sat_f32_u none
0xFC06 i64.trunc_sat_f64_s none
0xFC07 i64.trunc_sat_f64_u none
0xFC08 memory.init data_mem0
0xFC09 data.drop idx
0xFC0A memory.copy mem00
0xFC0B memory.fill mem0
0xFC0C table.init idx2
0xFC0D elem.drop idx
0xFC0E table.copy idx2
0xFC0F table.grow idx
0xFC10 table.size idx
0xFC11 table.fill idx
0xFE00 memory.atomic.notify memarg
0xFE01 memory.atomic.wait32 memarg
0xFE02 memory.atomic.wait64 memarg
0xFE03 atomic.fence fence
0xFE10 i32.atomic.load memarg
0xFE11 i64.atomic.load memarg
0xFE12 i32.atomic.load8_u memarg
0xFE13 i32.atomic.load16_u memarg
0xFE14 i64.atomic.load8_u memarg
0xFE15 i64.atomic.load16_u memarg
0xFE16 i64.atomic.load32_u memarg
0xFE17 i32.atomic.store memarg
0xFE18 i64.atomic.store memarg
0xFE19 i32.atomic.store8 memarg
0xFE1A i32.atomic.store16 memarg
0xFE1B i64.atomic.store8 memarg
0xFE1C i64.atomic.store16 memarg
0xFE1D i64.atomic.store32 memarg
0xFE1E i32.atomic.rmw.add memarg
0xFE1F i64.atomic.rmw.add memarg
0xFE20 i32.atomic.rmw8.add_u memarg
0xFE21 i32.atomic.rmw16.add_u memarg
0xFE22 i64.atomic.rmw8.add_u memarg
0xFE23 i64.atomic.rmw16.add_u memarg
0xFE24 i64.atomic.rmw32.add_u memarg
0xFE25 i32.atomic.rmw.sub memarg
0xFE26 i64.atomic.rmw.sub memarg
0xFE27 i32.atomic.rmw8.sub_u memarg
0xFE28 i32.atomic.rmw16.sub_u memarg
0xFE29 i64.atomic.rmw8.sub_u memarg
0xFE2A i64.atomic.rmw16.sub_u memarg
0xFE2B i64.atomic.rmw32.sub_u memarg
0xFE2C i32.atomic.rmw.and memarg
0xFE2D i64.atomic.rmw.and memarg
0xFE2E i32.atomic.rmw8.and_u memarg
0xFE2F i32.atomic.rmw16.and_u memarg
0xFE30 i64.atomic.rmw8.and_u memarg
0xFE31 i64.atomic.rmw16.and_u memarg
0xFE32 i64.atomic.rmw32.and_u memarg
0xFE33 i32.atomic.rmw.or memarg
0xFE34 i64.atomic.rmw.or memarg
0xFE35 i32.atomic.rmw8.or_u memarg
0xFE36 i32.atomic.rmw16.or_u memarg
0xFE37 i64.atomic.rmw8.or_u memarg
0xFE38 i64.atomic.rmw16.or_u memarg
0xFE39 i64.atomic.rmw32.or_u memarg
0xFE3A i32.atomic.rmw.xor memarg
0xFE3B i64.atomic.rmw.xor memarg
0xFE3C i32.atomic.rmw8.xor_u memarg
0xFE3D i32.atomic.rmw16.xor_u memarg
0xFE3E i64.atomic.rmw8.xor_u memarg
0xFE3F i64.atomic.rmw16.xor_u memarg
0xFE40 i64.atomic.rmw32.xor_u memarg
0xFE41 i32.atomic.rmw.xchg memarg
0xFE42 i64.atomic.rmw.xchg memarg
0xFE43 i32.atomic.rmw8.xchg_u memarg
0xFE44 i32.atomic.rmw16.xchg_u memarg
0xFE45 i64.atomic.rmw8.xchg_u memarg
0xFE46 i64.atomic.rmw16.xchg_u memarg
0xFE47 i64.atomic.rmw32.xchg_u memarg
0xFE48 i32.atomic.rmw.cmpxchg memarg
0xFE49 i64.atomic.rmw.cmpxchg memarg
0xFE4A i32.atomic.rmw8.cmpxchg_u memarg
0xFE4B i32.atomic.rmw16.cmpxchg_u memarg
0xFE4C i64.atomic.rmw8.cmpxchg_u memarg
0xFE4D i64.atomic.rmw16.cmpxchg_u memarg
0xFE4E i64.atomic.rmw32.cmpxchg_u memarg
"""

NAMES = {}       # opcode -> name
IMMEDIATES = {}  # opcode -> immediate kind
BY_NAME = {}     # name -> opcode
for _line in _TABLE.strip().splitlines():
    _code, _name, _kind = _line.split()
    _op = int(_code, 16)
    NAMES[_op] = _name
    IMMEDIATES[_op] = _kind
    BY_NAME[_name] = _op
    # module-level constants: I32_ADD, LOCAL_GET, BR_TABLE, ...
    globals()[_name.upper().replace(".", "_")] = _op
del _line, _code, _name, _kind, _op
