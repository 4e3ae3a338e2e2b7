"""Streaming validation of function bodies: one pass over a body's bytes that decodes and
type-checks at once and keeps nothing per instruction, so that a big module's first
instruction is not preceded by two decodes and a check of every body.

The reference stays decode._decode_expr + validate.check_body; this pass is only a faster way
to the same "valid". It handles inline the instructions that make up nearly all code (numeric,
memory, locals, globals, calls, control); a body with any other instruction is checked the
reference way. Any error raised here is only a "no": interp.decode then runs the reference
decode and validation, whose error (the first malformed byte, else the first invalid
instruction) is the one reported, so no message or offset depends on this module.
"""
from .decode import _BLOCKTYPES, _decode_expr, _s33, _s64, _u32
from .errors import InvalidError, MalformedError
from .opcodes import (BLOCK, BLOCK_EMPTY, BLOCK_VALTYPE, BR, BR_IF, BR_TABLE, CALL,
                      CALL_INDIRECT, DROP, ELSE, END, F32_CONST, F64_CONST, FUNCREF, GLOBAL_GET,
                      GLOBAL_SET, I32, I32_CONST, I64_CONST, IF, LOCAL_GET, LOCAL_SET,
                      LOCAL_TEE, LOOP, MEMORY_GROW, MEMORY_SIZE, NOP, REF_TYPES, RETURN, SELECT,
                      UNREACHABLE, V128)
from .validate import SIMPLE, UNKNOWN, check_body, validate_module


MARK = -1   # the bottom of a control frame's values in `vals` (no value type is negative)


class _No(Exception):
    """This pass's "not valid" (interp.decode falls back to the reference for the error)."""


# What each opcode byte is to the loop below (its if-chain tests the frequent ones first).
_CLASS_CODES = tuple(range(29))
(C_OTHER, C_BIN, C_SIMPLE, C_MEM, C_LOCAL_GET, C_LOCAL_SET, C_LOCAL_TEE, C_I32_CONST,
 C_BLOCK, C_END, C_BR_IF, C_BR, C_CALL, C_GLOBAL_GET, C_GLOBAL_SET, C_ELSE, C_I64_CONST,
 C_F32_CONST, C_F64_CONST, C_BR_TABLE, C_RETURN, C_UNREACHABLE, C_NOP, C_DROP, C_SELECT,
 C_CALL_INDIRECT, C_MEMORY_SIZE, C_MEMORY_GROW, C_PREFIX) = _CLASS_CODES

_CLASS = [C_OTHER] * 256
_SIG = [None] * 256
_BIN_TYPE = [None] * 256    # C_BIN: [t, t] -> t, the commonest shape
for _op, _sig in SIMPLE.items():
    if _op < 256:
        _CLASS[_op] = C_MEM if _sig[3] >= 0 else C_SIMPLE
        _SIG[_op] = _sig
        if _sig[3] < 0 and _sig[0] == [_sig[1], _sig[1]]:
            _CLASS[_op] = C_BIN
            _BIN_TYPE[_op] = _sig[1]
for _op, _c in ((LOCAL_GET, C_LOCAL_GET), (LOCAL_SET, C_LOCAL_SET), (LOCAL_TEE, C_LOCAL_TEE),
                (I32_CONST, C_I32_CONST), (BLOCK, C_BLOCK), (LOOP, C_BLOCK), (IF, C_BLOCK),
                (END, C_END), (BR_IF, C_BR_IF), (BR, C_BR), (CALL, C_CALL),
                (GLOBAL_GET, C_GLOBAL_GET), (GLOBAL_SET, C_GLOBAL_SET), (ELSE, C_ELSE),
                (I64_CONST, C_I64_CONST), (F32_CONST, C_F32_CONST), (F64_CONST, C_F64_CONST),
                (BR_TABLE, C_BR_TABLE), (RETURN, C_RETURN), (UNREACHABLE, C_UNREACHABLE),
                (NOP, C_NOP), (DROP, C_DROP), (SELECT, C_SELECT),
                (CALL_INDIRECT, C_CALL_INDIRECT), (MEMORY_SIZE, C_MEMORY_SIZE),
                (MEMORY_GROW, C_MEMORY_GROW), (0xFC, C_PREFIX)):
    _CLASS[_op] = _c
