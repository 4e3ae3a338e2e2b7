"""host/offload/native_cache.py: the next run of an app neither instruments nor compiles its
native side again, and a damaged or foreign entry is never used."""
import os

import pytest

wasmtime = pytest.importorskip("wasmtime")

import interp                                        # noqa: E402
import interp.instrument                             # noqa: E402
from host.offload import native_cache                # noqa: E402
from tests.test_tier2_native import build           # noqa: E402


def _same_points(a, b):
    assert sorted(a) == sorted(b)
    for f in a:
        assert [[getattr(p, k) for k in p.__slots__] for p in a[f].points] == \
            [[getattr(p, k) for k in p.__slots__] for p in b[f].points]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SELFHOST_CACHE", str(tmp_path))
    return tmp_path / "native"


def test_instrumented_app_comes_from_the_cache_the_second_time(cache, monkeypatch):
    module = interp.decode(build("kernels_cmd").read_bytes())
    funcs = range(len(module.imported("func")), len(module.func_types()))
    made = interp.instrument.instrument(module, funcs)
    data, points = native_cache.instrumented(module, funcs)
    assert data == made.data
    _same_points(points, made.funcs)
    assert len(list(cache.glob("*.t2"))) == 1

    def refuse(*a, **k):
        raise AssertionError("instrumented again")
    monkeypatch.setattr(interp.instrument, "instrument", refuse)
    data2, points2 = native_cache.instrumented(module, funcs)
    assert data2 == made.data
    _same_points(points2, made.funcs)
    # other functions or other imports that unwind: another entry, never this one
    with pytest.raises(AssertionError, match="instrumented again"):
        native_cache.instrumented(module, list(funcs)[1:])


def test_a_damaged_entry_is_made_again(cache):
    module = interp.decode(build("kernels_cmd").read_bytes())
    funcs = range(len(module.imported("func")), len(module.func_types()))
    data, _points = native_cache.instrumented(module, funcs)
    entry, = cache.glob("*.t2")
    entry.write_bytes(entry.read_bytes()[:len(entry.read_bytes()) // 2])
    data2, points2 = native_cache.instrumented(module, funcs)
    assert data2 == data and points2
    assert entry.stat().st_size > len(data)


def test_compiled_module_is_deserialized_and_a_bad_copy_recompiled(cache):
    engine = wasmtime.Engine()
    wasm = bytes(wasmtime.wat2wasm('(module (func (export "f") (result i32) i32.const 7))'))
    m1 = native_cache.compiled(engine, wasm)
    entry, = cache.glob("*.cwasm")
    m2 = native_cache.compiled(engine, wasm)          # from the file (mapped: replace it,
    bad = entry.with_suffix(".bad")                   # as the cache itself writes, never
    bad.write_bytes(b"not a compiled module")         # rewrite it in place)
    os.replace(bad, entry)
    m3 = native_cache.compiled(engine, wasm)          # rejected: compiled again, replaced
    for m in (m1, m2, m3):
        store = wasmtime.Store(engine)
        assert wasmtime.Instance(store, m, []).exports(store)["f"](store) == 7
    assert entry.read_bytes() != b"not a compiled module"
