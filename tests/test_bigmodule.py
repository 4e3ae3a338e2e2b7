"""Big modules (issue 12): function bodies stay bytes until first use, and a module of about
24 MB built from C runs natively with decode + validate's peak RSS within 4x its size."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.bigmodule.gen import NFUNCS, build_big, expected_output  # noqa: E402

import interp  # noqa: E402

SMALL = 200


def _kept(module):
    return {k for k, f in enumerate(module.funcs) if f._body is not None}


def test_bodies_stay_bytes_until_used():
    m = interp.decode(build_big(SMALL).read_bytes())
    assert len(m.funcs) > SMALL and _kept(m) == set()
    assert m.codemap.heights._lists == {}
    inst = interp.instantiate(m, {"wasi_snapshot_preview1": _wasi_stubs(m)})
    assert inst is not None and _kept(m) == set()   # instantiating runs nothing
    k = next(k for k, f in enumerate(m.funcs) if f.instrs() and f._body is None)
    body = m.funcs[k].instrs()
    assert _kept(m) == set()                         # a scan keeps nothing
    assert m.funcs[k].body == body and _kept(m) == {k}
    heights = m.codemap.heights[k]
    assert len(heights) == len(body)


def _wasi_stubs(m):
    ftypes = m.types
    return {imp.name: interp.HostFunc(ftypes[imp.desc], lambda *a: 0)
            for imp in m.imports if imp.kind == "func"}


def test_small_variant_runs():
    app = build_big(SMALL)
    args = ["3", "17", "199"]
    p = subprocess.run([sys.executable, "-m", "selfhost", str(app)] + args, cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout == expected_output(args, SMALL)


_PEAK = r"""
import sys
import interp
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
before = hwm()                                      # the module's own bytes count too
data = open(sys.argv[1], "rb").read()
interp.decode(data)
print(before, hwm(), len(data))
"""


@pytest.mark.slow
def test_big_module_runs_and_decodes_within_4x():
    app = build_big()                                # minutes the first time, then cached
    assert app.stat().st_size > 24_000_000
    args = ["3", "17", str(NFUNCS - 1)]
    p = subprocess.run([sys.executable, "-m", "selfhost", str(app)] + args, cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr
    assert p.stdout == expected_output(args)
    out = subprocess.run([sys.executable, "-c", _PEAK, str(app)], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=900).stdout.split()
    before, peak, size = map(int, out)
    assert peak - before <= 4 * size, (before, peak, size)
