"""Tests for interp/validate.py.

Unit tests build Module objects by hand (no dependency on decode); the spec-suite test at the end
decodes every module of the official suite (non-SIMD) and checks valid/invalid verdicts.
"""
import glob
import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from interp import opcodes as O  # noqa: E402
from interp.errors import InvalidError, MalformedError, UnsupportedFeature  # noqa: E402
from interp.module import (Data, Elem, Export, Func, FuncType, Global, GlobalType, Import,  # noqa: E402
                           Limits, MemType, Module, TableType)
from interp.opcodes import I32, I64, F32, F64, FUNCREF, EXTERNREF  # noqa: E402
from interp.validate import UNKNOWN, stack_types_at, validate_module  # noqa: E402

BASE = 1000  # instruction i of a test body gets byte offset BASE + i


def expr(*instrs):
    """[(op, imm), ...] -> an expression with made-up offsets; adds the final end."""
    body = [(op, imm, BASE + i) for i, (op, imm) in enumerate(instrs)]
    body.append((O.END, None, BASE + len(instrs)))
    return body


def ins(name, imm=None):
    return (O.BY_NAME[name], imm)


def one_func(body, params=(), results=(), locals_=(), **fields):
    """A module with one function of type params -> results (type 0) plus `fields`."""
    types = [FuncType(tuple(params), tuple(results))] + fields.pop("more_types", [])
    return Module(types=types, funcs=[Func(0, list(locals_), expr(*body), 0)], **fields)


def invalid(module, message):
    with pytest.raises(InvalidError) as info:
        validate_module(module)
    assert info.value.message.startswith(message), info.value.message
    return info.value


# --- heights --------------------------------------------------------------------------------

def test_heights_straight_line():
    m = one_func([ins("local.get", 0), ins("local.get", 1), ins("i32.add")],
                 params=(I32, I32), results=(I32,))
    assert validate_module(m) == [[0, 1, 2, 1]]


def test_heights_unreachable_after_br_until_block_end():
    body = [ins("block", O.BLOCK_EMPTY), ins("br", 0), ins("i32.const", 1), ins("drop"),
            ins("end"), ins("i32.const", 7)]
    m = one_func(body, results=(I32,))
    assert validate_module(m) == [[0, 0, -1, -1, -1, 0, 1]]


def test_heights_if_else_with_block_params():
    # type 1: [i32] -> [i64]; the if consumes the condition, then its param stays on the stack
    body = [ins("i32.const", 5), ins("local.get", 0), ins("if", 1),
            ins("drop"), ins("i64.const", 1),
            ins("else"), ins("unreachable"),
            ins("end")]
    m = one_func(body, params=(I32,), results=(I64,), more_types=[FuncType((I32,), (I64,))])
    assert validate_module(m) == [[0, 1, 2, 1, 0, 1, 1, -1, 1]]


def test_heights_else_unreachable_when_then_branch_is():
    body = [ins("i32.const", 0), ins("if", -1), ins("unreachable"), ins("else"),
            ins("i32.const", 2), ins("end")]
    m = one_func(body, results=(I32,))
    assert validate_module(m) == [[0, 1, 0, -1, 0, 1, 1]]


def test_heights_function_end_unreachable_after_return():
    m = one_func([ins("i32.const", 1), ins("return")], results=(I32,))
    assert validate_module(m) == [[0, 1, -1]]


def test_heights_loop_label_takes_params():
    # loop [i32] -> [i32] ; br_if 0 must carry the i32 param back to the loop start
    body = [ins("i32.const", 0), ins("loop", 1), ins("i32.const", 1), ins("i32.sub"),
            ins("local.tee", 0), ins("local.get", 0), ins("br_if", 0), ins("end")]
    m = one_func(body, params=(I32,), results=(I32,), more_types=[FuncType((I32,), (I32,))])
    assert validate_module(m) == [[0, 1, 1, 2, 1, 1, 2, 1, 1]]
    bad = one_func(body[:1] + [ins("loop", 1), ins("i64.const", 1), ins("local.get", 0),
                               ins("br_if", 0), ins("drop"), ins("end")],
                   params=(I32,), results=(I32,), more_types=[FuncType((I32,), (I32,))])
    invalid(bad, "type mismatch")


