"""Lowering: a validated function body -> internal code for the machine's run loop.

Done once per function, lazily at its first call (big apps call a fraction of their functions),
and cached in the module's code map (``module.codemap.lowered[k]``, interp/codemap.py). What
lowering does, so the run loop does not have to:

* immediates are decoded into the instruction tuple ``(op, a, b)`` (ops numbered below);
* blocks, loops and ends vanish; ``if``/``else`` become conditional/unconditional jumps;
* every branch knows its target pc, and whether it must cut the operand stack: the label's
  arity (values kept) and the label's height (where the stack is cut, relative to the frame's
  base), both from validate's ``heights``;
* unreachable code is dropped;
* common instruction sequences are fused into one instruction ("superinstructions");
* a ``try_table`` vanishes like a block; its catch clauses go into ``Code.handlers``, a static
  table the unwinder (interp/unwind.py) searches by pc when an exception passes the frame.

A ``Code`` keeps the maps between internal pcs and Wasm bytecode offsets. ``offsets[pc]`` is
the offset of the first Wasm instruction of internal instruction ``pc``; ``pc_at`` maps back.
``pc_at`` holds only the offsets where the machine can stop and resume exactly: the start of an
internal instruction, or of a vanished instruction (block, loop, end, nop) right before it.
Fusion never crosses a label, so loop headers, branch targets, function entry and the
instruction after a call always start an internal instruction.

For a later code-generating tier: the block/branch analysis is ``_lower``'s walk with its
control stack of ``_Label`` (kind, height, arity, loop start, forward fixups) and ``branch()``
(keep/cut decision from the heights); the encoding is all in ``_Emitter``. Swapping the emitter
for one that writes Python source reuses the analysis unchanged.
"""
import struct

from . import atomics
from . import numerics
from . import opcodes as W

# ---- internal opcodes: small ints, grouped in ranges the run loop splits on (machine.py tests
# them as literals, in this order: hot ones first; test_machine checks the two files agree). ----
LGET, CONST, LSET, LTEE, I32_ADD, BR_IF, JUMP, LOOP_JUMP = 0, 1, 2, 3, 4, 5, 6, 7
BR_IF_LOOP, BR_IFZ, CALL, RETURN, ADD_C, LGET2, GGET, GSET = 8, 9, 10, 11, 12, 13, 14, 15
# fused: L = a local, C = a constant
LC_ADD = 16        # local.get a; i32.const b; i32.add        -> push (L[a] + b) & M32
L_ADD = 17         # local.get a; i32.add                     -> top = (top + L[a]) & M32
LC_BR_CMP = 18     # local.get; i32.const; <i32 cmp>; br_if   -> a = target, b = (local, *LC_CMP b)
BR_CMP = 19        # <i32 cmp>; br_if                 -> a = target, b = (kind, flip, src, y)
L_BR_IF = 20       # local.get b; br_if a
SET_GET = 21       # local.set a; local.get b
TEE_SET = 22       # local.tee a; local.set b
TEE_GET = 23       # local.tee a; local.get b
LC_CMP = 24        # local.get a; i32.const; <i32 cmp>        -> b = (const ^ flip, kind, flip)
L_BR_IFZ = 25      # local.get b; i32.eqz; br_if a
L_LOAD = 76        # local.get a; i32.load b                  -> push u32 at L[a] + b
TEE_BR_IF = 77     # local.tee b; br_if a
# Binary ops in _OPERAND_OPS take their right operand from b: None = the stack, 0 = the constant
# a, 1 = the local a (fused i32.const / local.get before them). STORE8's b: None or a constant.
# plain i32 (26..47)
I32_SUB, I32_MUL, I32_AND, I32_OR, I32_XOR, I32_SHL, I32_SHR_U, I32_SHR_S = range(26, 34)
I32_EQZ, I32_EQ, I32_NE, I32_LT_S, I32_LT_U, I32_GT_S, I32_GT_U = range(34, 41)
I32_LE_S, I32_LE_U, I32_GE_S, I32_GE_U = range(41, 45)
I32_LOAD, I32_STORE, LOAD8_U = 45, 46, 47
# other common (48..79)
STORE8, LOAD, LOAD_S, STORE, DROP, SELECT, BINOP, UNOP = range(48, 56)
I64_ADD, I64_SUB, I64_MUL, I64_AND, I64_OR, I64_XOR, I64_SHL, I64_SHR_U = range(56, 64)
I64_EQZ, I64_EQ, I64_NE, F64_ADD, F64_SUB, F64_MUL, LOAD_F32, STORE_F32 = range(64, 72)
STORE_F64, BR_CUT, BR_IF_CUT, BR_TABLE = range(72, 76)
# cold (100..): calls through objects, memory/table management, traps
CALL_IMPORT, CALL_INDIRECT, UNREACHABLE, MEM_SIZE, MEM_GROW, MEM_FILL, MEM_COPY = range(100, 107)
MEM_INIT, DATA_DROP, TABLE_GET, TABLE_SET, TABLE_SIZE, TABLE_GROW, TABLE_FILL = range(107, 114)
TABLE_COPY, TABLE_INIT, ELEM_DROP, REF_FUNC, REF_IS_NULL = range(114, 119)
OSR_ENTER = 119    # never in a Code: the run loop's one-op program after on-stack replacement
# exception handling and tail calls (cold; interp/unwind.py does the work)
THROW, THROW_REF, RETURN_CALL, RETURN_CALL_INDIRECT = range(120, 124)
ATOMIC = 124       # the threads proposal's atomic instructions (cold.py, interp/atomics.py)

