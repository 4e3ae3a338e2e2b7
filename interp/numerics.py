"""The exact semantics of every Wasm 2.0 numeric instruction (opcodes 0x45-0xC4, 0xFC00-0xFC07).

Every function takes and returns values in the runtime representation of values.py: i32/i64 are
unsigned ints (results are wrapped with a mask), f32/f64 are Python floats (an f32 result is
rounded to f32 with ``f32_round`` after the double operation). Comparisons return i32 0 or 1.
Traps raise ``Trap`` with the spec's message.

Public surface:
  UNARY[op]  -> fn(a)      for every unary numeric opcode (tests, conversions, clz, abs, ...)
  BINARY[op] -> fn(a, b)   for every binary numeric opcode; ``b`` is the top of the stack
  i32_add, f32_nearest, i64_trunc_f64_u, ...  the same functions by name, for direct binding
  INLINE[op] -> str        a Python expression in ``a`` (and ``b``) equal to the function, for a
                           code generator; it may use the names in INLINE_GLOBALS.

Why not just Python arithmetic: Python ints do not wrap, ``%`` and ``//`` round towards -inf
(Wasm truncates), ``x / 0.0`` raises, ``math.sqrt(-1)`` raises, ``math.floor`` returns an int and
fails on inf/NaN, and ``float(int)`` followed by an f32 rounding would round twice. Each of those
is handled below.

Double rounding note: for f32 add/sub/mul/div/sqrt, computing in double and rounding once to f32
is exact, because 53 >= 2*24 + 2 (a classic result); so ``f32_round(a + b)`` is the f32 sum.

NaNs: Wasm only asks arithmetic results to be *some* quiet NaN (canonical when all NaN inputs are
canonical). ``x + x`` and hardware double arithmetic give exactly that, so NaN paths use them.
abs, neg, copysign and the reinterprets are pure bit operations and keep payloads exactly.
"""
import math

from .errors import Trap
from .values import (MASK32, MASK64, f32_round, f32_to_bits, f32_from_bits, f64_to_bits,
                     f64_from_bits)
from . import opcodes as op

_SIGN32 = 0x80000000
_SIGN64 = 0x8000000000000000
_INF = float("inf")
CANONICAL_NAN = f64_from_bits(0x7FF8000000000000)  # also the canonical f32 NaN in the f32 repr
_copysign = math.copysign


def _s32(a):
    """Unsigned i32 -> signed Python int."""
    return (a ^ _SIGN32) - _SIGN32


def _s64(a):
    """Unsigned i64 -> signed Python int."""
    return (a ^ _SIGN64) - _SIGN64


def _div_trap():
    raise Trap("integer divide by zero")


def _overflow():
    raise Trap("integer overflow")


def _invalid_conversion():
    raise Trap("invalid conversion to integer")


# ---------------------------------------------------------------------------------------- i32

def i32_eqz(a): return 1 if a == 0 else 0
def i32_eq(a, b): return 1 if a == b else 0
def i32_ne(a, b): return 1 if a != b else 0
def i32_lt_s(a, b): return 1 if _s32(a) < _s32(b) else 0
def i32_lt_u(a, b): return 1 if a < b else 0
def i32_gt_s(a, b): return 1 if _s32(a) > _s32(b) else 0
def i32_gt_u(a, b): return 1 if a > b else 0
def i32_le_s(a, b): return 1 if _s32(a) <= _s32(b) else 0
def i32_le_u(a, b): return 1 if a <= b else 0
def i32_ge_s(a, b): return 1 if _s32(a) >= _s32(b) else 0
def i32_ge_u(a, b): return 1 if a >= b else 0


def i32_clz(a): return 32 - a.bit_length()
def i32_ctz(a): return (a & -a).bit_length() - 1 if a else 32
def i32_popcnt(a): return a.bit_count()