# --- stack discipline errors ----------------------------------------------------------------

def test_type_mismatch_reports_instruction_offset():
    m = one_func([ins("i64.const", 1), ins("i32.const", 2), ins("i32.add")], results=(I32,))
    err = invalid(m, "type mismatch")
    assert err.offset == BASE + 2


def test_underflow_and_leftover_values():
    invalid(one_func([ins("i32.add")]), "type mismatch")
    invalid(one_func([ins("i32.const", 1)]), "type mismatch")          # leftover value
    invalid(one_func([], results=(I32,)), "type mismatch")              # missing result
    # a block cannot reach values below its own height
    invalid(one_func([ins("i32.const", 1), ins("block", O.BLOCK_EMPTY), ins("drop"), ins("end"),
                      ins("drop")]), "type mismatch")


def test_polymorphic_stack_after_unreachable():
    validate_module(one_func([ins("unreachable"), ins("i32.add")], results=(I32,)))
    validate_module(one_func([ins("unreachable"), ins("select")], results=(F64,)))
    # the known part of the stack is still checked
    invalid(one_func([ins("unreachable"), ins("i64.const", 0), ins("i32.add")], results=(I32,)),
            "type mismatch")
    # and values pushed after unreachable must still match the block's results
    invalid(one_func([ins("unreachable"), ins("i64.const", 0)], results=(I32,)), "type mismatch")


def test_if_without_else_must_not_change_types():
    invalid(one_func([ins("i32.const", 1), ins("if", -1), ins("i32.const", 1), ins("end"),
                      ins("drop")]), "type mismatch")
    more = [FuncType((I32,), (I32,))]
    validate_module(one_func([ins("i32.const", 3), ins("i32.const", 1), ins("if", 1), ins("end")],
                             results=(I32,), more_types=more))


def test_select_rules():
    ok = [ins("i32.const", 1), ins("i32.const", 2), ins("i32.const", 0), ins("select")]
    validate_module(one_func(ok, results=(I32,)))
    refs = [ins("ref.null", FUNCREF), ins("ref.null", FUNCREF), ins("i32.const", 0)]
    invalid(one_func(refs + [ins("select")], results=(FUNCREF,)), "type mismatch")
    validate_module(one_func(refs + [ins("select_t", (FUNCREF,))], results=(FUNCREF,)))
    invalid(one_func(refs + [ins("select_t", ())], results=(FUNCREF,)), "invalid result arity")
    invalid(one_func([ins("unreachable"), ins("ref.null", EXTERNREF), ins("i32.const", 0),
                      ins("select"), ins("drop")]), "type mismatch")
    mixed = [ins("i32.const", 1), ins("i64.const", 2), ins("i32.const", 0), ins("select")]
    invalid(one_func(mixed, results=(I32,)), "type mismatch")


def test_br_table_arity_and_unknown_label():
    two = [ins("block", -1), ins("block", -2), ins("unreachable"), ins("br_table", ((0,), 1)),
           ins("end"), ins("drop"), ins("i32.const", 0), ins("end")]
    validate_module(one_func(two, results=(I32,)))  # same arity, unknown operand: fine
    arity = [ins("block", -1), ins("block", O.BLOCK_EMPTY), ins("i32.const", 0),
             ins("i32.const", 0), ins("br_table", ((0,), 1)), ins("end"), ins("i32.const", 0),
             ins("end")]
    invalid(one_func(arity, results=(I32,)), "type mismatch")
    invalid(one_func([ins("i32.const", 0), ins("br_table", ((0,), 1))]), "unknown label")
    invalid(one_func([ins("br", 1)]), "unknown label")


