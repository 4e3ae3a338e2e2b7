"""Validation: decide whether a decoded Module is valid Wasm 2.0 (no SIMD) with exception
handling, tail calls and extended constant expressions, and record operand-stack heights for the
lowerer.

Function bodies are checked with the spec's validation algorithm (spec appendix "Validation
Algorithm"): an operand stack of value types, where UNKNOWN (0) stands for "any type" popped from
the polymorphic stack of unreachable code, and a stack of control frames. A control frame is a list

    [opcode, start_types, end_types, height, unreachable, start_index, label_types]

`height` is the operand-stack height at block entry (params already popped), `label_types` what a
branch to the frame carries (start types for a loop, end types otherwise), `start_index` the index
of the block/loop/if instruction in the body (-1 for the function itself).

Errors raise InvalidError(message, offset) with the spec's message text; an index that does not
exist gives "unknown <space> <index>" (the spec tests match messages by prefix).
"""
from . import atomics
from .errors import InvalidError, UnsupportedFeature
from .opcodes import (BLOCK, BLOCK_EMPTY, BLOCK_VALTYPE, BR, BR_IF, BR_TABLE, CALL,
                       CALL_INDIRECT, DATA_DROP, DROP, ELEM_DROP, ELSE, END, F32_CONST,
                       F64_CONST, GLOBAL_GET, GLOBAL_SET, I32_ADD, I32_CONST, I32_MUL, I32_SUB,
                       I64_ADD, I64_CONST, I64_MUL, I64_SUB, IF, LOCAL_GET,
                       LOCAL_SET, LOCAL_TEE, LOOP, MEMORY_COPY, MEMORY_FILL, MEMORY_GROW,
                       MEMORY_INIT, MEMORY_SIZE, NAMES, NOP, REF_FUNC, REF_IS_NULL, REF_NULL,
                       RETURN, RETURN_CALL, RETURN_CALL_INDIRECT, SELECT, SELECT_T, TABLE_COPY,
                       TABLE_FILL, TABLE_GET, TABLE_GROW, TABLE_INIT, TABLE_SET, TABLE_SIZE,
                       THROW, THROW_REF, TRY_TABLE, UNREACHABLE)
from .opcodes import (I32, I64, F32, F64, V128, FUNCREF, EXNREF, REF_TYPES, CATCH_REF,
                      CATCH_ALL_REF)

UNKNOWN = 0  # the "any type" of the polymorphic stack

MAX_PAGES = 65536
MAX_TABLE = 0xFFFFFFFF

# ---------------------------------------------------------------------------------------------
# Signature tables, derived once from the opcode names.
# SIMPLE[op] = (pops as a list, pushed type or None, number of pops, max_align): the numeric ops,
# consts, loads and stores. max_align is -1 for non-memory ops, else the largest alignment
# exponent the memarg may have (the natural alignment).

_NUM = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}
_UNOPS = {"clz", "ctz", "popcnt", "abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt",
          "extend8_s", "extend16_s", "extend32_s"}
_BINOPS = {"add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl",
           "shr_s", "shr_u", "rotl", "rotr", "div", "min", "max", "copysign"}
_RELOPS = {"eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u", "lt", "gt",
           "le", "ge"}

SIMPLE = {}


