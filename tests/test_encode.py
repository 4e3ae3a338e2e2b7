"""interp/encode.py: Module -> bytes, the inverse of decode.

decode(encode(m)) has m's structures (offsets aside) for every module of the spec suite that
decodes, and for every test app (tests/apps, tests/ckpt_apps, tests/offload_apps,
tests/kernels, tests/tier2_apps, bench/kernels, and the real programs of tests/real when their
sdists can be had); valid modules stay valid for wasmtime; a re-encoded kernel computes the
same as the original.
"""
import glob
import os
import shutil
import sys
from pathlib import Path

import pytest

import interp
from interp import opcodes as W
from interp.decode import decode_module
from interp.encode import encode_module, name_section, sleb, uleb
from interp.errors import MalformedError, ModuleError
from interp.values import f32_from_bits, f32_to_bits, f64_to_bits
from tests.apps.build import CFLAGS, app_names, build_app, build_c

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT.parent / "shared" / "wasm-testsuite"
CACHE = ROOT / "tests" / ".cache"
FREESTANDING = ["-target", "wasm32-freestanding", "-nostdlib", "-O2", "-Wl,--no-entry"]


def canon_expr(expr):
    """An instruction list without offsets, floats as their bits (NaN payloads compared)."""
    out = []
    for op, imm, _off in expr:
        if op == W.F32_CONST:
            imm = ("f32", f32_to_bits(imm))
        elif op == W.F64_CONST:
            imm = ("f64", f64_to_bits(imm))
        out.append((op, imm))
    return out


def canon(m):
    """Everything decode produces, offsets and the raw bytes aside."""
    return {
        "types": m.types, "imports": m.imports,
        "funcs": [(f.type_idx, f.locals, canon_expr(f.body)) for f in m.funcs],
        "tables": m.tables, "mems": m.mems, "tags": m.tags,
        "globals": [(g.type, canon_expr(g.init)) for g in m.globals],
        "exports": m.exports, "start": m.start,
        "elems": [(e.reftype, [canon_expr(x) for x in e.init], e.mode, e.table,
                   None if e.offset is None else canon_expr(e.offset)) for e in m.elems],
        "datas": [(bytes(d.init), d.mode, d.memory,
                   None if d.offset is None else canon_expr(d.offset)) for d in m.datas],
        "datacount": m.datacount, "customs": m.customs, "func_names": m.func_names}


def assert_round_trip(data, what):
    m = decode_module(data)
    again = decode_module(encode_module(m))
    a, b = canon(m), canon(again)
    for key in a:
        assert a[key] == b[key], "%s: %s differ after encode/decode" % (what, key)
    return m


# --------------------------------------------------------------------------- unit cases

def test_leb128_edges():
    for n in (0, 1, 63, 64, 127, 128, 255, 16383, 16384, 2**32 - 1, 2**64 - 1):
        b = uleb(n)
        assert b[-1] < 0x80 and all(x >= 0x80 for x in b[:-1])
        v = sum((x & 0x7F) << (7 * i) for i, x in enumerate(b))
        assert v == n
    for n in (0, 1, -1, 63, -64, 64, -65, 2**31 - 1, -2**31, 2**63 - 1, -2**63):
        b = sleb(n)
        v = sum((x & 0x7F) << (7 * i) for i, x in enumerate(b))
        if b[-1] & 0x40:
            v -= 1 << (7 * len(b))
        assert v == n and (len(b) == 1 or b[-1] not in (0, 0x7F) or
                           (b[-1] == 0 and b[-2] & 0x40) or (b[-1] == 0x7F and not b[-2] & 0x40))


def _wat(tmp_path, text):
    if not shutil.which("wat2wasm"):
        pytest.skip("wat2wasm missing")
    import subprocess
    src = tmp_path / "m.wat"
    src.write_text(text)
    subprocess.run(["wat2wasm", "--enable-all", str(src), "-o", str(tmp_path / "m.wasm")],
                   check=True)
    return (tmp_path / "m.wasm").read_bytes()


def test_nan_payloads_consts_and_every_element_form(tmp_path):
    data = _wat(tmp_path, r"""(module
      (type $t (func (param i32 i64) (result f32 f64)))
      (table $a 4 funcref) (table $b 4 externref)
      (memory 1)
      (func $f (type $t) (f32.const nan:0x200001) (f64.const -nan:0x4000000000003))
      (func $g (result i32 i64) (i32.const -2147483648) (i64.const 0x8000000000000000))
      (func (export "h") (param i32) (result i32)
        (memory.fill (i32.const 0) (i32.const 1) (i32.const 2))
        (drop (table.size $b))
        (local.get 0)
        (block (param i32) (result i32) (i32.const 1) (i32.add))
        (select (result i32) (i32.const 2) (local.get 0)))
      (elem (table $a) (i32.const 0) func $f $g)
      (elem (table $b) (i32.const 0) externref (ref.null extern))
      (elem funcref (ref.func $f) (ref.null func))
      (elem func $g)
      (elem declare func $f)
      (data (i32.const 8) "ab") (data "cd")
      (global (mut f32) (f32.const -nan:0x7fffff)))""")
    m = assert_round_trip(data, "m.wasm")
    f32s = [imm for op, imm, _ in m.funcs[0].body if op == W.F32_CONST]
    assert f32_to_bits(f32s[0]) == 0x7FA00001
    assert [e.mode for e in m.elems] == ["active", "active", "passive", "passive", "declarative"]
    assert interp.instantiate(interp.decode(encode_module(m)), {}).invoke("h", 5) == [6]


