"""Microbenchmarks of selfhost's interpreter through the embedding API (pytest-benchmark).

    python -m pytest bench --benchmark-only

Not part of the normal test run (pyproject's testpaths is tests/). Each benchmark records the
Wasm instructions one call executes (wasmtime's fuel count) in extra_info, with the resulting
million instructions per second for the best round.
"""
import pytest

import interp
from bench import build as kbuild
from bench import peers


@pytest.fixture(scope="module")
def kernels():
    return kbuild.build(["loop", "fib", "sieve", "vm"])


def _run(benchmark, kernels, name, size):
    path = kernels[name]["freestanding"]
    inst = peers.interp_instance(path)
    expected = peers.signed64(peers.load_wasmtime(path, name)(size))
    count = peers.count_instructions(path, name, size)
    result = benchmark(inst.invoke, name, size)
    assert peers.signed64(result[0]) == expected
    benchmark.extra_info["wasm_instructions"] = count
    if benchmark.stats is not None:
        benchmark.extra_info["M_instr_per_s_best"] = round(count / benchmark.stats.stats.min / 1e6, 3)


def test_dispatch_loop(benchmark, kernels):
    """A loop over locals: pure dispatch cost."""
    _run(benchmark, kernels, "loop", 20000)


def test_fib_calls(benchmark, kernels):
    """Recursive calls: frame push/pop cost."""
    _run(benchmark, kernels, "fib", 15)


def test_sieve_memory(benchmark, kernels):
    """Byte loads and stores."""
    _run(benchmark, kernels, "sieve", 5000)


def test_vm_br_table(benchmark, kernels):
    """A switch-dispatched loop (br_table) with loads/stores."""
    _run(benchmark, kernels, "vm", 5)


def test_decode_instantiate(benchmark, kernels):
    """Load time of a small module: decode + validate + instantiate."""
    data = open(kernels["vm"]["freestanding"], "rb").read()
    benchmark(lambda: interp.instantiate(peers.interp_decode(data), {}))