def i32_add(a, b): return (a + b) & MASK32
def i32_sub(a, b): return (a - b) & MASK32
def i32_mul(a, b): return (a * b) & MASK32


def i32_div_s(a, b):
    if b == 0:
        _div_trap()
    if a == _SIGN32 and b == MASK32:
        _overflow()  # INT_MIN / -1 is not representable
    sa, sb = _s32(a), _s32(b)
    q = abs(sa) // abs(sb)  # Wasm truncates towards zero; Python's // floors
    return (-q if (sa < 0) != (sb < 0) else q) & MASK32


def i32_div_u(a, b):
    if b == 0:
        _div_trap()
    return a // b


def i32_rem_s(a, b):
    if b == 0:
        _div_trap()
    sa = _s32(a)
    r = abs(sa) % abs(_s32(b))  # the sign follows the dividend (Python's % follows the divisor)
    return (-r if sa < 0 else r) & MASK32


def i32_rem_u(a, b):
    if b == 0:
        _div_trap()
    return a % b


def i32_and(a, b): return a & b
def i32_or(a, b): return a | b
def i32_xor(a, b): return a ^ b
def i32_shl(a, b): return (a << (b & 31)) & MASK32
def i32_shr_s(a, b): return (_s32(a) >> (b & 31)) & MASK32
def i32_shr_u(a, b): return a >> (b & 31)


def i32_rotl(a, b):
    k = b & 31
    return ((a << k) | (a >> (32 - k))) & MASK32


def i32_rotr(a, b):
    k = b & 31
    return ((a >> k) | (a << (32 - k))) & MASK32


def i32_extend8_s(a): return (((a & 0xFF) ^ 0x80) - 0x80) & MASK32
def i32_extend16_s(a): return (((a & 0xFFFF) ^ 0x8000) - 0x8000) & MASK32
def i32_wrap_i64(a): return a & MASK32


# ---------------------------------------------------------------------------------------- i64

def i64_eqz(a): return 1 if a == 0 else 0
def i64_eq(a, b): return 1 if a == b else 0
def i64_ne(a, b): return 1 if a != b else 0
def i64_lt_s(a, b): return 1 if _s64(a) < _s64(b) else 0
def i64_lt_u(a, b): return 1 if a < b else 0
def i64_gt_s(a, b): return 1 if _s64(a) > _s64(b) else 0
def i64_gt_u(a, b): return 1 if a > b else 0
def i64_le_s(a, b): return 1 if _s64(a) <= _s64(b) else 0
def i64_le_u(a, b): return 1 if a <= b else 0
def i64_ge_s(a, b): return 1 if _s64(a) >= _s64(b) else 0
def i64_ge_u(a, b): return 1 if a >= b else 0


def i64_clz(a): return 64 - a.bit_length()
def i64_ctz(a): return (a & -a).bit_length() - 1 if a else 64
def i64_popcnt(a): return a.bit_count()


def i64_add(a, b): return (a + b) & MASK64
def i64_sub(a, b): return (a - b) & MASK64
def i64_mul(a, b): return (a * b) & MASK64


def i64_div_s(a, b):
    if b == 0:
        _div_trap()
    if a == _SIGN64 and b == MASK64:
        _overflow()
    sa, sb = _s64(a), _s64(b)
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) & MASK64


def i64_div_u(a, b):
    if b == 0:
        _div_trap()
    return a // b


def i64_rem_s(a, b):
    if b == 0:
        _div_trap()
    sa = _s64(a)
    r = abs(sa) % abs(_s64(b))
    return (-r if sa < 0 else r) & MASK64


def i64_rem_u(a, b):
    if b == 0:
        _div_trap()
    return a % b


def i64_and(a, b): return a & b
def i64_or(a, b): return a | b
def i64_xor(a, b): return a ^ b
def i64_shl(a, b): return (a << (b & 63)) & MASK64
def i64_shr_s(a, b): return (_s64(a) >> (b & 63)) & MASK64
def i64_shr_u(a, b): return a >> (b & 63)