del _op, _sig, _c
# 0xFC-prefixed: the saturating truncations and memory.copy / memory.fill (bulk memory in C
# code); the table and segment ones are left to the reference
_TRUNC_SAT = [SIMPLE[0xFC00 + sub] for sub in range(8)]
_I32X3 = [I32, I32, I32]

# A body's facts, gathered on the way for the later stages that would otherwise scan every
# body once more (offload's analysis): (direct callees, [(type, table) of each call_indirect
# in order], effects, has a loop). effects: READ | WRITE of memory, and per global i the bits
# 1 << (2 + 2i) (read) and 1 << (3 + 2i) (written).
READ, WRITE = 1, 2
_MEM_EFFECT = [0] * 256
for _op in range(256):
    if _CLASS[_op] == C_MEM:
        _MEM_EFFECT[_op] = READ if _SIG[_op][1] else WRITE
del _op


def validate_streaming(module):
    """validate_module(module, keep=False) for a module decoded with check_bodies=False: the
    same heights for a valid module, and each body's facts (None for one checked the
    reference way); raises for any other module (then ask the reference why)."""
    data = module.raw
    needs_datacount = module.datacount is None

    facts = []

    def body_check(ctx, params, results, f):
        got = _check_code(ctx, params, results, f.locals, data, f.code_at, f.code_end)
        facts.append(got)
        if got is not None:
            return
        body, end, uses_data = _decode_expr(data, f.code_at)   # the reference, this body only
        if end != f.code_end or (uses_data and needs_datacount):
            raise _No()
        check_body(ctx, params, results, f.locals, body, len(body), f.offset)

    heights = validate_module(module, keep=False, body_check=body_check)
    return heights, facts


NOT_VALID = (_No, MalformedError, InvalidError, IndexError)  # what "not valid here" raises