# --- index spaces ---------------------------------------------------------------------------

def test_unknown_indices():
    invalid(one_func([ins("local.get", 1), ins("drop")], params=(I32,)), "unknown local")
    invalid(one_func([ins("global.get", 0), ins("drop")]), "unknown global")
    invalid(one_func([ins("call", 1)]), "unknown function")
    invalid(one_func([ins("block", 5), ins("end")]), "unknown type")
    invalid(one_func([ins("i32.const", 0), ins("call_indirect", (0, 0))]), "unknown table")
    invalid(one_func([ins("i32.const", 0), ins("i32.load", (2, 0)), ins("drop")]),
            "unknown memory")
    invalid(one_func([ins("elem.drop", 0)]), "unknown elem segment")
    three = [ins("i32.const", 0)] * 3
    invalid(one_func(three + [ins("memory.init", 0)], datas=[Data(b"x", "passive")],
                     datacount=1), "unknown memory")
    mem = dict(mems=[MemType(Limits(1))])
    invalid(one_func([ins("data.drop", 0)], **mem), "unknown data segment")
    invalid(one_func([ins("i32.const", 0)] * 3 + [ins("memory.init", 1)],
                     datas=[Data(b"x", "passive")], datacount=1, **mem), "unknown data segment")
    validate_module(one_func([ins("i32.const", 0)] * 3 + [ins("memory.init", 0)],
                             datas=[Data(b"x", "passive")], datacount=1, **mem))


def test_globals_mutability():
    g = [Global(GlobalType(I32, False), expr(ins("i32.const", 0))),
         Global(GlobalType(I32, True), expr(ins("i32.const", 0)))]
    invalid(one_func([ins("i32.const", 1), ins("global.set", 0)], globals=g),
            "global is immutable")
    validate_module(one_func([ins("i32.const", 1), ins("global.set", 1)], globals=g))
    invalid(one_func([ins("i64.const", 1), ins("global.set", 1)], globals=g), "type mismatch")


def test_alignment():
    mem = dict(mems=[MemType(Limits(1))])
    for name, natural in [("i32.load8_u", 0), ("i64.load16_s", 1), ("f32.load", 2),
                          ("i64.load32_u", 2), ("f64.load", 3)]:
        body = [ins("i32.const", 0), ins(name, (natural, 0)), ins("drop")]
        validate_module(one_func(body, **mem))
        body[1] = ins(name, (natural + 1, 0))
        invalid(one_func(body, **mem), "alignment must not be larger than natural")
    store = [ins("i32.const", 0), ins("i64.const", 0), ins("i64.store32", (3, 0))]
    invalid(one_func(store, **mem), "alignment must not be larger than natural")


def test_reference_and_table_ops():
    tables = [TableType(FUNCREF, Limits(1)), TableType(EXTERNREF, Limits(1))]
    invalid(one_func([ins("i32.const", 0), ins("call_indirect", (0, 1))], tables=tables),
            "type mismatch")
    validate_module(one_func([ins("i32.const", 0), ins("call_indirect", (0, 0))], tables=tables))
    invalid(one_func([ins("i32.const", 0), ins("i32.const", 0), ins("i32.const", 0),
                      ins("table.copy", (0, 1))], tables=tables), "type mismatch")
    invalid(one_func([ins("i32.const", 0), ins("ref.null", FUNCREF), ins("table.set", 1)],
                     tables=tables), "type mismatch")
    validate_module(one_func([ins("ref.null", EXTERNREF), ins("i32.const", 2),
                              ins("table.grow", 1)], results=(I32,), tables=tables))
    elems = [Elem(FUNCREF, [expr(ins("ref.null", FUNCREF))], "passive")]
    init = [ins("i32.const", 0)] * 3
    validate_module(one_func(init + [ins("table.init", (0, 0))], tables=tables, elems=elems))
    invalid(one_func(init + [ins("table.init", (0, 1))], tables=tables, elems=elems),
            "type mismatch")
    invalid(one_func([ins("i32.const", 1), ins("ref.is_null"), ins("drop")]), "type mismatch")