def i64_rotl(a, b):
    k = b & 63
    return ((a << k) | (a >> (64 - k))) & MASK64


def i64_rotr(a, b):
    k = b & 63
    return ((a >> k) | (a << (64 - k))) & MASK64


def i64_extend8_s(a): return (((a & 0xFF) ^ 0x80) - 0x80) & MASK64
def i64_extend16_s(a): return (((a & 0xFFFF) ^ 0x8000) - 0x8000) & MASK64
def i64_extend32_s(a): return (((a & MASK32) ^ _SIGN32) - _SIGN32) & MASK64
def i64_extend_i32_s(a): return ((a ^ _SIGN32) - _SIGN32) & MASK64
def i64_extend_i32_u(a): return a


# -------------------------------------------------------------------------- floats, shared

def _fdiv(a, b):
    """IEEE division in double; Python raises on a zero divisor, IEEE gives +-inf or NaN."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a:
            return a + b  # propagate the NaN operand (quieted)
        if a == 0.0:
            return CANONICAL_NAN  # 0/0
        neg = (_copysign(1.0, a) < 0) != (_copysign(1.0, b) < 0)
        return -_INF if neg else _INF


def _fsqrt(x):
    """math.sqrt raises for x < 0 (except -0.0, which gives -0.0 as IEEE wants)."""
    try:
        return math.sqrt(x)
    except ValueError:
        return CANONICAL_NAN


# From 2**52 up every double is an integer, so ceil/floor/trunc/nearest return it unchanged (this
# also keeps inf). Below it, the integral result always carries the sign of x (ceil(-0.5) = -0.0).
_INTEGRAL = 4503599627370496.0


def _fceil(x):
    if abs(x) < _INTEGRAL:
        return _copysign(float(math.ceil(x)), x)
    return x if x == x else x + x  # inf / large stays; NaN is quieted


def _ffloor(x):
    if abs(x) < _INTEGRAL:
        return _copysign(float(math.floor(x)), x)
    return x if x == x else x + x


def _ftrunc(x):
    if abs(x) < _INTEGRAL:
        return _copysign(float(int(x)), x)
    return x if x == x else x + x


def _fnearest(x):
    # Python's round(float) rounds half to even, exactly.
    if abs(x) < _INTEGRAL:
        return _copysign(float(round(x)), x)
    return x if x == x else x + x


def _fmin(a, b):
    if a < b:
        return a
    if b < a:
        return b
    if a == b:  # equal, or -0.0 vs +0.0: the negative one
        return a if _copysign(1.0, a) < 0 else b
    return a + b  # a NaN operand: propagate it, quieted


def _fmax(a, b):
    if a > b:
        return a
    if b > a:
        return b
    if a == b:
        return a if _copysign(1.0, a) > 0 else b
    return a + b


# ---------------------------------------------------------------------------------------- f32
# The ceil/floor/trunc/nearest/min/max of an f32 is an f32 again, so only the NaN paths need
# f32_round (to keep the NaN in the f32 representation on any host).

def f32_eq(a, b): return 1 if a == b else 0
def f32_ne(a, b): return 1 if a != b else 0
def f32_lt(a, b): return 1 if a < b else 0
def f32_gt(a, b): return 1 if a > b else 0
def f32_le(a, b): return 1 if a <= b else 0
def f32_ge(a, b): return 1 if a >= b else 0


def f32_abs(a): return abs(a)            # fabs: clears the sign bit only
def f32_neg(a): return -a                # flips the sign bit only
def f32_copysign(a, b): return _copysign(a, b)
def f32_ceil(a): return _fceil(a) if a == a else f32_round(a + a)
def f32_floor(a): return _ffloor(a) if a == a else f32_round(a + a)
def f32_trunc(a): return _ftrunc(a) if a == a else f32_round(a + a)
def f32_nearest(a): return _fnearest(a) if a == a else f32_round(a + a)
def f32_sqrt(a): return f32_round(_fsqrt(a))
def f32_add(a, b): return f32_round(a + b)
def f32_sub(a, b): return f32_round(a - b)
def f32_mul(a, b): return f32_round(a * b)
def f32_div(a, b): return f32_round(_fdiv(a, b))


def f32_min(a, b):
    r = _fmin(a, b)
    return r if r == r else f32_round(r)


def f32_max(a, b):
    r = _fmax(a, b)
    return r if r == r else f32_round(r)


# ---------------------------------------------------------------------------------------- f64

def f64_eq(a, b): return 1 if a == b else 0
def f64_ne(a, b): return 1 if a != b else 0
def f64_lt(a, b): return 1 if a < b else 0
def f64_gt(a, b): return 1 if a > b else 0
def f64_le(a, b): return 1 if a <= b else 0
def f64_ge(a, b): return 1 if a >= b else 0


def f64_abs(a): return abs(a)
def f64_neg(a): return -a
def f64_copysign(a, b): return _copysign(a, b)
f64_ceil = _fceil
f64_floor = _ffloor
f64_trunc = _ftrunc
f64_nearest = _fnearest
f64_sqrt = _fsqrt
def f64_add(a, b): return a + b
def f64_sub(a, b): return a - b
def f64_mul(a, b): return a * b
f64_div = _fdiv
f64_min = _fmin
f64_max = _fmax


# ------------------------------------------------------------------ float -> int truncation
# An f32 is exactly a double, so the f32 and f64 sources share one function. The bounds are
# exclusive limits on x such that trunc(x) is in range, and are exact doubles: -2**31 - 1 is
# representable, so -2147483648.9 passes; -2**63 - 1 is not, hence the inclusive -2**63.

def i32_trunc_f64_s(x):
    if -2147483649.0 < x < 2147483648.0:
        return int(x) & MASK32
    if x != x:
        _invalid_conversion()
    _overflow()


def i32_trunc_f64_u(x):
    if -1.0 < x < 4294967296.0:
        return int(x)
    if x != x:
        _invalid_conversion()
    _overflow()


def i64_trunc_f64_s(x):
    if -9223372036854775808.0 <= x < 9223372036854775808.0:
        return int(x) & MASK64
    if x != x:
        _invalid_conversion()
    _overflow()


def i64_trunc_f64_u(x):
    if -1.0 < x < 18446744073709551616.0:
        return int(x)
    if x != x:
        _invalid_conversion()
    _overflow()


i32_trunc_f32_s = i32_trunc_f64_s
i32_trunc_f32_u = i32_trunc_f64_u
i64_trunc_f32_s = i64_trunc_f64_s
i64_trunc_f32_u = i64_trunc_f64_u


def i32_trunc_sat_f64_s(x):
    if x != x:
        return 0
    if x < -2147483648.0:
        return _SIGN32
    if x > 2147483647.0:
        return 0x7FFFFFFF
    return int(x) & MASK32


def i32_trunc_sat_f64_u(x):
    if x != x or x < 0.0:
        return 0
    if x > 4294967295.0:
        return MASK32
    return int(x)


def i64_trunc_sat_f64_s(x):
    if x != x:
        return 0
    if x < -9223372036854775808.0:
        return _SIGN64
    if x >= 9223372036854775808.0:
        return 0x7FFFFFFFFFFFFFFF
    return int(x) & MASK64


def i64_trunc_sat_f64_u(x):
    if x != x or x < 0.0:
        return 0
    if x >= 18446744073709551616.0:
        return MASK64
    return int(x)


i32_trunc_sat_f32_s = i32_trunc_sat_f64_s
i32_trunc_sat_f32_u = i32_trunc_sat_f64_u
i64_trunc_sat_f32_s = i64_trunc_sat_f64_s
i64_trunc_sat_f32_u = i64_trunc_sat_f64_u


# ------------------------------------------------------------------ int -> float conversion

def _int_to_f32(n):
    """Round a Python int to the nearest f32 (ties to even) with a single rounding.

    float(n) would first round to 53 bits, and rounding that to 24 bits can differ from rounding
    n directly (e.g. n just above a tie). So round the magnitude to 24 significant bits here;
    the result has at most 25 bits and converts to a double exactly.
    """
    m = -n if n < 0 else n
    shift = m.bit_length() - 24
    if shift > 0:
        q = m >> shift
        rest = m - (q << shift)
        half = 1 << (shift - 1)
        if rest > half or (rest == half and q & 1):
            q += 1
        m = q << shift
    f = float(m)
    return -f if n < 0 else f


def f32_convert_i32_s(a): return f32_round(float(_s32(a)))  # float() is exact for 32 bits
def f32_convert_i32_u(a): return f32_round(float(a))
def f32_convert_i64_s(a): return _int_to_f32(_s64(a))
def f32_convert_i64_u(a): return _int_to_f32(a)
def f64_convert_i32_s(a): return float(_s32(a))
def f64_convert_i32_u(a): return float(a)
def f64_convert_i64_s(a): return float(_s64(a))  # CPython rounds int -> double correctly
def f64_convert_i64_u(a): return float(a)


def f32_demote_f64(a):
    return f32_round(a)  # a NaN comes out quiet, top payload bits kept


def f64_promote_f32(a):
    # An f32 in our representation already is its double; only a NaN must become quiet.
    return a if a == a else a + a


i32_reinterpret_f32 = f32_to_bits
f32_reinterpret_i32 = f32_from_bits
i64_reinterpret_f64 = f64_to_bits
f64_reinterpret_i64 = f64_from_bits


# ------------------------------------------------------------------------------- dispatch

_NUMERIC_OPS = [o for o in op.NAMES if 0x45 <= o <= 0xC4 or 0xFC00 <= o <= 0xFC07]


def _by_name(name):
    return globals()[name.replace(".", "_")]


# Everything else (tests, clz, abs, sqrt, ..., and every conversion) is unary.
_BINARY_KINDS = {"eq", "ne", "lt", "gt", "le", "ge", "lt_s", "lt_u", "gt_s", "gt_u", "le_s",
                 "le_u", "ge_s", "ge_u", "add", "sub", "mul", "div", "div_s", "div_u", "rem_s",
                 "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr", "min",
                 "max", "copysign"}
UNARY = {}
BINARY = {}
for _op in _NUMERIC_OPS:
    _name = op.NAMES[_op]
    if _name.split(".")[1] in _BINARY_KINDS:
        BINARY[_op] = _by_name(_name)
    else:
        UNARY[_op] = _by_name(_name)
del _op, _name


# ------------------------------------------------------------------------- inline templates
# A template is a Python expression in the names ``a`` (and ``b``, the top of the stack) that
# evaluates to exactly what the function returns. ``a`` and ``b`` may occur more than once, so
# bind them to local names (not arbitrary expressions with side effects) and put the template
# in parentheses when pasting it into a larger expression. Trapping ops have no template.

INLINE_GLOBALS = {"_f32_round": f32_round, "_copysign": math.copysign,
                  "_f32_to_bits": f32_to_bits, "_f32_from_bits": f32_from_bits,
                  "_f64_to_bits": f64_to_bits, "_f64_from_bits": f64_from_bits}


def _int_templates(w):
    m = "0x%X" % ((1 << w) - 1)
    s = "0x%X" % (1 << (w - 1))
    k = "(b & %d)" % (w - 1)
    # x ^ sign maps signed order onto unsigned order, so signed compares need no conversion
    cmp_s = "(1 if (a ^ {s}) {o} (b ^ {s}) else 0)"
    t = {
        "eqz": "(0 if a else 1)",
        "eq": "(1 if a == b else 0)", "ne": "(1 if a != b else 0)",
        "lt_u": "(1 if a < b else 0)", "gt_u": "(1 if a > b else 0)",
        "le_u": "(1 if a <= b else 0)", "ge_u": "(1 if a >= b else 0)",
        "lt_s": cmp_s.format(s=s, o="<"), "gt_s": cmp_s.format(s=s, o=">"),
        "le_s": cmp_s.format(s=s, o="<="), "ge_s": cmp_s.format(s=s, o=">="),
        "clz": "%d - a.bit_length()" % w,
        "ctz": "((a & -a).bit_length() - 1 if a else %d)" % w,
        "popcnt": "a.bit_count()",
        "add": "(a + b) & " + m, "sub": "(a - b) & " + m, "mul": "(a * b) & " + m,
        "and": "a & b", "or": "a | b", "xor": "a ^ b",
        "shl": "(a << %s) & %s" % (k, m),
        "shr_s": "(((a ^ %s) - %s) >> %s) & %s" % (s, s, k, m),
        "shr_u": "a >> " + k,
        "rotl": "((a << {k}) | (a >> ({w} - {k}))) & {m}".format(k=k, w=w, m=m),
        "rotr": "((a >> {k}) | (a << ({w} - {k}))) & {m}".format(k=k, w=w, m=m),
        "extend8_s": "(((a & 0xFF) ^ 0x80) - 0x80) & " + m,
        "extend16_s": "(((a & 0xFFFF) ^ 0x8000) - 0x8000) & " + m,
    }
    if w == 64:
        t["extend32_s"] = "(((a & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000) & " + m
    return t


def _float_templates(w):
    r = "_f32_round(%s)" if w == 32 else "%s"
    return {
        "eq": "(1 if a == b else 0)", "ne": "(1 if a != b else 0)",
        "lt": "(1 if a < b else 0)", "gt": "(1 if a > b else 0)",
        "le": "(1 if a <= b else 0)", "ge": "(1 if a >= b else 0)",
        "abs": "abs(a)", "neg": "-a", "copysign": "_copysign(a, b)",
        "add": r % "a + b", "sub": r % "a - b", "mul": r % "a * b",
    }


INLINE = {}
for _prefix, _table in (("i32.", _int_templates(32)), ("i64.", _int_templates(64)),
                        ("f32.", _float_templates(32)), ("f64.", _float_templates(64))):
    for _kind, _tmpl in _table.items():
        INLINE[op.BY_NAME[_prefix + _kind]] = _tmpl
INLINE.update({
    op.I32_WRAP_I64: "a & 0xFFFFFFFF",
    op.I64_EXTEND_I32_S: "((a ^ 0x80000000) - 0x80000000) & 0xFFFFFFFFFFFFFFFF",
    op.I64_EXTEND_I32_U: "a",
    op.F32_CONVERT_I32_S: "_f32_round(float((a ^ 0x80000000) - 0x80000000))",
    op.F32_CONVERT_I32_U: "_f32_round(float(a))",
    op.F64_CONVERT_I32_S: "float((a ^ 0x80000000) - 0x80000000)",
    op.F64_CONVERT_I32_U: "float(a)",
    op.F64_CONVERT_I64_S: "float((a ^ 0x8000000000000000) - 0x8000000000000000)",
    op.F64_CONVERT_I64_U: "float(a)",
    op.F32_DEMOTE_F64: "_f32_round(a)",
    op.F64_PROMOTE_F32: "(a if a == a else a + a)",
    op.I32_REINTERPRET_F32: "_f32_to_bits(a)",
    op.F32_REINTERPRET_I32: "_f32_from_bits(a)",
    op.I64_REINTERPRET_F64: "_f64_to_bits(a)",
    op.F64_REINTERPRET_I64: "_f64_from_bits(a)",
})
del _prefix, _table, _kind, _tmpl