NAMES = {v: k for k, v in list(globals().items()) if k.isupper() and isinstance(v, int)}

# Wasm ops that become one internal op without an immediate
_SIMPLE = {
    W.I32_ADD: I32_ADD, W.I32_SUB: I32_SUB, W.I32_MUL: I32_MUL, W.I32_AND: I32_AND,
    W.I32_OR: I32_OR, W.I32_XOR: I32_XOR, W.I32_SHL: I32_SHL, W.I32_SHR_U: I32_SHR_U,
    W.I32_SHR_S: I32_SHR_S, W.I32_EQZ: I32_EQZ, W.I32_EQ: I32_EQ, W.I32_NE: I32_NE,
    W.I32_LT_S: I32_LT_S, W.I32_LT_U: I32_LT_U, W.I32_GT_S: I32_GT_S, W.I32_GT_U: I32_GT_U,
    W.I32_LE_S: I32_LE_S, W.I32_LE_U: I32_LE_U, W.I32_GE_S: I32_GE_S, W.I32_GE_U: I32_GE_U,
    W.I64_ADD: I64_ADD, W.I64_SUB: I64_SUB, W.I64_MUL: I64_MUL, W.I64_AND: I64_AND,
    W.I64_OR: I64_OR, W.I64_XOR: I64_XOR, W.I64_SHL: I64_SHL, W.I64_SHR_U: I64_SHR_U,
    W.I64_EQZ: I64_EQZ, W.I64_EQ: I64_EQ, W.I64_NE: I64_NE,
    W.F64_ADD: F64_ADD, W.F64_SUB: F64_SUB, W.F64_MUL: F64_MUL,
    W.DROP: DROP, W.SELECT: SELECT, W.SELECT_T: SELECT, W.UNREACHABLE: UNREACHABLE,
    W.MEMORY_SIZE: MEM_SIZE, W.MEMORY_GROW: MEM_GROW, W.MEMORY_FILL: MEM_FILL,
    W.MEMORY_COPY: MEM_COPY, W.REF_IS_NULL: REF_IS_NULL,
}
# Wasm ops that keep their immediate as `a`
_WITH_IMM = {
    W.LOCAL_GET: LGET, W.LOCAL_SET: LSET, W.LOCAL_TEE: LTEE, W.GLOBAL_GET: GGET,
    W.GLOBAL_SET: GSET, W.I32_CONST: CONST, W.I64_CONST: CONST, W.F32_CONST: CONST,
    W.F64_CONST: CONST, W.MEMORY_INIT: MEM_INIT, W.DATA_DROP: DATA_DROP, W.TABLE_GET: TABLE_GET,
    W.TABLE_SET: TABLE_SET, W.TABLE_SIZE: TABLE_SIZE, W.TABLE_GROW: TABLE_GROW,
    W.TABLE_FILL: TABLE_FILL, W.TABLE_COPY: TABLE_COPY, W.TABLE_INIT: TABLE_INIT,
    W.ELEM_DROP: ELEM_DROP, W.REF_FUNC: REF_FUNC,
}