def test_ref_func_must_be_declared():
    body = [ins("ref.func", 0), ins("drop")]
    invalid(one_func(body), "undeclared function reference")
    invalid(one_func(body, start=0), "undeclared function reference")
    validate_module(one_func(body, exports=[Export("f", "func", 0)]))
    validate_module(one_func(body, elems=[Elem(FUNCREF, [expr(ins("ref.func", 0))],
                                               "declarative")]))
    validate_module(one_func(body, globals=[Global(GlobalType(FUNCREF, False),
                                                   expr(ins("ref.func", 0)))]))


# --- module level ---------------------------------------------------------------------------

def imported_globals():
    return [Import("m", "c", "global", GlobalType(I32, False)),
            Import("m", "v", "global", GlobalType(I32, True))]


def test_constant_expressions():
    imps = imported_globals()

    def glob(*instrs, t=I32):
        return Module(imports=imps, globals=[Global(GlobalType(t, False), expr(*instrs))])

    validate_module(glob(ins("global.get", 0)))
    invalid(glob(ins("global.get", 1)), "constant expression required")   # mutable import
    m = glob(ins("i32.const", 0))
    m.globals.append(Global(GlobalType(I32, False), expr(ins("global.get", 2))))
    invalid(m, "unknown global")                                          # defined global
    # extended-const: integer add/sub/mul are constant, other arithmetic is not
    validate_module(glob(ins("i32.const", 1), ins("i32.const", 2), ins("i32.add")))
    validate_module(glob(ins("global.get", 0), ins("i32.const", 2), ins("i32.mul")))
    invalid(glob(ins("i32.const", 1), ins("i32.const", 2), ins("i32.div_u")),
            "constant expression required")
    invalid(glob(ins("i32.const", 1), ins("i64.const", 2), ins("i32.sub")), "type mismatch")
    invalid(glob(ins("nop")), "constant expression required")
    invalid(glob(), "type mismatch")
    invalid(glob(ins("i64.const", 0)), "type mismatch")
    invalid(glob(ins("i32.const", 0), ins("i32.const", 0)), "type mismatch")
    invalid(glob(ins("ref.func", 3), t=FUNCREF), "unknown function")
    # data/elem offsets follow the same rules
    mem = Module(mems=[MemType(Limits(1))], imports=imps,
                 datas=[Data(b"", "active", 0, expr(ins("global.get", 1)))])
    invalid(mem, "constant expression required")
    invalid(Module(datas=[Data(b"", "active", 0, expr(ins("i32.const", 0)))]), "unknown memory")


def test_elem_segments():
    t = [TableType(FUNCREF, Limits(1))]
    ok = Elem(FUNCREF, [expr(ins("ref.null", FUNCREF))], "active", 0, expr(ins("i32.const", 0)))
    validate_module(Module(tables=t, elems=[ok]))
    bad_init = Elem(FUNCREF, [expr(ins("ref.null", EXTERNREF))], "passive")
    invalid(Module(tables=t, elems=[bad_init]), "type mismatch")
    wrong_table = Elem(EXTERNREF, [], "active", 0, expr(ins("i32.const", 0)))
    invalid(Module(tables=t, elems=[wrong_table]), "type mismatch")
    no_table = Elem(FUNCREF, [], "active", 0, expr(ins("i32.const", 0)))
    invalid(Module(elems=[no_table]), "unknown table")
    i64_off = Elem(FUNCREF, [], "active", 0, expr(ins("i64.const", 0)))
    invalid(Module(tables=t, elems=[i64_off]), "type mismatch")