def _build_tables():
    for op, name in NAMES.items():
        prefix, _, rest = name.partition(".")
        t = _NUM.get(prefix)
        if t is None or rest.startswith("atomic."):
            continue
        if rest == "const":
            SIMPLE[op] = ([], t, 0, -1)
        elif rest.startswith("load") or rest.startswith("store"):
            digits = "".join(c for c in rest if c.isdigit())
            nbytes = int(digits) // 8 if digits else (4 if t in (I32, F32) else 8)
            align = nbytes.bit_length() - 1
            if rest.startswith("load"):
                SIMPLE[op] = ([I32], t, 1, align)
            else:
                SIMPLE[op] = ([I32, t], None, 2, align)
        elif rest == "eqz":
            SIMPLE[op] = ([t], I32, 1, -1)
        elif rest in _RELOPS:
            SIMPLE[op] = ([t, t], I32, 2, -1)
        elif rest in _BINOPS:
            SIMPLE[op] = ([t, t], t, 2, -1)
        elif rest in _UNOPS:
            SIMPLE[op] = ([t], t, 1, -1)
        else:  # conversion: the source type is named in the op, e.g. i64.trunc_sat_f32_s
            src = [_NUM[p] for p in rest.split("_") if p in _NUM]
            assert len(src) == 1, name
            SIMPLE[op] = ([src[0]], t, 1, -1)


_build_tables()
del _build_tables

_CONST_OPS = {I32_CONST: I32, I64_CONST: I64, F32_CONST: F32, F64_CONST: F64}
# extended-const: the integer arithmetic allowed in constant expressions
_CONST_ARITH = {I32_ADD: I32, I32_SUB: I32, I32_MUL: I32, I64_ADD: I64, I64_SUB: I64,
                I64_MUL: I64}
_REFTYPES = REF_TYPES


def _err(message, off):
    raise InvalidError(message, off)


class _Context:
    """What function bodies may refer to: the module's index spaces, as plain lists."""

    def __init__(self, module):
        self.module = module
        self.types = [(list(t.params), list(t.results)) for t in module.types]
        self.funcs = []  # (params, results) per function index
        ntypes = len(module.types)
        for imp in module.imports:
            if imp.kind == "func":
                if not 0 <= imp.desc < ntypes:
                    _err("unknown type %d" % imp.desc, None)
                self.funcs.append(self.types[imp.desc])
        for f in module.funcs:
            if not 0 <= f.type_idx < ntypes:
                _err("unknown type %d" % f.type_idx, f.offset)
            self.funcs.append(self.types[f.type_idx])
        self.tables = [t.reftype for t in module.table_types()]
        self.mems = len(module.mem_types())
        gts = module.global_types()
        self.globals = [g.valtype for g in gts]
        self.global_mut = [g.mutable for g in gts]
        self.n_imported_globals = len(module.imported("global"))
        self.elems = [e.reftype for e in module.elems]
        self.ndatas = len(module.datas)
        self.refs = _declared_refs(module)
        self.tags = []  # the parameter types of each tag (exception handling)
        for ti in module.tag_types():
            if not 0 <= ti < ntypes:
                _err("unknown type %d" % ti, None)
            tparams, tresults = self.types[ti]
            if tresults:
                _err("non-empty tag result type", None)
            self.tags.append(tparams)


def _declared_refs(module):
    """C.refs: functions that ref.func may name inside bodies (spec: funcidx of the module
    without its functions and start), i.e. referenced by exports, global inits or elements."""
    refs = set()
    exprs = [g.init for g in module.globals]
    for e in module.elems:
        exprs.extend(e.init)
        if e.offset is not None:
            exprs.append(e.offset)
    for d in module.datas:
        if d.offset is not None:
            exprs.append(d.offset)
    for expr in exprs:
        for op, imm, _ in expr:
            if op == REF_FUNC:
                refs.add(imm)
    for ex in module.exports:
        if ex.kind == "func":
            refs.add(ex.index)
    return refs


# ---------------------------------------------------------------------------------------------
# Module-level checks

def _check_limits(limits, bound, message, off=None):
    if limits.min > bound:
        _err(message, off)
    if limits.max is not None:
        if limits.max > bound:
            _err(message, off)
        if limits.min > limits.max:
            _err("size minimum must not be greater than maximum", off)


def _check_table_type(tt):
    if tt.reftype not in _REFTYPES:
        _err("malformed reference type", None)
    _check_limits(tt.limits, MAX_TABLE, "table size must be at most 2^32-1")