def _s(fmt):
    return struct.Struct("<" + fmt)


# memory access: Wasm op -> (internal op, b)
_U32 = _s("I")
_LOADS = {
    W.I32_LOAD: (I32_LOAD, None), W.I32_LOAD8_U: (LOAD8_U, None), W.I64_LOAD8_U: (LOAD8_U, None),
    W.I64_LOAD: (LOAD, _s("Q").unpack_from), W.F64_LOAD: (LOAD, _s("d").unpack_from),
    W.I32_LOAD16_U: (LOAD, _s("H").unpack_from), W.I64_LOAD16_U: (LOAD, _s("H").unpack_from),
    W.I64_LOAD32_U: (LOAD, _U32.unpack_from),
    W.I32_LOAD8_S: (LOAD_S, (_s("b").unpack_from, 0xFFFFFFFF)),
    W.I32_LOAD16_S: (LOAD_S, (_s("h").unpack_from, 0xFFFFFFFF)),
    W.I64_LOAD8_S: (LOAD_S, (_s("b").unpack_from, 0xFFFFFFFFFFFFFFFF)),
    W.I64_LOAD16_S: (LOAD_S, (_s("h").unpack_from, 0xFFFFFFFFFFFFFFFF)),
    W.I64_LOAD32_S: (LOAD_S, (_s("i").unpack_from, 0xFFFFFFFFFFFFFFFF)),
    W.F32_LOAD: (LOAD_F32, None),
}
_STORES = {
    W.I32_STORE: (I32_STORE, None), W.I32_STORE8: (STORE8, None), W.I64_STORE8: (STORE8, None),
    W.I32_STORE16: (STORE, (_s("H").pack_into, 0xFFFF)),
    W.I64_STORE16: (STORE, (_s("H").pack_into, 0xFFFF)),
    W.I64_STORE32: (STORE, (_U32.pack_into, 0xFFFFFFFF)),
    W.I64_STORE: (STORE, (_s("Q").pack_into, 0xFFFFFFFFFFFFFFFF)),
    W.F64_STORE: (STORE_F64, None), W.F32_STORE: (STORE_F32, None),
}

FUSE = True  # False: no superinstructions (to measure them, or to test the plain ops)

_ZERO = {W.I32: 0, W.I64: 0, W.F32: 0.0, W.F64: 0.0, W.FUNCREF: None, W.EXTERNREF: None,
         W.EXNREF: None}


class Code:
    """The lowered form of one defined function (shared by every instance of its module)."""
    __slots__ = ("ops", "offsets", "pc_at", "func_index", "defined_index", "nparams",
                 "nresults", "zeros", "type", "cost", "heat", "t1", "handlers")

    def __init__(self, ops, offsets, pc_at, func_index, defined_index, functype, zeros,
                 handlers=()):
        self.ops = ops                    # list of (op, a, b)
        self.offsets = offsets            # internal pc -> Wasm offset
        self.pc_at = pc_at                # Wasm offset -> internal pc (resume points only)
        self.func_index = func_index      # in the function index space of the module
        self.defined_index = defined_index
        self.type = functype
        self.nparams = len(functype.params)
        self.nresults = len(functype.results)
        self.zeros = zeros                # initial values of the declared locals
        # what a frame counts toward Machine.max_call_depth: 1, more for many locals
        self.cost = 1 + (self.nparams + len(zeros)) // 32
        self.heat = 0    # tier-0 calls + back-edges seen (the machine's tiering policy)
        self.t1 = None   # tier1.Compiled once compiled for tier 1, False: stays in tier 0
        # try_table handlers, innermost first: (start pc, end pc, clauses), the clauses
        # (kind, tag index or None, [target pc, keep, height, back]) in order; an exception
        # raised by the instruction at pc (a throw, or a call it passes) with start <= pc < end
        # is caught by the first clause whose tag matches
        self.handlers = handlers

    def dump(self):
        """Readable listing, for debugging."""
        return "\n".join("%4d @%-6d %-12s %r %r" % (pc, self.offsets[pc], NAMES[o], a, b)
                         for pc, (o, a, b) in enumerate(self.ops))


