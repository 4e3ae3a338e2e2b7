"""Tier 1's per-instruction emission: what each Wasm instruction becomes in the generated Python
source (locals, constants, calls, memory, numerics from numerics.INLINE templates). A mixin of
tier1_emit._Gen, which owns the control structure and the pending-expression stack."""
import re

from . import atomics
from . import numerics
from . import opcodes as W
from .lower import _WITH_IMM
from .tier1_helpers import HELPERS
from .tier1_expr import MAX_EXPR, MAX_TABLE_TARGETS, Unsupported, _E, _M, _SIGN, _par, _slot

# memory ops: Wasm op -> (struct char, mask after a sign-extending load / store mask)
_LOADS = {W.I32_LOAD: ("I", None), W.I64_LOAD: ("Q", None), W.F64_LOAD: ("d", None),
          W.F32_LOAD: ("f32", None), W.I32_LOAD8_U: ("u8", None), W.I64_LOAD8_U: ("u8", None),
          W.I32_LOAD16_U: ("H", None), W.I64_LOAD16_U: ("H", None),
          W.I64_LOAD32_U: ("I", None),
          W.I32_LOAD8_S: ("b", 32), W.I32_LOAD16_S: ("h", 32), W.I64_LOAD8_S: ("b", 64),
          W.I64_LOAD16_S: ("h", 64), W.I64_LOAD32_S: ("i", 64)}
_STORES = {W.I32_STORE: ("I", None), W.I64_STORE: ("Q", None), W.F64_STORE: ("d", None),
           W.F32_STORE: ("f32", None), W.I32_STORE8: ("u8", None), W.I64_STORE8: ("u8", None),
           W.I32_STORE16: ("H", "0xFFFF"), W.I64_STORE16: ("H", "0xFFFF"),
           W.I64_STORE32: ("I", "0xFFFFFFFF")}
# ops run through cold.run_cold: Wasm op -> produces a value
_COLD = {W.MEMORY_FILL: False, W.MEMORY_COPY: False, W.MEMORY_INIT: False,
         W.DATA_DROP: False, W.TABLE_GET: True, W.TABLE_SET: False, W.TABLE_SIZE: True,
         W.TABLE_GROW: True, W.TABLE_FILL: False, W.TABLE_COPY: False, W.TABLE_INIT: False,
         W.ELEM_DROP: False}
_COLD_INTERNAL = {W.MEMORY_FILL: 105, W.MEMORY_COPY: 106}

_DEFER = {"add", "sub", "mul", "and", "or", "xor", "shl"}
_CMP_PY = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}
_TRAPPING = re.compile(r"^i(32|64)\.(div|rem|trunc_f)")
_A = re.compile(r"\ba\b")
_B = re.compile(r"\bb\b")
_AB = re.compile(r"\b[ab]\b")