def _check_mem_type(mt):
    _check_limits(mt.limits, MAX_PAGES, "memory size must be at most 65536 pages (4GiB)")


def _check_const(ctx, expr, expected):
    """A constant expression producing exactly one value of type `expected`.
    global.get may only read imported immutable globals (Wasm 2.0)."""
    stack = []
    off = expr[0][2] if expr else None
    for op, imm, off in expr:
        if op == END:
            break
        t = _CONST_OPS.get(op)
        if t is not None:
            stack.append(t)
        elif op in _CONST_ARITH:
            t = _CONST_ARITH[op]
            if stack[-2:] != [t, t]:
                _err("type mismatch", off)
            stack.pop()
        elif op == REF_NULL:
            stack.append(imm)
        elif op == REF_FUNC:
            if not 0 <= imm < len(ctx.funcs):
                _err("unknown function %d" % imm, off)
            stack.append(FUNCREF)
        elif op == GLOBAL_GET:
            if not 0 <= imm < ctx.n_imported_globals:
                _err("unknown global %d" % imm, off)
            if ctx.global_mut[imm]:
                _err("constant expression required", off)
            stack.append(ctx.globals[imm])
        else:
            _err("constant expression required", off)
    if stack != [expected]:
        _err("type mismatch", off)


def validate_module(module, keep=True, body_check=None):
    """Validate `module`; raise InvalidError on the first problem found.

    Returns one `heights` list per *defined* function (module.funcs order), parallel to its body:
    heights[i] is the operand-stack height (number of values, locals not counted, from 0 at
    function entry) *before* instruction i, or -1 when instruction i is unreachable code (after
    unreachable/br/br_table/return up to and including the end/else that closes that block).
    The lowerer uses these heights to know how many values a branch must drop.
    With ``keep`` false each body is checked from a decode that is not kept and the result is
    a ``Heights`` that recomputes a function's list at first use (a big module's lists would
    cost many times its size). ``body_check(ctx, params, results, func)``, if given, checks
    each function body instead of this module's pass (validate_stream; ``keep`` false).
    """
    for imp in module.imports:
        if imp.kind == "table":
            _check_table_type(imp.desc)
        elif imp.kind == "memory":
            _check_mem_type(imp.desc)
    ctx = _Context(module)  # checks function type indices
    for tt in module.tables:
        _check_table_type(tt)
    for mt in module.mems:
        _check_mem_type(mt)
    if ctx.mems > 1:
        raise UnsupportedFeature("multi-memory (%d memories)" % ctx.mems)

    for g in module.globals:
        _check_const(ctx, g.init, g.type.valtype)

    for e in module.elems:
        for expr in e.init:
            _check_const(ctx, expr, e.reftype)
        if e.mode == "active":
            off = e.offset[0][2] if e.offset else None
            if not 0 <= e.table < len(ctx.tables):
                _err("unknown table %d" % e.table, off)
            if ctx.tables[e.table] != e.reftype:
                _err("type mismatch", off)
            _check_const(ctx, e.offset, I32)

    for d in module.datas:
        if d.mode == "active":
            off = d.offset[0][2] if d.offset else None
            if not 0 <= d.memory < ctx.mems:
                _err("unknown memory %d" % d.memory, off)
            _check_const(ctx, d.offset, I32)

    all_heights = [] if keep else Heights(ctx)
    nimported = len(ctx.funcs) - len(module.funcs)
    for k, f in enumerate(module.funcs):
        params, results = ctx.funcs[nimported + k]
        if body_check is not None:
            body_check(ctx, params, results, f)
            continue
        body = f.body if keep else f.instrs()
        heights, _, _ = check_body(ctx, params, results, f.locals, body, len(body), f.offset)
        if keep:
            all_heights.append(heights)

    if module.start is not None:
        if not 0 <= module.start < len(ctx.funcs):
            _err("unknown function %d" % module.start, None)
        params, results = ctx.funcs[module.start]
        if params or results:
            _err("start function", None)

    spaces = {"func": len(ctx.funcs), "table": len(ctx.tables), "memory": ctx.mems,
              "global": len(ctx.globals), "tag": len(ctx.tags)}
    names = set()
    for ex in module.exports:
        if not 0 <= ex.index < spaces[ex.kind]:
            _err("unknown %s %d" % ("function" if ex.kind == "func" else ex.kind, ex.index), None)
        if ex.name in names:
            _err("duplicate export name", None)
        names.add(ex.name)
    return all_heights