def lower_function(module, k):
    """The Code of defined function k of `module` (decoded by interp.decode: it has a code
    map with validation's heights)."""
    lowered = module.codemap.lowered
    code = lowered.get(k)
    if code is None:
        code = lowered[k] = _lower(module, k)
    return code


class _Label:
    """One open block during lowering. `height`: stack height (above the frame base) under the
    block's parameters; `arity`: values a branch to it carries; `start`: pc of a loop header;
    `fixups`: forward branches to patch with the pc after the block's end (an int pc, or a
    br_table entry list)."""
    __slots__ = ("kind", "height", "arity", "start", "fixups", "else_fixup", "dead", "catches")

    def __init__(self, kind, height, arity, start=None, dead=False):
        self.kind = kind
        self.height = height
        self.arity = arity
        self.start = start
        self.fixups = []
        self.else_fixup = None
        self.dead = dead
        self.catches = None  # a try_table's clauses (see Code.handlers)


def _block_arity(types, blocktype):
    """(params, results) counts of a block type immediate."""
    if blocktype == W.BLOCK_EMPTY:
        return 0, 0
    if blocktype < 0:
        return 0, 1
    ft = types[blocktype]
    return len(ft.params), len(ft.results)


# ops whose right operand may come from a constant or a local instead of the stack (see emit)
_OPERAND_OPS = {I32_SUB, I32_MUL, I32_AND, I32_OR, I32_XOR, I32_SHL, I32_SHR_U, I32_SHR_S,
                I32_EQ, I32_NE, I32_LT_S, I32_LT_U, I32_GT_S, I32_GT_U, I32_LE_S, I32_LE_U,
                I32_GE_S, I32_GE_U, I64_ADD, I64_SUB, I64_MUL, I64_AND, I64_OR, I64_XOR, I64_SHL,
                I64_SHR_U}

# i32 compare -> (kind, flip) for the fused compare ops: kind 0 lt, 1 ne, 2 eq, 3 ge, 4 gt, 5 le
# on unsigned values; a signed compare first flips the sign bit of both sides (x ^ 2**31 maps
# signed order onto unsigned order).
_CMP_OPS = {I32_LT_S: (0, 0x80000000), I32_LT_U: (0, 0), I32_NE: (1, 0), I32_EQ: (2, 0),
            I32_GE_S: (3, 0x80000000), I32_GE_U: (3, 0), I32_GT_S: (4, 0x80000000),
            I32_GT_U: (4, 0), I32_LE_S: (5, 0x80000000), I32_LE_U: (5, 0)}


