"""Real-world C programs under selfhost, compared with the same program run directly.

The programs (tests/real/build.py) are real C code bases compiled to wasm32-wasi from the
PyPI sdists that carry their sources: lz4 and zstd (driven by our round-trip drivers
tests/real/*_roundtrip.c: block, frame and streaming APIs, stdio file I/O in a preopen) and
brotli's own command line tool. Each case runs the program directly under wasmtime-py
(``host.launch.run_app_direct``, the reference) and under selfhost: natively with tier 1 at its
default, forced on (SELFHOST_TIER1_THRESHOLD=0) and off, and as build/selfhost.wasm under
wasmtime, Wasmer and Node. stdout, stderr, the exit code and the files left in the preopen
(contents, and the mtime where the program sets it) must be identical.

Inputs are small (a few KiB): inside selfhost.wasm the programs run ~1000x slower than native.
The cases skip when the sdists cannot be obtained (offline without $SELFHOST_SDIST_DIR); the
hosted runtimes skip when build/selfhost.wasm is missing or older than its sources, unless
SELFHOST_REQUIRE_BUILD=1 (then they fail).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from host import launch
from tests.real.build import Unavailable, build_program
from tests.test_apps_hosts import snapshot_tree as apps_snapshot_tree

ROOT = Path(__file__).resolve().parent.parent
GUEST_DIR = "/sandbox"
APPS_GUEST_DIR = "/selfhost-apps"
# the mtime given to the inputs: a program that copies it to its output (brotli) must copy it
# exactly, nanoseconds included where the host keeps them
FIXED_MTIME_NS = 1_500_000_000_123_456_789
SET_BY_APP_BEFORE_NS = 1_600_000_000 * 10**9


def make_input(size, seed=1):
    """Deterministic, compressible but not trivial data: words, numbers, some binary runs."""
    words = [b"the", b"selfhost", b"wasm", b"runtime", b"python", b"compress", b"stream",
             b"frame", b"block", b"window", b"of", b"and", b"lz77", b"huffman", b"entropy"]
    out = bytearray()
    x = seed
    while len(out) < size:
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        r = x >> 33
        if r % 17 == 0:
            out += bytes((r >> s) & 0xFF for s in range(0, 24, 3))   # a short binary run
        elif r % 5 == 0:
            out += b"%d " % (r % 100000)
        else:
            out += words[r % len(words)] + (b"\n" if r % 11 == 0 else b" ")
    return bytes(out[:size])


INPUT = make_input(8_000)


def _setup_input(box):
    (box / "input.bin").write_bytes(INPUT)
    os.utime(box / "input.bin", ns=(FIXED_MTIME_NS, FIXED_MTIME_NS))


def _setup_corrupt(box):
    _setup_input(box)
    (box / "bad.br").write_bytes(b"\x1b\x4a\x00\xf8garbage that is not a brotli stream" * 3)


def _setup_subdir(box):
    _setup_input(box)
    (box / "sub").mkdir()


def _brotli_of_input():
    """INPUT compressed by brotli itself, run directly (the stdin of the decompression case)."""
    result = launch.run_app_direct(build_program("brotli"), ["-c", "-q", "4", "-"],
                                   stdin=INPUT, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


# name: (program, args, setup, stdin (bytes or a callable), cheap: run on every runtime)
CASES = {
    "lz4": ("lz4_roundtrip", [GUEST_DIR + "/input.bin", GUEST_DIR], _setup_input, b"", True),
    "zstd": ("zstd_roundtrip", [GUEST_DIR + "/input.bin", GUEST_DIR], _setup_input, b"", True),
    # compress to a file next to the input: brotli copies the input's mtime to the output
    "brotli_file": ("brotli", ["-q", "5", "-k", GUEST_DIR + "/input.bin",
                               "-o", GUEST_DIR + "/input.bin.br"], _setup_input, b"", True),
    # compress to stdout (-c), quality 9, 64 KiB window
    "brotli_stdout": ("brotli", ["-c", "-q", "9", "-w", "16", GUEST_DIR + "/input.bin"],
                      _setup_input, b"", False),
    # decompress stdin to stdout
    "brotli_stdin": ("brotli", ["-d", "-c"], None, _brotli_of_input, False),
    # a corrupt input: brotli's own error message on stderr, exit code 1, no output file left
    "brotli_corrupt": ("brotli", ["-d", GUEST_DIR + "/bad.br", "-o", GUEST_DIR + "/out"],
                       _setup_corrupt, b"", False),
    # a directory as input: fopen succeeds, the first fread fails with EBADF (as wasmtime:
    # selfhost's fd_read on a directory said EISDIR)
    "brotli_dir": ("brotli", ["-q", "1", "-k", GUEST_DIR + "/sub"], _setup_subdir, b"", False),
}

# how selfhost runs: a host runtime (through host.launch.run), or natively as `python -m
# interp` with SELFHOST_TIER1_THRESHOLD set (None: its default)
MODES = {
    "native": ("native", None),
    "native-tier1-always": ("python", "0"),
    "native-tier1-off": ("python", "off"),
    "wasmtime": ("wasmtime", None),
    "wasmer": ("wasmer", None),
    "node": ("node", None),
}
HOSTED = ("wasmtime", "wasmer", "node")

# Differences that come from a host runtime under selfhost.wasm, not from selfhost: strict
# xfails, so a host that starts to behave makes the test fail until the entry is removed.
HOST_LIMITS = {
    ("brotli_file", "wasmer"): "wasmer-sdk 0.5.0's SandboxFileSystem has no timestamps "
                               "(write/read/stat: FileStat is kind and size only): the files "
                               "host/runtimes/wasmer_child.py copies in get the current time inside "
                               "the sandbox and the files copied back get the time of the copy, "
                               "so the input mtime brotli copies to its output is lost",
}

_build_state = []


def _selfhost_wasm_problem():
    """None when build/selfhost.wasm is there and up to date, else why not (checked once)."""
    if not _build_state:
        wasm = launch.selfhost_wasm()
        if not wasm.is_file():
            _build_state.append("%s is missing (build it first: bash build.sh)" % wasm)
        elif os.environ.get("SELFHOST_WASM"):
            _build_state.append(None)
        else:
            proc = subprocess.run(["bash", str(ROOT / "build.sh"), "--check"],
                                  capture_output=True, text=True)
            _build_state.append(None if proc.returncode == 0 else
                                "build/selfhost.wasm is older than its sources (bash build.sh)")
    return _build_state[0]


def _program(name):
    try:
        return build_program(name)
    except Unavailable as e:
        pytest.skip("sources of %s not available: %s" % (name, e))


def snapshot_tree(root):
    """The files under root, with the mtimes an app set (see test_apps_hosts.snapshot_tree)."""
    return apps_snapshot_tree(root, SET_BY_APP_BEFORE_NS)


def run_python(threshold, app_wasm, args, dirs, stdin):
    argv = [sys.executable, "-m", "host.runtimes.native_main"]
    for host, guest in dirs:
        argv += ["--dir", "%s::%s" % (host, guest)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), SELFHOST_TIER1_THRESHOLD=threshold)
    proc = subprocess.run(argv + [str(app_wasm), *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=env, timeout=900)
    return launch.Result(proc.returncode, proc.stdout, proc.stderr)


def run_case(name, mode, tmp_path):
    program, args, setup, stdin, _cheap = CASES[name]
    app = _program(program)
    if callable(stdin):
        stdin = stdin()
    root = tmp_path / mode
    box = root / "box"
    box.mkdir(parents=True)
    if setup is not None:
        setup(box)
    dirs = [(str(box), GUEST_DIR)]
    if mode == "ref":
        result = launch.run_app_direct(app, args, dirs=dirs, stdin=stdin, timeout=300)
    else:
        runtime, threshold = MODES[mode]
        if runtime == "python":
            result = run_python(threshold, app, args, dirs, stdin)
        else:
            result = launch.run(runtime, ["%s/%s" % (APPS_GUEST_DIR, app.name), *args],
                                dirs=dirs, stdin=stdin, timeout=900,
                                private_dirs=[(str(app.parent), APPS_GUEST_DIR)])
    return result, snapshot_tree(root)


def _params():
    for name, case in CASES.items():
        for mode in MODES:
            if case[4] or mode in ("native", "wasmtime"):
                yield pytest.param(name, mode, id="%s-%s" % (name, mode))


@pytest.mark.parametrize("name, mode", list(_params()))
def test_real_program_matches_reference(name, mode, tmp_path, request):
    if (name, mode) in HOST_LIMITS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=HOST_LIMITS[name, mode]))
    if mode in HOSTED:
        problem = _selfhost_wasm_problem()
        if problem:
            if os.environ.get("SELFHOST_REQUIRE_BUILD") == "1":
                pytest.fail(problem + " and SELFHOST_REQUIRE_BUILD=1")
            pytest.skip(problem)
    ref, ref_tree = run_case(name, "ref", tmp_path)
    ours, our_tree = run_case(name, mode, tmp_path)
    assert ours.stderr == ref.stderr
    assert ours.stdout == ref.stdout
    assert ours.returncode == ref.returncode
    assert our_tree == ref_tree


def test_reference_runs_are_meaningful(tmp_path):
    """Guards the comparison: the reference runs really compress, verify and write files."""
    ref, tree = run_case("lz4", "ref", tmp_path / "a")
    assert ref.returncode == 0, ref.stderr
    assert ref.stdout.count(b", ok") == 3
    assert tree["box/copy.out"][1] == INPUT
    assert 0 < len(tree["box/input.bin.lz4"][1]) < len(INPUT) // 2
    ref, tree = run_case("zstd", "ref", tmp_path / "b")
    assert ref.returncode == 0, ref.stderr
    assert ref.stdout.count(b", ok") == 4
    assert tree["box/copy.out"][1] == INPUT
    ref, tree = run_case("brotli_file", "ref", tmp_path / "c")
    assert ref.returncode == 0, ref.stderr
    compressed = tree["box/input.bin.br"]
    assert 0 < len(compressed[1]) < len(INPUT) // 2
    # brotli copied the input's mtime (with utime(): whole seconds)
    assert compressed[2] == FIXED_MTIME_NS // 10**9 * 10**9
    ref, _ = run_case("brotli_stdin", "ref", tmp_path / "d")
    assert ref.returncode == 0 and ref.stdout == INPUT
    ref, tree = run_case("brotli_corrupt", "ref", tmp_path / "e")
    assert ref.returncode == 1 and b"corrupt input" in ref.stderr
    assert "box/out" not in tree
    ref, _ = run_case("brotli_dir", "ref", tmp_path / "f")
    assert ref.returncode == 1 and b"Bad file descriptor" in ref.stderr


def test_offload_hands_small_functions_with_a_big_heap_back_to_the_interpreter():
    """Found with zstd and brotli (20 MiB heaps): an offloaded call copies the whole memory in
    and out, ~7 ms each way, so offloading a tiny hot function made them 25-45x slower than
    offload off. The cost model (interp/offload.py) measures each offloaded call and reverts
    a function whose calls do not pay after a few calls."""
    wasmtime = pytest.importorskip("wasmtime")
    import interp
    from interp import offload
    from interp.module import FuncType
    from host.offload import native as offload_native
    # $tiny loops (so the cost model offloads it at its first call) but does almost nothing;
    # "run" calls an import, so it stays in the interpreter and calls $tiny 3000 times
    wat = """(module (import "env" "tick" (func $tick)) (memory 320)
      (func $tiny (param i32) (result i32) (local $i i32)
        (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 2))))
        (i32.store (i32.const 8192) (local.get $i))
        (i32.add (local.get 0) (local.get $i)))
      (func (export "run") (param $n i32) (result i32) (local $acc i32)
        (loop $l
          (local.set $acc (call $tiny (i32.xor (local.get $acc) (local.get $n))))
          (call $tick)
          (i32.store (i32.const 4096) (local.get $acc))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (i32.load (i32.const 4096))))"""
    module = interp.decode(bytes(wasmtime.wat2wasm(wat)))
    off = offload_native.make_offloader(module)
    imports = {"env": {"tick": interp.HostFunc(FuncType((), ()), lambda: None)}}
    inst = interp.instantiate(module, imports)
    result = inst.invoke("run", 3000)
    ref = interp.instantiate(interp.decode(bytes(wasmtime.wat2wasm(wat))), imports)
    ref.machine.tier1_threshold = None
    assert result == ref.invoke("run", 3000)
    tiny = 1
    assert tiny in off.reverted
    assert off.calls[tiny] <= 2 * offload.MIN_CALLS + 1   # then never native again


def test_app_arguments_dash_c_and_dash_m_reach_the_app():
    """Found with `brotli -c`: Nuitka's runtime in selfhost.wasm exited with code 2 ("the
    program tried to call itself with '-c' argument") when any argument was -c or -m
    (selfhost_main.py turns that check off)."""
    problem = _selfhost_wasm_problem()
    if problem:
        if os.environ.get("SELFHOST_REQUIRE_BUILD") == "1":
            pytest.fail(problem + " and SELFHOST_REQUIRE_BUILD=1")
        pytest.skip(problem)
    from tests.apps.build import build_app
    app = build_app("args_env")
    args = ["-c", "-m", "x"]
    ref = launch.run_app_direct(app, args, timeout=120)
    ours = launch.run("wasmtime", ["%s/%s" % (APPS_GUEST_DIR, app.name), *args], timeout=300,
                      private_dirs=[(str(app.parent), APPS_GUEST_DIR)])
    assert ref.returncode == 0 and b"-m" in ref.stdout
    assert (ours.returncode, ours.stdout, ours.stderr) == (ref.returncode, ref.stdout, ref.stderr)
