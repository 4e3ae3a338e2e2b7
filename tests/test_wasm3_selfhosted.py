"""The wasm3-selfhosted peer (bench/wasm3_selfhosted.py): wasm3 built to wasm32-wasi from the
pywasm3 sdist, run by the real wasmtime CLI, must compute what our interpreter computes, and the
bench's table must have a row per kernel. Skips (with the reason) when the sdist, ziglang or
the wasmtime CLI cannot be had, e.g. offline.
"""
import pytest

pytest.importorskip("wasmtime")

from bench import build as kbuild  # noqa: E402
from bench import peers  # noqa: E402
from bench import wasm3_selfhosted as w3  # noqa: E402

TINY = {"fib": 5, "sieve": 100, "matmul": 4, "mix64": 100}


def test_wasm3_in_wasmtime_cli_agrees_with_interp_and_table_has_every_kernel():
    try:
        driver = w3.build_driver()
        w3.wasmtime_cli()
    except w3.Unavailable as e:
        pytest.skip("wasm3-selfhosted cannot be built here: %s" % e)
    fib = kbuild.build(["fib"])["fib"]["freestanding"]
    out = w3.run_driver(driver, fib, "fib", 3, 12)
    assert out["result"] == peers.load_interp(fib, "fib")(12) == 144
    assert 0 < out["seconds"] <= out["launch_seconds"]

    rows, meta = w3.run(w3.KERNELS, sizes=TINY, repeat=1)
    text = w3.format_table(rows, meta)
    table = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert [line.split(" | ")[0][2:] for line in table[1:]] == list(w3.KERNELS)
    assert all(line.endswith("| yes |") for line in table[1:]), text
    assert "Load average" in text