class _Emitter:
    """Appends internal instructions, keeps the pc <-> offset maps, and fuses an instruction
    with the ones before it when a pattern matches. `barrier`: no fusion reaches below it (it is
    moved up at every label point, so branch targets always start an instruction)."""

    def __init__(self):
        self.ops = []
        self.offsets = []
        self.pc_at = {}
        self.barrier = 0

    def label_point(self, off=None):
        """The next instruction is a branch target / resume point; `off` (a vanished block,
        loop, else or end) resumes there too."""
        self.barrier = len(self.ops)
        if off is not None:
            self.pc_at.setdefault(off, len(self.ops))

    def _pop(self):
        """Take back the last instruction (to re-emit it fused); returns its offset."""
        self.ops.pop()
        off = self.offsets.pop()
        if self.pc_at.get(off) == len(self.ops):
            del self.pc_at[off]
        return off

    def emit(self, op, a, b, off):
        """Append (op, a, b); return the pc of the instruction that now holds it."""
        ops = self.ops
        n = len(ops) - self.barrier  # instructions available for fusion
        if n > 0 and FUSE:
            p = ops[-1]
            po = p[0]
            fused = None
            if op == I32_ADD and po == CONST:
                return self.emit(ADD_C, p[1], None, self._pop())  # then maybe LC_ADD
            if op in _OPERAND_OPS and b is None and po in (CONST, LGET) and p[1] is not None:
                # the right operand from a constant (b = 0) or a local (b = 1), not the stack
                if not (op in _CMP_OPS and po == CONST and n > 1 and ops[-2][0] == LGET):
                    return self.emit(op, p[1], 0 if po == CONST else 1, self._pop())
            if op == STORE8 and b is None and po == CONST:
                return self.emit(STORE8, a, p[1], self._pop())
            if op == LGET and po == LTEE:
                fused = (TEE_GET, p[1], a)
            elif op == ADD_C and po == LGET:
                fused = (LC_ADD, p[1], a)
            elif op == I32_ADD and po == LGET:
                fused = (L_ADD, p[1], None)
            elif op == LGET and po == LGET:
                fused = (LGET2, p[1], a)
            elif op == LGET and po == LSET:
                fused = (SET_GET, p[1], a)
            elif op == LSET and po == LTEE:
                fused = (TEE_SET, p[1], a)
            elif op == I32_LOAD and po == LGET:
                fused = (L_LOAD, p[1], a)
            elif op in _CMP_OPS and b is None and po == CONST and n > 1 and ops[-2][0] == LGET:
                self._pop()
                kind, flip = _CMP_OPS[op]
                fused = (LC_CMP, ops[-1][1], (p[1] ^ flip, kind, flip))
            elif op == BR_IF or op == BR_IF_LOOP:  # fused branches check back-edges themselves
                if po == LC_CMP:
                    fused = (LC_BR_CMP, a, (p[1],) + p[2])
                elif po in _CMP_OPS:  # b = (kind, flip, operand source, operand) as above
                    kind, flip = _CMP_OPS[po]
                    y = p[1] ^ flip if p[2] == 0 else p[1]
                    fused = (BR_CMP, a, (kind, flip, p[2], y))
                elif po == I32_EQZ and op == BR_IF:
                    return self.emit(BR_IFZ, a, b, self._pop())
                elif po == LGET:
                    fused = (L_BR_IF, a, p[1])
                elif po == LTEE:
                    fused = (TEE_BR_IF, a, p[1])
            elif op == BR_IFZ and po == LGET:
                fused = (L_BR_IFZ, a, p[1])
            if fused is not None:
                ops[-1] = fused
                return len(ops) - 1
        pc = len(ops)
        self.pc_at[off] = pc
        ops.append((op, a, b))
        self.offsets.append(off)
        return pc

    def patch(self, fixup, target):
        if isinstance(fixup, list):
            fixup[0] = target
        else:
            op, _, b = self.ops[fixup]
            self.ops[fixup] = (op, target, b)