class Heights:
    """validate_module's heights of a valid module, each function's list computed (one more
    validation pass over its body) and kept at its first use."""

    def __init__(self, ctx):
        self._ctx = ctx
        self._lists = {}

    def __len__(self):
        return len(self._ctx.module.funcs)

    def __getitem__(self, k):
        got = self._lists.get(k)
        if got is None:
            ctx = self._ctx
            f = ctx.module.funcs[k]
            params, results = ctx.funcs[len(ctx.funcs) - len(ctx.module.funcs) + k]
            got = check_body(ctx, params, results, f.locals, f.body, len(f.body), f.offset)[0]
            self._lists[k] = got
        return got

    def __iter__(self):
        return (self[k] for k in range(len(self)))


def stack_types_at_many(module, func_index, indices):
    """``{i: operand-stack types before instruction i}`` for each i in ``indices`` (one
    validation pass over module.funcs[func_index]; UNKNOWN, 0, in unreachable code). For the
    instrumenter, which needs the types at every safe point of a function."""
    ctx = _Context(module)
    f = module.funcs[func_index]
    params, results = ctx.funcs[len(ctx.funcs) - len(module.funcs) + func_index]
    want = dict.fromkeys(indices)
    check_body(ctx, params, results, f.locals, f.body, len(f.body), f.offset, want)
    return want


def stack_types_at(module, func_index, instr_index):
    """The validation state just before instruction `instr_index` of module.funcs[func_index]
    (for the checkpoint stage, which must know what the operand stack holds at a pc).

    Returns (types, blocks): `types` the operand-stack value types bottom to top (UNKNOWN, 0, in
    unreachable code); `blocks` the open control blocks outermost first, each
    (opcode, start_index, result_count): opcode BLOCK/LOOP/IF/TRY_TABLE (IF also inside its else
    branch),
    start_index the body index of that instruction; the function itself is the first entry,
    as (None, -1, number of function results). The module is assumed valid."""
    ctx = _Context(module)
    f = module.funcs[func_index]
    params, results = ctx.funcs[len(ctx.funcs) - len(module.funcs) + func_index]
    _, vals, ctrls = check_body(ctx, params, results, f.locals, f.body, instr_index, f.offset)
    blocks = [(None if fr[5] < 0 else f.body[fr[5]][0], fr[5], len(fr[2])) for fr in ctrls]
    return list(vals), blocks


# ---------------------------------------------------------------------------------------------
# Function bodies