def test_name_section_of_function_names():
    m = interp.decode(b"\0asm\1\0\0\0")
    m.customs = [("name", name_section({0: "main", 3: "f\u00e9"}))]
    again = decode_module(encode_module(m))
    assert again.func_names == {0: "main", 3: "f\u00e9"}


def test_an_f32_nan_const_keeps_its_bits():
    for bits in (0x7F800001, 0xFFC00000, 0x7FBFFFFF, 0x00000001):
        x = f32_from_bits(bits)
        from interp.encode import encode_expr
        e = encode_expr([(W.F32_CONST, x, 0), (W.END, None, 0)])
        assert int.from_bytes(e[1:5], "little") == bits


# ---------------------------------------------------------------------- the spec suite

@pytest.mark.skipif(not SUITE.is_dir(), reason="spec suite missing (../shared/wasm-testsuite)")
@pytest.mark.skipif(not shutil.which("wast2json"), reason="wast2json missing")
def test_spec_suite_modules_round_trip():
    from tests import spec
    wasmtime = pytest.importorskip("wasmtime")
    engine = wasmtime.Engine()
    checked = valid = 0
    for wast in sorted(SUITE.glob("*.wast")):
        d = os.path.dirname(spec.convert(str(wast)))
        for path in sorted(glob.glob(os.path.join(d, "*.wasm"))):
            with open(path, "rb") as f:
                data = f.read()
            try:
                m = assert_round_trip(data, path)
            except MalformedError:
                continue                      # a malformed module, as the script says
            checked += 1
            try:
                interp.decode(data)
            except ModuleError:
                continue
            wasmtime.Module.validate(engine, encode_module(m))   # valid stays valid
            valid += 1
    assert checked > 2500 and valid > 1200


@pytest.mark.skipif(not shutil.which("wast2json"), reason="wast2json missing")
def test_proposal_scripts_round_trip():
    """Exception handling (tags, try_table, throw), tail calls and atomics: the scripts of
    tests/eh-testsuite. Valid modules stay valid for wasmtime with those proposals on."""
    from tests import spec
    wasmtime = pytest.importorskip("wasmtime")
    cfg = wasmtime.Config()
    cfg.wasm_exceptions = True
    cfg.wasm_tail_call = True
    cfg.wasm_threads = True
    engine = wasmtime.Engine(cfg)
    checked = valid = 0
    for wast in sorted((ROOT / "tests" / "eh-testsuite").glob("*.wast")):
        d = os.path.dirname(spec.convert(str(wast)))
        for path in sorted(glob.glob(os.path.join(d, "*.wasm"))):
            with open(path, "rb") as f:
                data = f.read()
            try:
                m = assert_round_trip(data, path)
            except ModuleError:
                continue                      # malformed or an unsupported feature
            checked += 1
            try:
                interp.decode(data)
            except ModuleError:
                continue
            wasmtime.Module.validate(engine, encode_module(m))
            valid += 1
    assert checked >= 36 and valid >= 16, (checked, valid)


# ------------------------------------------------------------------------ the test apps

def _apps():
    yield "tests/apps", [build_app(n) for n in app_names()]
    yield "tests/ckpt_apps", [build_c(ROOT / "tests/ckpt_apps/stateful.c",
                                      CACHE / "encode_apps", CFLAGS)]
    yield "tests/offload_apps", [build_c(p, CACHE / "encode_apps", CFLAGS)
                                 for p in sorted((ROOT / "tests/offload_apps").glob("*.c"))]
    yield "tests/kernels", [build_c(ROOT / "tests/kernels/kernels.c", CACHE / "encode_apps",
                                    FREESTANDING)]
    yield "tests/tier2_apps", [build_c(ROOT / "tests/tier2_apps/kernels.c",
                                       CACHE / "encode_apps", FREESTANDING)]
    from bench import build as kbuild
    built = kbuild.build()
    yield "bench/kernels", [p for kinds in built.values() for p in kinds.values()]


def test_every_test_app_round_trips():
    wasmtime = pytest.importorskip("wasmtime")
    engine = wasmtime.Engine()
    n = 0
    for _group, paths in _apps():
        for p in paths:
            data = Path(p).read_bytes()
            m = assert_round_trip(data, str(p))
            wasmtime.Module.validate(engine, encode_module(m))
            n += 1
    assert n >= 25


def test_reencoded_kernels_compute_the_same():
    wasmtime = pytest.importorskip("wasmtime")
    from bench import build as kbuild
    built = kbuild.build()
    engine = wasmtime.Engine()
    sizes = {"fib": 18, "sieve": 20000, "matmul": 12, "mix64": 10000, "vm": 2000, "nbody": 200}
    for name, n in sizes.items():
        data = built[name]["freestanding"].read_bytes()
        again = encode_module(decode_module(data))
        results = []
        for d in (data, again):
            store = wasmtime.Store(engine)
            inst = wasmtime.Instance(store, wasmtime.Module(engine, d), [])
            results.append(inst.exports(store)[name](store, n))
        assert results[0] == results[1], name


def test_real_programs_round_trip():
    from tests.real.build import PROGRAMS, Unavailable, build_program
    try:
        paths = [build_program(n) for n in PROGRAMS]
    except Unavailable as e:
        pytest.skip("real programs unavailable: %s" % e)
    for p in paths:
        assert_round_trip(Path(p).read_bytes(), str(p))


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