def _check_code(ctx, params, results, local_types, data, pos, end):
    """The body's facts when its instructions, data[pos:end], are valid; None when it holds an
    instruction left to the reference. Raises _No (or a decode error) when it is not valid.

    The state is validate.check_body's (operand types `vals`, control frames
    [opcode, start types, end types, height, unreachable, label types]) but each frame's
    values sit above a MARK in `vals`: a type test on the top values fails at a frame's
    bottom by itself, so the common cases need no height check."""
    # the class codes as locals (the compares of the dispatch chain read them fastest)
    (C_OTHER, C_BIN, C_SIMPLE, C_MEM, C_LOCAL_GET, C_LOCAL_SET, C_LOCAL_TEE, C_I32_CONST,
     C_BLOCK, C_END, C_BR_IF, C_BR, C_CALL, C_GLOBAL_GET, C_GLOBAL_SET, C_ELSE, C_I64_CONST,
     C_F32_CONST, C_F64_CONST, C_BR_TABLE, C_RETURN, C_UNREACHABLE, C_NOP, C_DROP, C_SELECT,
     C_CALL_INDIRECT, C_MEMORY_SIZE, C_MEMORY_GROW, C_PREFIX) = _CLASS_CODES
    I32_ = I32
    vals = [MARK]
    push = vals.append
    pop = vals.pop
    results = list(results)
    ctrls = [[None, [], results, 1, False, results]]
    locals_ = list(params) + list(local_types)
    height = 1
    has_mem = ctx.mems > 0
    types = ctx.types
    funcs = ctx.funcs
    glob_types = ctx.globals
    classes = _CLASS
    sigs = _SIG
    bin_type = _BIN_TYPE
    mem_effect = _MEM_EFFECT
    calls = set()
    indirect = []
    effects = 0
    loop = False

    def pop_one(expect):
        """Pop one value (slow path): UNKNOWN from an unreachable frame's empty stack."""
        frame = ctrls[-1]
        if len(vals) == frame[3]:
            if frame[4]:
                return UNKNOWN
            raise _No()
        actual = vals.pop()
        if expect and actual and actual != expect:
            raise _No()
        return actual

    def pop_list(expected):
        n = len(expected)
        if not n:
            return expected
        if vals[-n:] == expected:           # a MARK in the slice never compares equal
            del vals[-n:]
            return expected
        got = [pop_one(t) for t in reversed(expected)]
        got.reverse()
        return got

    def label(depth):
        if depth >= len(ctrls):
            raise _No()
        return ctrls[-1 - depth][5]

    while True:
        op = data[pos]
        pos += 1
        c = classes[op]
        if c == C_LOCAL_GET:
            b = data[pos]
            if b < 0x80:
                pos += 1
            else:
                b, pos = _u32(data, pos)
            t = locals_[b]                  # an unknown local: IndexError
            if bin_type[data[pos]] == t and vals[-1] == t:
                pos += 1   # a binop of its type after it: [t t] -> t, net nothing
            else:
                push(t)
        elif c == C_BIN:
            t = bin_type[op]
            if vals[-1] == t and vals[-2] == t:
                pop()
            else:
                pop_list(sigs[op][0])
                push(t)
        elif c == C_I32_CONST:
            if data[pos] < 0x80:   # up to 4 bytes, any value bits may be set: skip them
                pos += 1
            elif data[pos + 1] < 0x80:
                pos += 2
            elif data[pos + 2] < 0x80:
                pos += 3
            elif data[pos + 3] < 0x80:
                pos += 4
            else:   # the 5th byte: no continuation, its unused bits all equal to the sign
                b = data[pos + 4] & 0xF8
                if b and b != 0x78:
                    raise _No()
                pos += 5
            if bin_type[data[pos]] == I32_ and vals[-1] == I32_:
                pos += 1   # an i32 binop after it (no immediate): [i32 i32] -> i32, net nothing
            else:
                push(I32_)
        elif c == C_MEM:
            align = data[pos]
            if align < 0x80:
                pos += 1
            else:
                align, pos = _u32(data, pos)
            if data[pos] < 0x80:
                pos += 1
            else:
                _, pos = _u32(data, pos)
            sig = sigs[op]
            if not has_mem or align > sig[3]:
                raise _No()
            effects |= mem_effect[op]
            if vals[-sig[2]:] == sig[0]:
                del vals[-sig[2]:]
            else:
                pop_list(sig[0])
            if sig[1]:
                push(sig[1])
        elif c == C_LOCAL_TEE or c == C_LOCAL_SET:
            b = data[pos]
            if b < 0x80:
                pos += 1
            else:
                b, pos = _u32(data, pos)
            t = locals_[b]
            if vals[-1] == t:
                if c == C_LOCAL_SET:
                    pop()
            else:
                pop_one(t)
                if c == C_LOCAL_TEE:
                    push(t)
        elif c == C_SIMPLE:
            sig = sigs[op]
            n = sig[2]
            if n:
                if vals[-n:] == sig[0]:
                    del vals[-n:]
                else:
                    pop_list(sig[0])
            push(sig[1])
        elif c == C_END:
            frame = ctrls[-1]
            if frame[2]:
                pop_list(frame[2])
            if len(vals) != frame[3]:
                raise _No()
            ctrls.pop()
            if frame[0] == IF and frame[1] != frame[2]:
                raise _No()
            if not ctrls:
                return (calls, indirect, effects, loop) if pos == end else None
            pop()                           # the frame's MARK
            vals.extend(frame[2])
            height = ctrls[-1][3]
        elif c == C_BR_IF:
            b = data[pos]
            if b < 0x80:
                pos += 1
            else:
                b, pos = _u32(data, pos)
            ltypes = ctrls[-1 - b][5]       # an unknown label: IndexError
            if vals[-1] == I32_:
                pop()
            else:
                pop_one(I32)
            if ltypes:
                pop_list(ltypes)
                vals.extend(ltypes)
        elif c == C_BLOCK:
            b = data[pos]
            if b < 0x80:
                pos += 1
                bt = b - 0x80 if b & 0x40 else b
            else:   # a type index: value types are single bytes
                bt, pos = _s33(data, pos)
                if bt < 0:
                    raise _No()
            if op == LOOP:
                loop = True
            if bt == BLOCK_EMPTY:
                bparams, bresults = [], []
            elif bt >= 0:
                bparams, bresults = types[bt]   # an unknown type: IndexError
            elif bt in _BLOCKTYPES:
                bparams, bresults = [], [BLOCK_VALTYPE[bt]]
            else:
                raise _No()
            if op == IF:
                if vals[-1] == I32_:
                    pop()
                else:
                    pop_one(I32)
            if bparams:
                pop_list(bparams)
            push(MARK)
            height = len(vals)
            ctrls.append([op, bparams, bresults, height, False,
                          bparams if op == LOOP else bresults])
            vals.extend(bparams)
        elif c == C_CALL:
            b = data[pos]
            if b < 0x80:
                pos += 1
            else:
                b, pos = _u32(data, pos)
            fparams, fresults = funcs[b]    # an unknown function: IndexError
            calls.add(b)
            if fparams:
                if vals[-len(fparams):] == fparams:
                    del vals[-len(fparams):]
                else:
                    pop_list(fparams)
            vals.extend(fresults)
        elif c == C_BR:
            b = data[pos]
            if b < 0x80:
                pos += 1
            else:
                b, pos = _u32(data, pos)
            ltypes = ctrls[-1 - b][5]
            if ltypes:
                pop_list(ltypes)
            del vals[height:]
            ctrls[-1][4] = True
        elif c == C_GLOBAL_GET or c == C_GLOBAL_SET:
            b = data[pos]
            if b < 0x80:
                pos += 1
            else:
                b, pos = _u32(data, pos)
            t = glob_types[b]               # an unknown global: IndexError
            if c == C_GLOBAL_GET:
                push(t)
                effects |= 1 << (2 + 2 * b)
            else:
                if not ctx.global_mut[b]:
                    raise _No()
                pop_one(t)
                effects |= 1 << (3 + 2 * b)
        elif c == C_ELSE:
            frame = ctrls[-1]
            if frame[0] != IF:
                raise _No()
            pop_list(frame[2])
            if len(vals) != frame[3]:
                raise _No()
            ctrls[-1] = [ELSE, frame[1], frame[2], frame[3], False, frame[5]]
            vals.extend(frame[1])
        elif c == C_I64_CONST:
            _, pos = _s64(data, pos)
            push(sigs[op][1])
        elif c == C_F32_CONST or c == C_F64_CONST:
            pos += 4 if c == C_F32_CONST else 8
            if pos > end:
                raise _No()
            push(sigs[op][1])
        elif c == C_BR_TABLE:
            n, pos = _u32(data, pos)
            depths = []
            for _ in range(n):
                d, pos = _u32(data, pos)
                depths.append(d)
            default, pos = _u32(data, pos)
            pop_one(I32)
            arity = len(label(default))
            for d in depths:
                ltypes = label(d)
                if len(ltypes) != arity:
                    raise _No()
                vals.extend(pop_list(ltypes))
            pop_list(label(default))
            del vals[height:]
            ctrls[-1][4] = True
        elif c == C_RETURN:
            pop_list(results)
            del vals[height:]
            ctrls[-1][4] = True
        elif c == C_UNREACHABLE:
            del vals[height:]
            ctrls[-1][4] = True
        elif c == C_NOP:
            pass
        elif c == C_DROP:
            pop_one(UNKNOWN)
        elif c == C_SELECT:
            pop_one(I32)
            t1 = pop_one(UNKNOWN)
            t2 = pop_one(UNKNOWN)
            if t1 in REF_TYPES or t2 in REF_TYPES or t1 == V128 or t2 == V128:
                raise _No()
            if t1 != t2 and t1 and t2:
                raise _No()
            push(t1 or t2)
        elif c == C_CALL_INDIRECT:
            typeidx, pos = _u32(data, pos)
            tableidx, pos = _u32(data, pos)
            if tableidx >= len(ctx.tables) or ctx.tables[tableidx] != FUNCREF:
                raise _No()
            fparams, fresults = types[typeidx]  # an unknown type: IndexError
            indirect.append((typeidx, tableidx))
            pop_one(I32)
            pop_list(fparams)
            vals.extend(fresults)
        elif c == C_MEMORY_SIZE or c == C_MEMORY_GROW:
            if data[pos] != 0 or not has_mem:
                raise _No()
            pos += 1
            if c == C_MEMORY_GROW:
                pop_one(I32)
                effects |= WRITE
            else:
                effects |= READ
            push(I32)
        elif c == C_PREFIX:
            sub = data[pos]
            pos += 1
            if sub < 8:
                sig = _TRUNC_SAT[sub]
                if vals[-1] == sig[0][0]:
                    pop()
                else:
                    pop_one(sig[0][0])
                push(sig[1])
            elif sub == 10 or sub == 11:    # memory.copy 0 0, memory.fill 0
                if not has_mem or data[pos] != 0 or (sub == 10 and data[pos + 1] != 0):
                    raise _No()
                pos += 2 if sub == 10 else 1
                pop_list(_I32X3)
                effects |= WRITE
            else:
                return None
        else:
            return None
