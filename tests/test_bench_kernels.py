"""The benchmark kernels (bench/kernels/*.c) build, and selfhost's interpreter computes the same
checksums as native wasmtime on small sizes (a correctness test, not a timing test)."""
import subprocess
import sys
from pathlib import Path

import pytest

from bench import build as kbuild
from bench import peers

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"fib": 12, "sieve": 2000, "matmul": 6, "mix64": 500, "vm": 2, "nbody": 20, "loop": 300}
NAMES = list(kbuild.KERNELS) + list(kbuild.EXTRA_KERNELS)


@pytest.fixture(scope="module")
def built():
    return kbuild.build(NAMES)   # into bench/.cache (rebuilt only when a source changes)


@pytest.mark.parametrize("name", NAMES)
def test_interp_matches_wasmtime(built, name):
    path = built[name]["freestanding"]
    expected = peers.signed64(peers.load_wasmtime(path, name)(SMALL[name]))
    inst = peers.interp_instance(path)
    assert peers.signed64(inst.invoke(name, SMALL[name])[0]) == expected
    # a second call on the same instance gives the same answer (kernels reset their state)
    assert peers.signed64(inst.invoke(name, SMALL[name])[0]) == expected


@pytest.mark.parametrize("name", ["fib", "matmul", "nbody"])
def test_wasi_command_prints_checksum(built, name):
    """The WASI command build, run by `python -m selfhost`, prints the same checksum."""
    expected = peers.signed64(peers.load_wasmtime(built[name]["freestanding"], name)(SMALL[name]))
    proc = subprocess.run([sys.executable, "-m", "selfhost", str(built[name]["command"]),
                           str(SMALL[name])], capture_output=True, text=True, cwd=str(ROOT),
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.split()[-1]) == expected


def test_signed64():
    assert peers.signed64(2 ** 64 - 1) == -1
    assert peers.signed64(-5) == -5
    assert peers.signed64(2 ** 63) == -2 ** 63