def check_body(ctx, params, results, local_types, body, limit, func_off, want=None):
    """Validate body[:limit] (the whole body when limit == len(body)).
    Returns (heights, operand stack, control frames) as they are after body[:limit].
    ``want``: a dict whose keys are instruction indices; each gets the operand-stack types
    (a tuple) before that instruction."""
    vals = []
    ctrls = [[None, [], list(results), 0, False, -1, list(results)]]
    locals_ = list(params) + list(local_types)
    nlocals = len(locals_)
    heights = []
    put_height = heights.append
    height = 0        # ctrls[-1][3]
    unreach = False   # ctrls[-1][4]
    simple_get = SIMPLE.get
    has_mem = ctx.mems > 0
    types = ctx.types
    funcs = ctx.funcs
    glob_types = ctx.globals
    nglobals = len(glob_types)
    push = vals.append
    off = func_off

    def pop_one(expect, off):
        """Pop one value (slow path): UNKNOWN from an unreachable frame's empty stack."""
        frame = ctrls[-1]
        if len(vals) == frame[3]:
            if frame[4]:
                return UNKNOWN
            _err("type mismatch", off)
        actual = vals.pop()
        if expect and actual and actual != expect:
            _err("type mismatch", off)
        return actual

    def pop_list(expected, off):
        """Pop the types in `expected` (a list, top of stack last); return what was popped."""
        n = len(expected)
        if n and len(vals) - n >= ctrls[-1][3] and vals[-n:] == expected:
            del vals[-n:]
            return expected
        got = [pop_one(t, off) for t in reversed(expected)]
        got.reverse()
        return got

    def block_type(bt, off):
        if bt == BLOCK_EMPTY:
            return [], []
        if bt >= 0:
            if bt >= len(types):
                _err("unknown type %d" % bt, off)
            return types[bt]
        t = BLOCK_VALTYPE.get(bt)
        if t is None:
            _err("malformed value type", off)
        return [], [t]

    def pop_ctrl(off):
        frame = ctrls[-1]
        pop_list(frame[2], off)
        if len(vals) != frame[3]:
            _err("type mismatch", off)
        ctrls.pop()
        return frame

    def mem_check(off):
        if ctx.mems < 1:
            _err("unknown memory 0", off)

    def table_check(x, off):
        if not 0 <= x < len(ctx.tables):
            _err("unknown table %d" % x, off)
        return ctx.tables[x]

    def label(depth, off):
        if not 0 <= depth < len(ctrls):
            _err("unknown label", off)
        return ctrls[-1 - depth][6]

    i = 0
    while i < limit:
        op, imm, off = body[i]
        put_height(-1 if unreach else len(vals))
        if want is not None and i in want:
            want[i] = tuple(vals)

        sig = simple_get(op)
        if sig is not None:  # numeric/memory op: check the pops, push the result
            if sig[3] >= 0:
                if not has_mem:
                    _err("unknown memory 0", off)
                if imm[0] > sig[3]:
                    _err("alignment must not be larger than natural", off)
            n = sig[2]
            if n:
                if len(vals) - n >= height and vals[-n:] == sig[0]:
                    del vals[-n:]
                else:
                    pop_list(sig[0], off)
            if sig[1]:
                push(sig[1])

        elif op == LOCAL_GET:
            if not 0 <= imm < nlocals:
                _err("unknown local %d" % imm, off)
            push(locals_[imm])
        elif op == LOCAL_SET or op == LOCAL_TEE:
            if not 0 <= imm < nlocals:
                _err("unknown local %d" % imm, off)
            t = locals_[imm]
            if len(vals) > height and vals[-1] == t:
                if op == LOCAL_SET:
                    vals.pop()
            else:
                pop_one(t, off)
                if op == LOCAL_TEE:
                    push(t)
        elif op == GLOBAL_GET:
            if not 0 <= imm < nglobals:
                _err("unknown global %d" % imm, off)
            push(glob_types[imm])
        elif op == GLOBAL_SET:
            if not 0 <= imm < nglobals:
                _err("unknown global %d" % imm, off)
            if not ctx.global_mut[imm]:
                _err("global is immutable", off)
            pop_one(glob_types[imm], off)

        elif op == CALL:
            if not 0 <= imm < len(funcs):
                _err("unknown function %d" % imm, off)
            fparams, fresults = funcs[imm]
            n = len(fparams)
            if n:
                if len(vals) - n >= height and vals[-n:] == fparams:
                    del vals[-n:]
                else:
                    pop_list(fparams, off)
            vals.extend(fresults)
        elif op == CALL_INDIRECT:
            typeidx, tableidx = imm
            if table_check(tableidx, off) != FUNCREF:
                _err("type mismatch", off)
            if not 0 <= typeidx < len(types):
                _err("unknown type %d" % typeidx, off)
            pop_one(I32, off)
            fparams, fresults = types[typeidx]
            pop_list(fparams, off)
            vals.extend(fresults)

        elif op == BR_IF:
            ltypes = label(imm, off)
            if len(vals) > height and vals[-1] == I32:
                vals.pop()
            else:
                pop_one(I32, off)
            if ltypes:
                pop_list(ltypes, off)
                vals.extend(ltypes)
        elif op == BLOCK or op == LOOP or op == IF:
            bparams, bresults = block_type(imm, off)
            if op == IF:
                pop_one(I32, off)
            pop_list(bparams, off)
            height = len(vals)
            unreach = False
            ctrls.append([op, bparams, bresults, height, False, i,
                          bparams if op == LOOP else bresults])
            vals.extend(bparams)
        elif op == TRY_TABLE:
            bt, catches = imm
            bparams, bresults = block_type(bt, off)
            for kind, tag, depth in catches:  # labels of the context around the try_table
                ltypes = label(depth, off)
                if tag is not None:
                    if not 0 <= tag < len(ctx.tags):
                        _err("unknown tag %d" % tag, off)
                    caught = list(ctx.tags[tag])
                else:
                    caught = []
                if kind == CATCH_REF or kind == CATCH_ALL_REF:
                    caught.append(EXNREF)
                if caught != ltypes:
                    _err("type mismatch", off)
            pop_list(bparams, off)
            height = len(vals)
            unreach = False
            ctrls.append([op, bparams, bresults, height, False, i, bresults])
            vals.extend(bparams)
        elif op == THROW:
            if not 0 <= imm < len(ctx.tags):
                _err("unknown tag %d" % imm, off)
            pop_list(list(ctx.tags[imm]), off)
            del vals[height:]
            unreach = ctrls[-1][4] = True
        elif op == THROW_REF:
            pop_one(EXNREF, off)
            del vals[height:]
            unreach = ctrls[-1][4] = True
        elif op == RETURN_CALL or op == RETURN_CALL_INDIRECT:
            if op == RETURN_CALL:
                if not 0 <= imm < len(funcs):
                    _err("unknown function %d" % imm, off)
                fparams, fresults = funcs[imm]
            else:
                typeidx, tableidx = imm
                if table_check(tableidx, off) != FUNCREF:
                    _err("type mismatch", off)
                if not 0 <= typeidx < len(types):
                    _err("unknown type %d" % typeidx, off)
                pop_one(I32, off)
                fparams, fresults = types[typeidx]
            if fresults != ctrls[0][2]:
                _err("type mismatch", off)
            pop_list(fparams, off)
            del vals[height:]
            unreach = ctrls[-1][4] = True
        elif op == END:
            frame = pop_ctrl(off)
            if frame[0] == IF and frame[1] != frame[2]:
                _err("type mismatch", off)  # the missing else must turn params into results
            if not ctrls:
                if i != len(body) - 1:
                    _err("END opcode expected", off)
                i += 1
                break
            vals.extend(frame[2])
            top = ctrls[-1]
            height = top[3]
            unreach = top[4]
        elif op == ELSE:
            frame = ctrls[-1]
            if frame[0] != IF:
                _err("else without if", off)
            pop_ctrl(off)
            ctrls.append([ELSE, frame[1], frame[2], frame[3], False, frame[5], frame[6]])
            height = frame[3]
            unreach = False
            vals.extend(frame[1])
        elif op == BR:
            pop_list(label(imm, off), off)
            del vals[height:]
            unreach = ctrls[-1][4] = True
        elif op == RETURN:
            pop_list(ctrls[0][2], off)
            del vals[height:]
            unreach = ctrls[-1][4] = True
        elif op == UNREACHABLE:
            del vals[height:]
            unreach = ctrls[-1][4] = True
        elif op == BR_TABLE:
            depths, default = imm
            pop_one(I32, off)
            arity = len(label(default, off))
            for d in depths:
                ltypes = label(d, off)
                if len(ltypes) != arity:
                    _err("type mismatch", off)
                vals.extend(pop_list(ltypes, off))
            pop_list(label(default, off), off)
            del vals[height:]
            unreach = ctrls[-1][4] = True

        elif op in atomics.SPECS:
            mem_check(off)
            if imm[0] != atomics.ALIGN[atomics.SPECS[op][2]]:
                _err("atomic instructions must always specify maximum alignment", off)
            apops, apush = atomics.signature(op)
            pop_list(apops, off)
            if apush:
                push(apush)
        elif op == 0xFE03:  # atomic.fence
            pass
        elif op == NOP:
            pass
        elif op == DROP:
            pop_one(UNKNOWN, off)
        elif op == SELECT:
            pop_one(I32, off)
            t1 = pop_one(UNKNOWN, off)
            t2 = pop_one(UNKNOWN, off)
            if t1 in _REFTYPES or t2 in _REFTYPES or t1 == V128 or t2 == V128:
                _err("type mismatch", off)
            if t1 != t2 and t1 and t2:
                _err("type mismatch", off)
            push(t1 or t2)
        elif op == SELECT_T:
            if len(imm) != 1:
                _err("invalid result arity", off)
            t = imm[0]
            pop_one(I32, off)
            pop_one(t, off)
            pop_one(t, off)
            push(t)

        elif op == REF_NULL:
            push(imm)
        elif op == REF_IS_NULL:
            t = pop_one(UNKNOWN, off)
            if t and t not in _REFTYPES:
                _err("type mismatch", off)
            push(I32)
        elif op == REF_FUNC:
            if not 0 <= imm < len(funcs):
                _err("unknown function %d" % imm, off)
            if imm not in ctx.refs:
                _err("undeclared function reference", off)
            push(FUNCREF)

        elif op == MEMORY_SIZE:
            mem_check(off)
            push(I32)
        elif op == MEMORY_GROW:
            mem_check(off)
            pop_one(I32, off)
            push(I32)
        elif op == MEMORY_COPY or op == MEMORY_FILL:
            mem_check(off)
            pop_list([I32, I32, I32], off)
        elif op == MEMORY_INIT:
            mem_check(off)
            if not 0 <= imm < ctx.ndatas:
                _err("unknown data segment %d" % imm, off)
            pop_list([I32, I32, I32], off)
        elif op == DATA_DROP:
            if not 0 <= imm < ctx.ndatas:
                _err("unknown data segment %d" % imm, off)

        elif op == TABLE_GET:
            t = table_check(imm, off)
            pop_one(I32, off)
            push(t)
        elif op == TABLE_SET:
            t = table_check(imm, off)
            pop_list([I32, t], off)
        elif op == TABLE_SIZE:
            table_check(imm, off)
            push(I32)
        elif op == TABLE_GROW:
            t = table_check(imm, off)
            pop_list([t, I32], off)
            push(I32)
        elif op == TABLE_FILL:
            t = table_check(imm, off)
            pop_list([I32, t, I32], off)
        elif op == TABLE_COPY:
            dst, src = imm
            if table_check(dst, off) != table_check(src, off):
                _err("type mismatch", off)
            pop_list([I32, I32, I32], off)
        elif op == TABLE_INIT:
            elemidx, tableidx = imm
            t = table_check(tableidx, off)
            if not 0 <= elemidx < len(ctx.elems):
                _err("unknown elem segment %d" % elemidx, off)
            if ctx.elems[elemidx] != t:
                _err("type mismatch", off)
            pop_list([I32, I32, I32], off)
        elif op == ELEM_DROP:
            if not 0 <= imm < len(ctx.elems):
                _err("unknown elem segment %d" % imm, off)
        else:
            _err("illegal opcode %s" % hex(op), off)
        i += 1

    if limit == len(body) and ctrls:
        _err("END opcode expected", off)
    return heights, vals, ctrls
