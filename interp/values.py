"""How Wasm values are represented in Python, and the exact bit conversions.

Runtime representation (the internal form used by decode, the machine, globals, tables, snapshots):
  i32, i64   Python int in unsigned canonical form: 0 <= v < 2**32 (or 2**64).
  f64        Python float; its 64 bits are exactly the Wasm bits (NaN payloads included).
  f32        Python float holding the f32 value. Every finite or infinite f32 is exactly
             representable as a double. A NaN is stored as the double NaN with the same sign and
             the f32 payload shifted into the top of the f64 payload (bits << 29), so signalling
             NaNs and payloads survive round trips (C's float->double cast would quiet them).
  funcref    None (null) or a function object from the runtime.
  externref  None (null) or any Python object (the spec runner uses ints wrapped by the host).
  exnref     None (null) or an Exn (exception handling): the caught exception.

At the embedding API boundary (Instance.invoke arguments and results, host-function arguments and
results, Global.value) i32/i64 are *signed* Python ints, like wasmtime-py; any int is accepted
on the way in and wrapped.
"""
import struct
from array import array

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack
_pack_Q = struct.Struct("<Q").pack
_unpack_Q = struct.Struct("<Q").unpack
_pack_f = struct.Struct("<f").pack
_unpack_f = struct.Struct("<f").unpack
_pack_I = struct.Struct("<I").pack
_unpack_I = struct.Struct("<I").unpack

_f32_box = array("f", [0.0])  # assignment rounds a double to f32 like C's cast, overflow -> inf


def f64_from_bits(bits):
    """u64 bits -> float."""
    return _unpack_d(_pack_Q(bits))[0]


def f64_to_bits(x):
    """float -> u64 bits."""
    return _unpack_Q(_pack_d(x))[0]


def f32_from_bits(bits):
    """u32 bits -> float in the f32 runtime representation (NaN payload kept, see module doc)."""
    if bits & 0x7F800000 == 0x7F800000 and bits & 0x007FFFFF:
        d = ((bits & 0x80000000) << 32) | 0x7FF0000000000000 | ((bits & 0x007FFFFF) << 29)
        return _unpack_d(_pack_Q(d))[0]
    return _unpack_f(_pack_I(bits))[0]


def f32_to_bits(x):
    """float (f32 runtime representation) -> u32 bits."""
    if x != x:
        d = _unpack_Q(_pack_d(x))[0]
        payload = (d >> 29) & 0x007FFFFF
        if not payload:  # a double NaN whose payload lives only in low bits: keep it a NaN
            payload = 0x00400000
        return ((d >> 32) & 0x80000000) | 0x7F800000 | payload
    _f32_box[0] = x
    return _unpack_I(_pack_f(_f32_box[0]))[0]


def f32_round(x):
    """Round a double to the nearest f32 (ties to even); overflow gives +-inf, NaN stays NaN."""
    _f32_box[0] = x
    return _f32_box[0]


def to_signed32(v):
    v &= MASK32
    return v - 0x100000000 if v & 0x80000000 else v


def to_signed64(v):
    v &= MASK64
    return v - 0x10000000000000000 if v & 0x8000000000000000 else v


class Exn:
    """An exception, the value an exnref refers to: its tag (a runtime.Tag, compared by
    identity) and its payload ``values`` (a tuple, internal form)."""
    __slots__ = ("tag", "values")

    def __init__(self, tag, values):
        self.tag = tag
        self.values = values

    def __repr__(self):
        return "<exception %r %r>" % (self.tag, self.values)
