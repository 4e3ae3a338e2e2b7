"""Tier 1's vocabulary, shared by the emitter (tier1_emit.py) and its per-instruction part
(tier1_ops.py): pending expressions, slot names, masks and the limits past which a function
stays in tier 0."""
from . import opcodes as W

MAX_BODY = 30000          # Wasm instructions: bigger functions stay in tier 0
MAX_LOOP_NESTING = 18     # CPython allows 20 statically nested loops
MAX_INDENT = 90           # and 100 indentation levels
MAX_EXPR = 24             # operators in one folded expression
MAX_TABLE_TARGETS = 64    # distinct targets of one br_table

_M = {32: "0xFFFFFFFF", 64: "0xFFFFFFFFFFFFFFFF"}
_SIGN = {32: "0x80000000", 64: "0x8000000000000000"}
_ZERO_SRC = {W.I32: "0", W.I64: "0", W.F32: "0.0", W.F64: "0.0", W.FUNCREF: "None",
             W.EXTERNREF: "None", W.EXNREF: "None"}
# what tier 1 does not generate: functions holding these stay in tier 0 (a tail call's frame
# replacement is tier 0's, interp/unwind.py)
TIER0_ONLY = {W.RETURN_CALL: "return_call", W.RETURN_CALL_INDIRECT: "return_call_indirect"}


class Unsupported(Exception):
    """This function stays in tier 0."""


class _E:
    """A symbolic operand-stack entry: a Python expression."""
    __slots__ = ("e", "exact", "mask", "pure", "reads", "size", "atom", "cond")

    def __init__(self, e, exact=True, mask=None, pure=True, reads=frozenset(), size=1,
                 atom=False, cond=None):
        self.e = e          # the expression (parenthesized unless atomic)
        self.exact = exact  # False: congruent to the value modulo 2**w; `mask` makes it exact
        self.mask = mask
        self.pure = pure    # cannot trap, reads only locals/slots
        self.reads = reads  # names of locals/slots read
        self.size = size
        self.atom = atom    # a name or a literal
        self.cond = cond    # a Python bool expression equal to value != 0 (compares)


def _par(x):
    """x, parenthesized unless it is a name or already parenthesized."""
    return x if x.isidentifier() or (x[0] == "(" and x[-1] == ")") else "(%s)" % x


def _slot(i):
    n = "s%d" % i
    return _E(n, reads=frozenset((n,)), size=0, atom=True)