class _OpEmitter:
    """The per-instruction half of _Gen (see tier1_emit.py)."""

    def instr(self, i, op, imm, off, h):
        push, pop = self.push, self.pop
        if op == W.LOCAL_GET:
            n = "l%d" % imm
            push(_E(n, reads=frozenset((n,)), size=0, atom=True))
        elif op == W.LOCAL_SET or op == W.LOCAL_TEE:
            v = pop()
            n = "l%d" % imm
            if not v.pure:
                self.flush_impure()
            self.before_write(n)
            if v.e != n:
                self.emit("%s = %s" % (n, self.exact(v)))
            if op == W.LOCAL_TEE:
                push(_E(n, reads=frozenset((n,)), size=0, atom=True))
        elif op in (W.I32_CONST, W.I64_CONST):
            push(_E(str(imm), size=0, atom=True))
        elif op in (W.F32_CONST, W.F64_CONST):
            if imm != imm or imm in (float("inf"), float("-inf")):
                push(_E(self.const(imm), size=0, atom=True))
            else:
                r = repr(imm)
                push(_E(r if r[0] != "-" else "(%s)" % r, size=0, atom=r[0] != "-"))
        elif op == W.BLOCK or op == W.LOOP or op == W.TRY_TABLE:
            np_, nr = self.block_arity(imm if op != W.TRY_TABLE else imm[0])
            self.flush()
            if op != W.LOOP:
                c = self.new_ctl("block", i, h - np_, nr, nr)
            else:
                c = self.new_ctl("loop", i, h - np_, np_, nr)
                c.resume = self.code.offsets[self.code.pc_at[off]]
            self.ctl.append(c)
            if self.osr is not None:
                self.osr_arrive(i)
            if c.wrapped:
                self.open_loop(c)
            if op == W.TRY_TABLE and imm[1]:
                c.catches = imm[1]
                self.open_try(c)
            if self.osr is not None and i in self.osr_child:
                self.osr_guard(i)
        elif op == W.IF:
            np_, nr = self.block_arity(imm)
            cond = pop()
            self.flush()
            c = self.new_ctl("if", i, h - 1 - np_, nr, nr)
            self.ctl.append(c)
            test = self.cond_of(cond)
            if self.osr is not None:
                self.osr_arrive(i)
                if i in self.osr_else:  # on entry: to the else-branch
                    test = "not _osr and (%s)" % test
                elif i in self.osr_child:
                    test = "_osr or (%s)" % test
            if c.wrapped:
                self.open_loop(c)
            self.open("if %s:" % test)
            c.entry_sym = list(self.sym)
            if self.osr is not None and i in self.osr_child and i not in self.osr_else:
                self.osr_guard(i)
        elif op == W.BR:
            self.flush_impure()
            self.branch(imm)
        elif op == W.BR_IF:
            cond = pop()
            self.flush_impure()
            self.open("if %s:" % self.cond_of(cond))
            self.branch(imm)
            self.close()
        elif op == W.BR_TABLE:
            self.br_table(imm)
        elif op == W.RETURN:
            self.flush_impure()
            self.emit_return()
        elif op == W.UNREACHABLE:
            self.flush_impure()
            self.bind("_Trap", ("helper", "_Trap"))
            self.emit('raise _Trap("unreachable")')
        elif op == W.THROW:  # the driver unwinds (interp/unwind.py)
            n = len(self.module.types[self.module.tag_types()[imm]].params)
            args = self.sym[len(self.sym) - n:] if n else []
            del self.sym[len(self.sym) - n:]
            self.flush_impure()
            self.bind("_throw", ("helper", "_throw"))
            tag = self.bind("TG%d" % imm, ("tag", imm))
            self.emit("_throw(%s, (%s%s))" % (tag, ", ".join(self.exact(a) for a in args),
                                              "," if n == 1 else ""))
        elif op == W.THROW_REF:
            v = pop()
            self.flush_impure()
            self.bind("_throw_ref", ("helper", "_throw_ref"))
            self.emit("_throw_ref(%s)" % v.e)
        elif op == W.NOP:
            pass
        elif op == W.DROP:
            v = pop()
            if not v.pure:
                self.flush_impure()
                self.emit(v.e)
        elif op == W.SELECT or op == W.SELECT_T:
            c, b = pop(), pop()
            a = pop()
            if not (a.pure and b.pure):
                a, b = self.atomize([a, b])
            if not c.pure:
                self.flush_impure()
            push(_E("(%s if %s else %s)" % (self.exact(a), self.cond_of(c), self.exact(b)),
                    pure=c.pure, reads=a.reads | b.reads | c.reads,
                    size=a.size + b.size + c.size + 1))
        elif op == W.GLOBAL_GET:
            n = self.bind("G%d" % imm, ("global", imm))
            push(_E(n + ".v", pure=False, size=1))
        elif op == W.GLOBAL_SET:
            v = pop()
            self.flush_impure()
            n = self.bind("G%d" % imm, ("global", imm))
            self.emit("%s.v = %s" % (n, self.exact(v)))
        elif op in _LOADS:
            self.load(op, imm[1])
        elif op in _STORES:
            self.store(op, imm[1])
        elif op == W.MEMORY_SIZE:
            m = self.bind("M", ("mem", 0))
            push(_E("(len(%s) >> 16)" % m, pure=False))
        elif op == W.MEMORY_GROW:
            v = pop()
            self.flush_impure()
            self.bind("MEM", ("memory", 0))
            self.bind("_grow", ("helper", "_grow"))
            self.emit("s%d = _grow(MEM, %s)" % (h - 1, self.exact(v)))
            push(_slot(h - 1))
        elif op == W.CALL:
            self.bind("T", ("T", 0))
            if imm < self.nimported:
                self.bind("F", ("F", 0))
                self.call_import(self.func_types[imm], imm, off)
            else:
                self.call(self.func_types[imm], "T[%d]" % (imm - self.nimported), off)
        elif op == W.CALL_INDIRECT:
            ti, table = imm
            tb = self.bind("TB%d" % table, ("table", table))
            ty = self.const(self.module.types[ti])
            self.bind("_indirect", ("helper", "_indirect"))
            self.call(self.module.types[ti], None, off, indirect=(tb, ty))
        elif op == W.REF_NULL:
            push(_E("None", size=0, atom=True))
        elif op == W.REF_IS_NULL:
            v = pop()
            push(_E("(1 if %s is None else 0)" % v.e, pure=v.pure, reads=v.reads,
                    size=v.size + 1, cond="%s is None" % v.e))
        elif op == W.REF_FUNC:
            self.bind("F", ("F", 0))
            push(_E("F[%d]" % imm, size=1))
        elif op in _COLD:
            self.cold(op, imm, h)
        elif op in atomics.SPECS:  # through the shared cold implementation
            kind, vt, size = atomics.SPECS[op]
            pops, push_t = atomics.signature(op)
            args = self.sym[len(self.sym) - len(pops):]
            del self.sym[len(self.sym) - len(pops):]
            self.flush_impure()
            self.bind("_cold_op", ("helper", "_cold_op"))
            self.bind("INST", ("inst", 0))
            m = self.bind("M", ("mem", 0))
            call = "_cold_op(124, %s, INST, %s%s)" % (
                self.const((kind, vt, size, imm[1])), m,
                "".join(", " + self.exact(v) for v in args))
            if push_t:
                hh = len(self.sym)
                self.emit("s%d = %s" % (hh, call))
                self.push(_slot(hh))
            else:
                self.emit(call)
        elif op == 0xFE03:  # atomic.fence
            pass
        elif op in numerics.BINARY:
            self.binary(op)
        elif op in numerics.UNARY:
            self.unary(op)
        else:
            raise Unsupported("opcode %s" % W.NAMES.get(op, op))

    def call_import(self, ft, idx, off):
        # a request the driver serves: host function or another instance's function
        np_ = len(ft.params)
        args = self.sym[len(self.sym) - np_:] if np_ else []
        del self.sym[len(self.sym) - np_:]
        self.flush()
        argt = "(%s%s)" % (", ".join(self.exact(a) for a in args), "," if np_ == 1 else "")
        self.call_site("(F[%d], %s)" % (idx, argt), len(ft.results), off)

    def br_table(self, imm):
        depths, default = imm
        idx = self.pop()
        self.flush_impure()
        groups = {}
        for n, d in enumerate(depths):
            if d != default:
                groups.setdefault(d, []).append(n)
        if len(groups) > MAX_TABLE_TARGETS:
            raise Unsupported("br_table too big")
        if not groups:
            self.branch(default)
            return
        (i_e,) = self.atomize([idx]) if not idx.atom else (idx,)
        x = self.exact(i_e)
        first = True
        for d, ns in groups.items():
            if len(ns) == 1:
                test = "%s == %d" % (x, ns[0])
            elif ns == list(range(ns[0], ns[-1] + 1)):
                test = "%d <= %s <= %d" % (ns[0], x, ns[-1])
            else:
                test = "%s in %s" % (x, self.const(frozenset(ns)))
            self.open(("if " if first else "elif ") + test + ":")
            self.branch(d)
            self.close()
            first = False
        self.open("else:")
        self.branch(default)
        self.close()

    def cold(self, op, imm, h):
        n_in = {W.MEMORY_FILL: 3, W.MEMORY_COPY: 3, W.MEMORY_INIT: 3, W.DATA_DROP: 0,
                W.TABLE_GET: 1, W.TABLE_SET: 2, W.TABLE_SIZE: 0, W.TABLE_GROW: 2,
                W.TABLE_FILL: 3, W.TABLE_COPY: 3, W.TABLE_INIT: 3, W.ELEM_DROP: 0}[op]
        args = self.sym[len(self.sym) - n_in:] if n_in else []
        del self.sym[len(self.sym) - n_in:]
        self.flush_impure()
        self.bind("_cold_op", ("helper", "_cold_op"))
        self.bind("INST", ("inst", 0))
        m = self.bind("M", ("mem", 0)) if self.module.mem_types() else "None"
        internal = _COLD_INTERNAL.get(op, _WITH_IMM.get(op))
        a = imm if op not in _COLD_INTERNAL else None
        call = "_cold_op(%d, %s, INST, %s%s)" % (
            internal, self.const(a) if a is not None else "None", m,
            "".join(", " + self.exact(v) for v in args))
        if _COLD[op]:
            hh = len(self.sym)
            self.emit("s%d = %s" % (hh, call))
            self.push(_slot(hh))
        else:
            self.emit(call)

    def load(self, op, offset):
        a = self.pop()
        kind, ext = _LOADS[op]
        m = self.bind("M", ("mem", 0))
        addr = self.exact(a) if not offset else "%s + %d" % (self.exact(a), offset)
        if kind == "u8":
            e = "%s[%s]" % (m, addr)
        elif kind == "f32":
            self.bind("_ldI", ("helper", "_ldI"))
            self.bind("_f32_from_bits", ("helper", "_f32_from_bits"))
            e = "_f32_from_bits(_ldI(%s, %s)[0])" % (m, addr)
        else:
            f = self.bind("_ld" + kind, ("helper", "_ld" + kind))
            e = "%s(%s, %s)[0]" % (f, m, addr)
            if ext:
                e = "(%s & %s)" % (e, _M[ext])
        self.push(_E(e, pure=False, reads=a.reads, size=a.size + 1))

    def store(self, op, offset):
        v = self.pop()
        a = self.pop()
        self.flush_impure()
        kind, mask = _STORES[op]
        m = self.bind("M", ("mem", 0))
        addr = self.exact(a) if not offset else "%s + %d" % (self.exact(a), offset)
        if kind == "u8":
            self.emit("%s[%s] = %s & 0xFF" % (m, addr, v.e))
        elif kind == "f32":
            self.bind("_stI", ("helper", "_stI"))
            self.bind("_f32_to_bits", ("helper", "_f32_to_bits"))
            self.emit("_stI(%s, %s, _f32_to_bits(%s))" % (m, addr, v.e))
        else:
            f = self.bind("_st" + kind, ("helper", "_st" + kind))
            val = "%s & %s" % (v.e, mask) if mask else self.exact(v)
            self.emit("%s(%s, %s, %s)" % (f, m, addr, val))

    def unary(self, op):
        a = self.pop()
        name = W.NAMES[op]
        kind = name.split(".", 1)[1]
        if kind == "eqz":
            c = "not (%s)" % a.cond if a.cond is not None else "not %s" % self.exact(a)
            self.push(_E("(0 if %s else 1)" % self.cond_of(a), pure=a.pure, reads=a.reads,
                         size=a.size + 1, cond=c))
            return
        if op == W.I32_WRAP_I64:  # the mask is deferred like an add's
            self.push(_E(a.e, exact=False, mask=_M[32], pure=a.pure, reads=a.reads,
                         size=a.size, atom=a.atom))
            return
        if op == W.I64_EXTEND_I32_U:
            self.push(_E(self.exact(a), pure=a.pure, reads=a.reads, size=a.size + 1,
                         atom=a.atom and a.exact))
            return
        tmpl = numerics.INLINE.get(op)
        trapping = bool(_TRAPPING.match(name))
        if tmpl is not None and not trapping:
            self.bind_helpers(tmpl)
            if len(_A.findall(tmpl)) > 1 or a.size > MAX_EXPR:
                (a,) = self.atomize([a])
            x = _par(self.exact(a))
            self.push(_E("(%s)" % _A.sub(lambda m: x, tmpl), pure=a.pure, reads=a.reads,
                         size=a.size + 1))
            return
        fname = "_" + name.replace(".", "_")
        self.bind(fname, ("num", numerics.UNARY[op]))
        if trapping:
            self.flush_impure()
        self.push(_E("%s(%s)" % (fname, self.exact(a)), pure=a.pure and not trapping,
                     reads=a.reads, size=a.size + 1))

    def bind_helpers(self, tmpl):
        for hname in re.findall(r"\b_[a-z0-9_]+\b", tmpl):
            if hname in HELPERS:
                self.bind(hname, ("helper", hname))

    def binary(self, op):
        b = self.pop()
        a = self.pop()
        name = W.NAMES[op]
        ty, kind = name.split(".", 1)
        pure = a.pure and b.pure
        reads = a.reads | b.reads
        size = a.size + b.size + 1
        if size > MAX_EXPR:
            a, b = self.atomize([a, b])
            size = 1
        if ty in ("i32", "i64"):
            w = 32 if ty == "i32" else 64
            if kind in _DEFER:
                if kind == "add":
                    e, ex = "(%s + %s)" % (a.e, b.e), False
                elif kind == "sub":
                    e, ex = "(%s - %s)" % (a.e, b.e), False
                elif kind == "mul":
                    e, ex = "(%s * %s)" % (self.exact(a), self.exact(b)), False
                elif kind == "and":
                    e, ex = "(%s & %s)" % (a.e, b.e), a.exact or b.exact
                elif kind == "or":
                    e, ex = "(%s | %s)" % (a.e, b.e), a.exact and b.exact
                elif kind == "xor":
                    e, ex = "(%s ^ %s)" % (a.e, b.e), a.exact and b.exact
                else:  # shl
                    sh = str(int(b.e) & (w - 1)) if b.atom and b.e.isdigit() \
                        else "(%s & %d)" % (b.e, w - 1)
                    e, ex = "(%s << %s)" % (a.e, sh), False
                self.push(_E(e, exact=ex, mask=None if ex else _M[w], pure=pure, reads=reads,
                             size=size))
                return
            if kind in ("eq", "ne", "lt_u", "gt_u", "le_u", "ge_u", "lt_s", "gt_s", "le_s",
                        "ge_s"):
                o = _CMP_PY[kind[:2]]
                x, y = self.exact(a), self.exact(b)
                if kind.endswith("_s"):
                    s = _SIGN[w]
                    if b.atom and b.exact and b.e.isdigit():  # a constant: flip it now
                        y = str(int(b.e) ^ int(s, 16))
                    else:
                        y = "(%s ^ %s)" % (y, s)
                    x = "(%s ^ %s)" % (x, s)
                c = "%s %s %s" % (x, o, y)
                self.push(_E("(1 if %s else 0)" % c, pure=pure, reads=reads, size=size, cond=c))
                return
            if kind in ("shr_u", "shr_s"):
                sh = str(int(b.e) & (w - 1)) if b.atom and b.e.isdigit() \
                    else "(%s & %d)" % (b.e, w - 1)
                if kind == "shr_u":
                    e = "(%s >> %s)" % (self.exact(a), sh)
                    self.push(_E(e, pure=pure, reads=reads, size=size))
                else:
                    s = _SIGN[w]
                    e = "(((%s ^ %s) - %s) >> %s)" % (self.exact(a), s, s, sh)
                    self.push(_E(e, exact=False, mask=_M[w], pure=pure, reads=reads,
                                 size=size))
                return
        elif kind in _CMP_PY:
            c = "%s %s %s" % (a.e, _CMP_PY[kind], b.e)
            self.push(_E("(1 if %s else 0)" % c, pure=pure, reads=reads, size=size, cond=c))
            return
        tmpl = numerics.INLINE.get(op)
        trapping = bool(_TRAPPING.match(name))
        if tmpl is not None and not trapping:
            self.bind_helpers(tmpl)
            occ = _AB.findall(tmpl)
            if occ not in (["a", "b"], ["a"], ["b"], []):
                a, b = self.atomize([a, b])
            x, y = _par(self.exact(a)), _par(self.exact(b))
            e = _AB.sub(lambda m: x if m.group(0) == "a" else y, tmpl)
            self.push(_E("(%s)" % e, pure=pure, reads=a.reads | b.reads, size=size))
            return
        fname = "_" + name.replace(".", "_")
        self.bind(fname, ("num", numerics.BINARY[op]))
        if trapping:
            self.flush_impure()
        self.push(_E("%s(%s, %s)" % (fname, self.exact(a), self.exact(b)),
                     pure=pure and not trapping, reads=reads, size=size))
