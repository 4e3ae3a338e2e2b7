"""The official spec suite run by selfhost.wasm itself, inside a host runtime.

tests/test_spec_suite.py judges the interpreter on the CPython it is developed on. Inside
selfhost.wasm the same Python code runs on py2wasm's CPython, compiled to Wasm, with a Wasm libc:
float formatting, math functions, struct and int/float conversions all come from a different
build. Here selfhost.wasm runs the suite's scripts itself (`--spec-json`, interp/spectest.py) and
must give exactly the counts the native run gives: every assertion that passes natively passes
inside every host.

Without build/selfhost.wasm the tests skip, unless SELFHOST_REQUIRE_BUILD is set (CI).
"""
import io
import os
import subprocess
from pathlib import Path

import pytest

from host import launch
from selfhost.spectest import run_scripts
from tests import spec

ROOT = Path(__file__).resolve().parent.parent
GUEST = "/spec"
def _scripts(names=None):
    if not os.path.isdir(spec.DEFAULT_SUITE):
        pytest.skip("the spec suite is not at %s (../shared missing)" % spec.DEFAULT_SUITE)
    try:
        spec.find_wast2json()
    except spec.UsageError as e:
        pytest.skip(str(e))
    files = spec.collect([spec.DEFAULT_SUITE], ["simd_*"])
    if names is not None:
        files = [f for f in files if os.path.basename(f)[:-5] in names]
    return [spec.convert(f) for f in files]


def _require_build():
    path = launch.selfhost_wasm()
    check = subprocess.run(["bash", str(ROOT / "build.sh"), "--check"], capture_output=True,
                           cwd=ROOT)
    if not path.is_file() or check.returncode != 0:
        if os.environ.get("SELFHOST_REQUIRE_BUILD"):
            pytest.fail("%s is missing or stale but SELFHOST_REQUIRE_BUILD is set" % path)
        pytest.skip("%s missing or out of date (run ./build.sh)" % path)


def _counts(text):
    last = text.strip().splitlines()[-1].split()
    return int(last[0]), int(last[2]), int(last[4])


@pytest.mark.parametrize("runtime", ["wasmtime", "node", "wasmer"])
def test_spec_suite_inside_selfhost_wasm(runtime):
    _require_build()
    scripts = _scripts()
    assert scripts
    native = io.StringIO()
    run_scripts(scripts, native)
    guest_paths = [GUEST + "/" + os.path.relpath(p, spec.CACHE_ROOT).replace(os.sep, "/")
                   for p in scripts]
    result = launch.run(runtime, ["--spec-json"] + guest_paths,
                        dirs=[(spec.CACHE_ROOT, GUEST)], timeout=1500)
    out = result.stdout.decode(errors="replace")
    assert result.returncode == 0, out[-3000:] + result.stderr.decode(errors="replace")[-2000:]
    assert out.splitlines() == native.getvalue().splitlines()
    passed, failed, _skipped = _counts(out)
    assert failed == 0 and passed > 25000


def test_spec_json_reports_failures_with_exit_code(tmp_path):
    """--spec-json fails (exit 1) when an assertion fails: a script whose expected result is
    wrong, run natively through the same entry."""
    wasm = tmp_path / "m.wasm"
    # (module (func (export "f") (result i32) i32.const 7))
    wasm.write_bytes(bytes.fromhex("0061736d01000000010501600001" "7f03020100070501016600000a"
                                   "0601040041070b"))
    script = tmp_path / "bad.json"
    script.write_text('{"commands": [{"type": "module", "line": 1, "filename": "m.wasm"},'
                      '{"type": "assert_return", "line": 2, "action": {"type": "invoke", '
                      '"field": "f", "args": []}, "expected": [{"type": "i32", "value": "8"}]},'
                      '{"type": "assert_return", "line": 3, "action": {"type": "invoke", '
                      '"field": "f", "args": []}, "expected": [{"type": "i32", "value": "7"}]}]}')
    result = launch.run("native", ["--spec-json", str(script)])
    out = result.stdout.decode()
    assert result.returncode == 1, out + result.stderr.decode()
    assert "bad.wast: 1 passed, 1 failed, 0 skipped" in out
    assert out.strip().splitlines()[-1] == "1 passed, 1 failed, 0 skipped"


def test_script_paths_are_read_through_the_dir_mapping(tmp_path):
    """Scripts named by their guest path (as a launcher that mounts dirs elsewhere passes
    them) are read from the --dir HOST they map to."""
    from selfhost.cli import host_path
    assert host_path("/spec/i32/x.json", [("/workspace/d0", "/spec")]) == "/workspace/d0/i32/x.json"
    assert host_path("/specs/x.json", [("/w", "/spec")]) == "/specs/x.json"
    assert host_path("/a/b", [("/w", "/")]) == "/w/a/b"
    scripts = _scripts(("nop", "i32"))
    mapped = ["/suite/" + os.path.relpath(p, spec.CACHE_ROOT).replace(os.sep, "/")
              for p in scripts]
    result = launch.run("native", ["--dir", "%s::/suite" % spec.CACHE_ROOT, "--spec-json"]
                        + mapped)
    out = result.stdout.decode()
    assert result.returncode == 0, out + result.stderr.decode()
    assert "nop.wast: " in out and "i32.wast: 457 passed, 0 failed" in out