def test_limits_and_memories():
    invalid(Module(mems=[MemType(Limits(2, 1))]), "size minimum must not be greater than maximum")
    invalid(Module(mems=[MemType(Limits(65537))]),
            "memory size must be at most 65536 pages (4GiB)")
    invalid(Module(mems=[MemType(Limits(0, 65537))]),
            "memory size must be at most 65536 pages (4GiB)")
    validate_module(Module(mems=[MemType(Limits(65536, 65536))]))
    invalid(Module(tables=[TableType(FUNCREF, Limits(5, 4))]),
            "size minimum must not be greater than maximum")
    imp = Import("m", "mem", "memory", MemType(Limits(1)))
    # more than one memory is multi-memory, a proposal interp does not implement
    for m in (Module(imports=[imp], mems=[MemType(Limits(1))]),
              Module(mems=[MemType(Limits(1)), MemType(Limits(1))])):
        with pytest.raises(UnsupportedFeature, match="multi-memory"):
            validate_module(m)


def test_exports_start_imports():
    m = one_func([], exports=[Export("a", "func", 0), Export("a", "memory", 0)],
                 mems=[MemType(Limits(1))])
    invalid(m, "duplicate export name")
    invalid(one_func([], exports=[Export("g", "global", 0)]), "unknown global")
    invalid(one_func([], exports=[Export("f", "func", 1)]), "unknown function")
    validate_module(one_func([], start=0))
    invalid(one_func([], params=(I32,), start=0), "start function")
    invalid(one_func([ins("i32.const", 0)], results=(I32,), start=0), "start function")
    invalid(one_func([], start=1), "unknown function")
    invalid(Module(imports=[Import("m", "f", "func", 0)]), "unknown type")


# --- stack_types_at -------------------------------------------------------------------------

def test_stack_types_at():
    body = [ins("f64.const", 1.0), ins("i32.const", 0),             # 0 1
            ins("block", 1),                                         # 2: [i32] -> [i64]
            ins("i64.extend_i32_u"), ins("i32.const", 1),            # 3 4
            ins("if", O.BLOCK_EMPTY), ins("nop"), ins("else"),       # 5 6 7
            ins("unreachable"), ins("nop"), ins("end"),              # 8 9 10
            ins("end"), ins("drop"), ins("drop")]                    # 11 12 13
    m = one_func(body, more_types=[FuncType((I32,), (I64,))])
    validate_module(m)
    assert stack_types_at(m, 0, 0) == ([], [(None, -1, 0)])
    assert stack_types_at(m, 0, 3) == ([F64, I32], [(None, -1, 0), (O.BLOCK, 2, 1)])
    assert stack_types_at(m, 0, 6) == ([F64, I64],
                                       [(None, -1, 0), (O.BLOCK, 2, 1), (O.IF, 5, 0)])
    assert stack_types_at(m, 0, 9) == ([F64, I64],
                                       [(None, -1, 0), (O.BLOCK, 2, 1), (O.IF, 5, 0)])
    assert stack_types_at(m, 0, 12) == ([F64, I64], [(None, -1, 0)])
    u = one_func([ins("unreachable"), ins("select"), ins("drop")])
    assert stack_types_at(u, 0, 2) == ([UNKNOWN], [(None, -1, 0)])


# --- speed ----------------------------------------------------------------------------------

def test_large_body_is_fast():
    """40k instructions (a 100 KB compiled C program's worth) validate well under a second."""
    chunk = [ins("local.get", 0), ins("i32.const", 4), ins("i32.add"), ins("local.tee", 1),
             ins("i32.load", (2, 0)), ins("local.get", 1), ins("i32.const", 3), ins("i32.shl"),
             ins("i32.xor"), ins("local.set", 0),
             ins("block", O.BLOCK_EMPTY), ins("local.get", 0), ins("br_if", 0),
             ins("local.get", 0), ins("i32.const", 1), ins("i32.sub"), ins("local.set", 0),
             ins("end"), ins("call", 0), ins("nop")]
    m = one_func(chunk * 2000, locals_=(I32, I32), mems=[MemType(Limits(1))])
    t0 = time.perf_counter()
    heights = validate_module(m)
    elapsed = time.perf_counter() - t0
    assert len(heights[0]) == len(chunk) * 2000 + 1
    assert elapsed < 1.0, elapsed