def _lower(module, k):
    f = module.funcs[k]
    functype = module.types[f.type_idx]
    heights = module.codemap.heights[k]
    nimported = len(module.imported("func"))
    types = module.types
    nres = len(functype.results)
    out = _Emitter()
    emit = out.emit
    labels = [_Label("func", 0, nres)]
    handlers = []

    def target(depth):
        """A branch target entry [pc, keep, height, back] for label `depth` (patched with the
        pc after the block's end when the label is a forward one)."""
        lab = labels[-1 - depth]
        e = [lab.start, lab.arity, lab.height, lab.kind == "loop"]
        if lab.kind != "loop":
            lab.fixups.append(e)
        return e

    def branch(depth, h, cond, off):
        """br / br_if to label `depth`; `h`: stack height once the condition is popped.
        The function's own label is the final RETURN (so a branch to it is a return)."""
        lab = labels[-1 - depth]
        keep = lab.arity
        back = lab.kind == "loop"
        if h - keep == lab.height:  # nothing to drop
            if back:
                emit(BR_IF_LOOP if cond else LOOP_JUMP, lab.start, None, off)
            else:
                lab.fixups.append(emit(BR_IF if cond else JUMP, None, None, off))
        else:
            pc = emit(BR_IF_CUT if cond else BR_CUT, lab.start, (keep, lab.height, back), off)
            if not back:
                lab.fixups.append(pc)

    for i, (op, imm, off) in enumerate(f.body):
        h = heights[i]
        if op == W.END:
            lab = labels.pop()
            if lab.dead:
                continue
            if lab.kind == "func":  # always a RETURN here: branches to the function label use it
                out.label_point(off)
                for fx in lab.fixups:
                    out.patch(fx, len(out.ops))
                emit(RETURN, None, None, off)
                break
            for fx in lab.fixups:
                out.patch(fx, len(out.ops))
            if lab.else_fixup is not None:
                out.patch(lab.else_fixup, len(out.ops))
            if lab.catches is not None:
                handlers.append((lab.start, len(out.ops), lab.catches))
            out.label_point(off)
        elif op == W.ELSE:
            lab = labels[-1]
            if lab.dead:
                continue
            if h >= 0:  # the then-branch falls through: jump over the else-branch
                lab.fixups.append(emit(JUMP, None, None, off))
            out.patch(lab.else_fixup, len(out.ops))
            lab.else_fixup = None
            out.label_point(off)
        elif h < 0:  # unreachable code: only its block structure matters
            if op in (W.BLOCK, W.LOOP, W.IF, W.TRY_TABLE):
                labels.append(_Label("dead", 0, 0, dead=True))
        elif op == W.BLOCK or op == W.LOOP:
            np, nr = _block_arity(types, imm)
            out.label_point(off)
            if op == W.BLOCK:
                labels.append(_Label("block", h - np, nr))
            else:
                labels.append(_Label("loop", h - np, np, start=len(out.ops)))
        elif op == W.TRY_TABLE:
            bt, clauses = imm
            np, nr = _block_arity(types, bt)
            catches = [(kind, tag, target(depth)) for kind, tag, depth in clauses]
            out.label_point(off)
            lab = _Label("block", h - np, nr, start=len(out.ops))
            lab.catches = catches
            labels.append(lab)
        elif op == W.THROW:
            emit(THROW, imm, len(module.types[module.tag_types()[imm]].params), off)
        elif op == W.THROW_REF:
            emit(THROW_REF, None, None, off)
        elif op == W.RETURN_CALL:
            emit(RETURN_CALL, imm, None, off)
        elif op == W.RETURN_CALL_INDIRECT:
            ti, table = imm
            emit(RETURN_CALL_INDIRECT, types[ti], table, off)
        elif op == W.IF:
            np, nr = _block_arity(types, imm)
            lab = _Label("if", h - 1 - np, nr)
            lab.else_fixup = emit(BR_IFZ, None, None, off)
            labels.append(lab)
            out.label_point()
        elif op == W.BR:
            branch(imm, h, False, off)
        elif op == W.BR_IF:
            branch(imm, h - 1, True, off)
        elif op == W.BR_TABLE:
            depths, default = imm
            entries = []
            for d in depths + (default,):
                lab = labels[-1 - d]
                e = [lab.start, lab.arity, lab.height, lab.kind == "loop"]
                if lab.kind != "loop":
                    lab.fixups.append(e)
                entries.append(e)
            emit(BR_TABLE, entries, None, off)
        elif op == W.RETURN:
            if h == nres:
                emit(RETURN, None, None, off)
            else:  # values to drop: a cutting branch to the function's final RETURN
                branch(len(labels) - 1, h, False, off)
        elif op == W.NOP or op == 0xFE03:  # (atomic.fence: one thread, nothing to order)
            pass
        elif op in atomics.SPECS:
            kind, vt, size = atomics.SPECS[op]
            emit(ATOMIC, (kind, vt, size, imm[1]), None, off)
        elif op == W.CALL:
            if imm < nimported:
                emit(CALL_IMPORT, imm, None, off)
            else:
                emit(CALL, imm, imm - nimported, off)
            out.label_point()  # the instruction after a call is a resume point
        elif op == W.CALL_INDIRECT:
            ti, table = imm
            emit(CALL_INDIRECT, types[ti], table, off)
            out.label_point()
        elif op in _SIMPLE:
            emit(_SIMPLE[op], None, None, off)
        elif op in _WITH_IMM:
            emit(_WITH_IMM[op], imm, None, off)
        elif op == W.REF_NULL:
            emit(CONST, None, None, off)
        elif op in _LOADS:
            o, b = _LOADS[op]
            emit(o, imm[1], b, off)
        elif op in _STORES:
            o, b = _STORES[op]
            emit(o, imm[1], b, off)
        elif op in numerics.BINARY:
            emit(BINOP, numerics.BINARY[op], None, off)
        elif op in numerics.UNARY:
            emit(UNOP, numerics.UNARY[op], None, off)
        else:
            raise NotImplementedError("lowering of opcode %s" % W.NAMES.get(op, op))
    zeros = [_ZERO[t] for t in f.locals]
    return Code(out.ops, out.offsets, out.pc_at, nimported + k, k, functype, zeros,
                handlers)
