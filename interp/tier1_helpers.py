"""What tier 1's generated code calls at run time (bound into it by name, see tier1.bind):
call_indirect's checks, the cold instructions, memory.grow, throw, struct packers per access
width, and numerics' inline helpers."""
import struct

from . import numerics
from .cold import run_cold
from .errors import Thrown, Trap
from .values import Exn


def _indirect(table, i, ftype, args):
    """call_indirect's checks; the driver's call request."""
    elems = table.elements
    if i >= len(elems):
        raise Trap("undefined element %d" % i)
    f = elems[i]
    if f is None:
        raise Trap("uninitialized element %d" % i)
    if f.type is not ftype and f.type != ftype:
        raise Trap("indirect call type mismatch")
    return (f, args)


def _cold_op(op, a, inst, mem, *args):
    """A rare instruction through the shared implementation (cold.py); its result or None."""
    st = list(args)
    run_cold(op, a, None, inst, st, mem)
    return st[-1] if st else None


def _grow(memory, n):
    return memory.grow(n) & 0xFFFFFFFF


def _throw(tag, values):
    raise Thrown(Exn(tag, values))


def _throw_ref(exn):
    if exn is None:
        raise Trap("null exception reference")
    raise Thrown(exn)


def _s(fmt):
    return struct.Struct("<" + fmt)


HELPERS = {"_Trap": Trap, "_indirect": _indirect, "_cold_op": _cold_op, "_grow": _grow,
           "_throw": _throw, "_throw_ref": _throw_ref, "_Thrown": Thrown}
for _c in "bBhHiIqQfd":
    HELPERS["_ld" + _c] = _s(_c).unpack_from
    HELPERS["_st" + _c] = _s(_c).pack_into
HELPERS.update(numerics.INLINE_GLOBALS)