# --- the official spec suite ----------------------------------------------------------------

SUITE = "/work/shared/wasm-testsuite"
CACHE = os.path.join(ROOT, "tests", ".cache", "validate")


def _suite_files():
    return sorted(f for f in glob.glob(os.path.join(SUITE, "*.wast"))
                  if not os.path.basename(f).startswith("simd"))


def _converted(wast):
    """wast2json output for one file, cached; returns (directory, commands)."""
    name = os.path.basename(wast)[:-5]
    out = os.path.join(CACHE, name)
    js = os.path.join(out, name + ".json")
    if not os.path.exists(js) or os.path.getmtime(js) < os.path.getmtime(wast):
        os.makedirs(out, exist_ok=True)
        subprocess.run(["wast2json", wast, "-o", js], check=True, capture_output=True)
    with open(js) as fh:
        return out, json.load(fh)["commands"]


def run_suite_file(wast, counts=None):
    """Returns a list of failure descriptions for one .wast file; `counts` (a dict) gets the
    number of modules checked per command kind."""
    from interp.decode import decode_module
    out, commands = _converted(wast)
    failures = []
    for cmd in commands:
        kind = cmd["type"]
        if kind not in ("module", "assert_invalid") or cmd.get("module_type", "binary") != "binary":
            continue
        with open(os.path.join(out, cmd["filename"]), "rb") as fh:
            data = fh.read()
        where = "%s:%d" % (os.path.basename(wast), cmd["line"])
        if counts is not None:
            counts[kind] = counts.get(kind, 0) + 1
        try:
            module = decode_module(data)
        except MalformedError as e:
            if kind == "assert_invalid" and e.message == "data count section required":
                # wabt omits the data count section when a module has no data segments, so
                # its binaries of these tests are malformed; the spec's own encoder adds one.
                continue
            failures.append("%s decode failed: %s" % (where, e))
            continue
        if kind == "module":
            try:
                heights = validate_module(module)
            except InvalidError as e:
                failures.append("%s valid module rejected: %s" % (where, e))
                continue
            if [len(h) for h in heights] != [len(f.body) for f in module.funcs]:
                failures.append("%s heights not parallel to bodies" % where)
                continue
            for k, (f, h) in enumerate(zip(module.funcs, heights)):
                nresults = len(module.types[f.type_idx].results)
                if h[0] != 0 or h[-1] not in (-1, nresults):
                    failures.append("%s func %d: bad entry/exit heights" % (where, k))
                mid = len(h) // 2  # stack_types_at must agree with the heights
                types, blocks = stack_types_at(module, k, mid)
                if h[mid] != -1 and len(types) != h[mid] or blocks[0] != (None, -1, nresults):
                    failures.append("%s func %d: stack_types_at disagrees" % (where, k))
        else:
            try:
                validate_module(module)
                failures.append("%s invalid module accepted (%s)" % (where, cmd["text"]))
            except UnsupportedFeature as e:   # Wasm 2.0's "multiple memories": multi-memory
                if cmd["text"] != "multiple memories":
                    failures.append("%s %s, expected %r" % (where, e.message, cmd["text"]))
            except InvalidError as e:
                if not e.message.startswith(cmd["text"]) and not cmd["text"].startswith(e.message):
                    failures.append("%s wrong message %r, expected %r"
                                    % (where, e.message, cmd["text"]))
    return failures


def _have_decode():
    try:
        from interp.decode import decode_module  # noqa: F401  (the submodule, not interp.decode())
        return True
    except ImportError:
        return False


@pytest.mark.skipif(not _have_decode(), reason="interp/decode.py not available yet")
@pytest.mark.parametrize("wast", _suite_files(), ids=lambda p: os.path.basename(p))
def test_spec_suite(wast):
    failures = run_suite_file(wast)
    assert not failures, "\n".join(failures[:20])
