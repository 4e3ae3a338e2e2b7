"""The pre-initialized selfhost.wasm (build.sh: `wasmtime wizer`, tools/shims/preinit.c,
selfhost/preinit.py): what CPython read at its build-time start-up must come from each run.

- natively: selfhost.preinit.adopt() rebuilds argv, the environment, the random seed and stdio
  from a run's values; nothing in the modules compiled into selfhost.wasm reads the process state
  (environment, clocks, randomness) at import, when it would be frozen; the Nuitka patch;
- tests/preinit_probe.py (slow: built once with build.sh, like selfhost_main.py): two runs with
  different argv, environment, directories and times see their own, on every host;
- build/selfhost.wasm itself: pre-initialized, and its environment and directories are the run's.
"""
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from host import launch
from host.runtimes import base, node, wasmer, wasmtime_cli, wasmtime_py

ROOT = Path(__file__).resolve().parent.parent
PROBE_SRC = ROOT / "tests" / "preinit_probe.py"
PROBE = ROOT / "tests" / ".cache" / "preinit_probe.wasm"
TIMEOUT = 600


# ---- natively ------------------------------------------------------------------------------

ADOPT = r"""
import io, json, os, random, sys
sys.path.insert(0, sys.argv[1])
from selfhost import preinit as selfhost_preinit
before = random.getstate()
os.environ["BUILD_ONLY"] = "x"
selfhost_preinit.adopt([b"prog", b"a b", b"\xff"],
                       [b"K=1", b"K=2", b"EMPTY=", b"NOEQUALS", b"X=a=b", b"PYTHONUNBUFFERED=1",
                        b"PYTHONIOENCODING=latin-1:replace"])
print(json.dumps({
    "argv": sys.argv, "orig_argv": sys.orig_argv, "environ": dict(os.environ),
    "environb": {k.decode(): v.decode() for k, v in os.environb.items()},
    "getenv": os.getenv("K"), "reseeded": random.getstate() != before,
    "stdout": [type(sys.stdout.buffer).__name__, sys.stdout.write_through, sys.stdout.encoding,
               sys.stdout.errors, sys.__stdout__ is sys.stdout],
    "stderr": [type(sys.stderr.buffer).__name__, sys.stderr.encoding, sys.stderr.errors],
    "stdin": [sys.stdin.encoding, sys.stdin.errors]}))
"""


def test_adopt_takes_the_runs_argv_environment_random_and_stdio():
    proc = subprocess.run([sys.executable, "-c", ADOPT, str(ROOT)], capture_output=True,
                          text=True, timeout=60, env={"PATH": os.environ.get("PATH", "")})
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["argv"] == got["orig_argv"] == ["prog", "a b", "\udcff"]   # as CPython decodes
    env = {"K": "1", "EMPTY": "", "X": "a=b", "PYTHONUNBUFFERED": "1",
           "PYTHONIOENCODING": "latin-1:replace"}        # first K wins; no "=": left out
    assert got["environ"] == got["environb"] == env and got["getenv"] == "1"
    assert got["reseeded"]
    assert got["stdout"] == ["FileIO", True, "latin-1", "replace", True]   # unbuffered
    assert got["stderr"] == ["FileIO", "latin-1", "backslashreplace"]
    assert got["stdin"] == ["latin-1", "replace"]


def test_adopt_without_arguments_gives_an_empty_argv0():
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from selfhost import preinit as p; "
            "p.adopt([], []); print(sys.argv, sys.stdout.line_buffering)")
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True,
                          text=True, timeout=60)
    assert proc.stdout == "[''] False\n", proc.stderr      # not a tty: block-buffered


# What runs at import in selfhost.wasm runs at build time: a module-level read of the process
# state would be frozen into every copy. Calls like these must sit inside functions.
PROCESS_STATE = {("os", "getenv"), ("os", "getcwd"), ("os", "urandom"), ("os", "getpid"),
                 ("time", None), ("random", None), ("sys", "argv")}


def _module_level_reads(path):
    tree = ast.parse(path.read_text(), str(path))
    found = []

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for default in node.args.defaults + node.args.kw_defaults:   # these run at import
                if default is not None:
                    visit(default)
            return                                     # the body runs when called
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base, attr = node.value.id, node.attr
            if (base, attr) in PROCESS_STATE or (base, None) in PROCESS_STATE or \
                    (base == "os" and attr in ("environ", "environb")):
                found.append((node.lineno, "%s.%s" % (base, attr)))
        for child in ast.iter_child_nodes(node):
            visit(child)
    for stmt in tree.body:
        visit(stmt)
    return found


COMPILED_IN = sorted(p for pkg in ("interp", "checkpoint", "selfhost")
                     for p in (ROOT / pkg).rglob("*.py")) + [ROOT / "selfhost_main.py"]


@pytest.mark.parametrize("path", COMPILED_IN, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_process_state_read_at_import(path):
    assert _module_level_reads(path) == [], "read at import (frozen by the pre-initialization)"


def test_the_static_check_sees_a_module_level_read(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os, time\nDUMP = os.environ.get('X')\nT0 = time.time()\n"
                   "def f():\n    return os.environ.get('Y'), time.time()\n")
    assert _module_level_reads(bad) == [(2, "os.environ"), (3, "time.time")]


def _load_tool(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / (name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_nuitka_main_patch_returns_after_the_main_module(tmp_path):
    patcher = _load_tool("patch_nuitka_preinit")
    sample = ("static int x;\n" + patcher.BEFORE_MAIN + "HINSTANCE h) {}\n#endif\n"
              "int main(int argc, char **argv) {\n    run();\n" + patcher.AFTER_MAIN_MODULE +
              "    Py_Exit(0);\n}\n")
    new, changed = patcher.patch_text(sample)
    assert changed and patcher.patch_text(new) == (new, False)            # idempotent
    assert new.index("__attribute__((weak))") < new.index("int main(")
    hook = new.index("selfhost_preinit_stop()")
    assert new.index("Exited from") < hook < new.index("Py_Exit(0)")
    with pytest.raises(patcher.PatchError, match="another Nuitka version"):
        patcher.patch_text("int main(void) { return 0; }")


def test_installed_nuitka_main_is_patched_after_a_build():
    if not launch.selfhost_wasm().is_file():
        pytest.skip("no build yet (run bash build.sh)")
    assert _load_tool("patch_nuitka_preinit").main(["--check"]) == 0


# ---- the probe, on every host ------------------------------------------------------------

@pytest.fixture(scope="module")
def probe():
    """tests/preinit_probe.py built and pre-initialized by build.sh (kept between sessions:
    build.sh rebuilds it only when an input changed)."""
    if not launch.selfhost_wasm().is_file() and not os.environ.get("SELFHOST_REQUIRE_BUILD"):
        pytest.skip("no build toolchain run yet (run bash build.sh first)")
    proc = subprocess.run(["bash", str(ROOT / "build.sh"), "--entry", str(PROBE_SRC),
                           "--output", str(PROBE)], capture_output=True, text=True,
                          timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return PROBE


def _cli():
    return wasmtime_cli.binary(launch.cache_dir())


def run_probe(host, module, args, env=None, dirs=()):
    """Run the probe under ``host`` with WASI argv ["probe"] + args; returns (exit code, state)."""
    env = dict(env or {})
    argv = ["probe"] + list(args)
    if host == "wasmtime-cli":
        cmd = [_cli(), "run", "--argv0", "probe"]
        for h, g in dirs:
            cmd += ["--dir", "%s::%s" % (h, g)]
        for k, v in env.items():
            cmd += ["--env", "%s=%s" % (k, v)]
        cmd += [str(module)] + list(args)
        proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)
    else:
        # the runtime's own child runner, given the probe's argv (the runtimes add selfhost's
        # argv[0] "selfhost"; wasmer-sdk names it itself)
        runtime = {"wasmtime": wasmtime_py.WasmtimePyRuntime, "node": node.NodeRuntime,
                   "wasmer": wasmer.WasmerRuntime}[host]()
        with tempfile.TemporaryDirectory() as work:
            job = base.Job(module=Path(module), argv=list(args), env=env,
                           preopens=list(dirs), work=work, cache=launch.cache_dir(),
                           offload=False)
            cmd = runtime.command(job)
            proc = subprocess.run(cmd.argv, env=cmd.env, capture_output=True, timeout=TIMEOUT,
                                  cwd=ROOT)
    lines = proc.stdout.decode().strip().splitlines()
    assert lines, "no output (exit %d): %s" % (proc.returncode, proc.stderr.decode()[-2000:])
    return proc.returncode, json.loads(lines[-1])


HOSTS = ["wasmtime-cli", "wasmtime", "node", "wasmer"]


@pytest.mark.slow
@pytest.mark.parametrize("host", HOSTS)
def test_probe_sees_each_runs_own_process_state(probe, host, tmp_path):
    # wasmer-sdk mounts directories under /workspace only, and names argv[0] itself
    guest = "/workspace/d0" if host == "wasmer" else "/data"
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "only-in-a.txt").write_text("A")
    (b / "only-in-b.txt").write_text("B")
    t0 = time.time()
    code1, one = run_probe(host, probe, ["list", guest, "/nowhere"],
                           env={"PROBE_A": "one", "PROBE_EXIT": "3"},
                           dirs=[(str(a), guest)])
    time.sleep(2.5)
    code2, two = run_probe(host, probe, ["list", guest], env={"PROBE_B": "two"},
                           dirs=[(str(b), guest)])
    t1 = time.time()
    assert (code1, code2) == (3, 0)
    assert one["preinitialized"] and two["preinitialized"]
    # argv: this run's
    assert one["argv"][1:] == ["list", guest, "/nowhere"] and two["argv"][1:] == ["list", guest]
    assert one["orig_argv"] == one["argv"]
    if host == "wasmtime-cli":
        assert one["argv"][0] == "probe"
    elif host != "wasmer":
        assert one["argv"][0] == "selfhost"
    # environment: exactly this run's (nothing of the build, nothing of the other run)
    assert one["environ"] == one["environb"] == {"PROBE_A": "one", "PROBE_EXIT": "3"}
    assert two["environ"] == {"PROBE_B": "two"}
    assert one["getenv"] == {"PROBE_A": "one", "PROBE_B": None}
    # directories: the ones this run was given, found again at its start
    assert one["list"] == {guest: ["only-in-a.txt"], "/nowhere": one["list"]["/nowhere"]}
    assert one["list"]["/nowhere"].startswith("error")
    assert two["list"] == {guest: ["only-in-b.txt"]}
    assert one["cwd"] == two["cwd"] == "/"
    # clocks: now, not the build's
    for s in (one, two):
        assert t0 - 1 <= s["time"] <= t1 + 1 and s["built_at"] < t0
    assert two["time"] - one["time"] >= 2.4
    # randomness: random re-seeded (imported at build time), os.urandom live
    assert one["random"] != two["random"] and one["urandom"] != two["urandom"]
    # hashes: a fixed seed, by decision (selfhost/preinit.py)
    assert one["hash"] == two["hash"] and one["hash_randomization"] == 0
    # stdio: as CPython decides it for this run (a pipe here: block-buffered; wasmer-sdk's
    # sandbox reports stdout as a terminal, so there CPython's rule makes it line-buffered)
    assert one["stdout"]["buffered"] is True
    assert one["stdout"]["line_buffering"] is (host == "wasmer")


@pytest.mark.slow
def test_probe_stdio_follows_the_runs_environment(probe):
    _code, plain = run_probe("wasmtime-cli", probe, [])
    _code, unbuffered = run_probe("wasmtime-cli", probe, [], env={
        "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "latin-1:replace"})
    assert plain["stdout"] == {"line_buffering": False, "write_through": False,
                               "buffered": True, "encoding": "utf-8",
                               "errors": plain["stdout"]["errors"]}
    assert unbuffered["stdout"] == {"line_buffering": False, "write_through": True,
                                    "buffered": False, "encoding": "latin-1",
                                    "errors": "replace"}


@pytest.mark.slow
def test_probe_sleeps_and_writes_files(probe, tmp_path):
    code, state = run_probe("wasmtime-cli", probe, ["sleep", "0.2"])
    assert code == 0 and 0.19 <= state["slept"] < 2
    code, state = run_probe("wasmtime-cli", probe, ["write", "/out/new.txt", "written"],
                            dirs=[(str(tmp_path), "/out")])
    assert code == 0 and (tmp_path / "new.txt").read_text() == "written"


# ---- build/selfhost.wasm --------------------------------------------------------------------

def _exports(path):
    """Export names of a Wasm module, from its export section (no full decode)."""
    data = path.read_bytes()

    def u32(i):
        result = shift = 0
        while True:
            b = data[i]
            i += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result, i
    i = 8
    while i < len(data):
        sid = data[i]
        size, i = u32(i + 1)
        if sid == 7:
            n, j = u32(i)
            names = []
            for _ in range(n):
                length, j = u32(j)
                names.append(data[j:j + length].decode())
                j += length + 1
                _index, j = u32(j)
            return names
        i += size
    return []


@pytest.fixture(scope="module")
def selfhost_wasm():
    path = launch.selfhost_wasm()
    if not path.is_file():
        if os.environ.get("SELFHOST_REQUIRE_BUILD"):
            pytest.fail("%s is missing (SELFHOST_REQUIRE_BUILD is set)" % path)
        pytest.skip("%s not built (run bash build.sh)" % path)
    return path


def test_selfhost_wasm_is_pre_initialized(selfhost_wasm):
    names = _exports(selfhost_wasm)
    assert "_start" in names and "memory" in names
    assert "selfhost_preinit" not in names and "selfhost_resume" not in names   # wizer's work
    plain = selfhost_wasm.with_name(selfhost_wasm.stem + ".plain.wasm")
    if plain.is_file():                              # build.sh keeps py2wasm's module
        assert {"selfhost_preinit", "selfhost_resume", "_start"} <= set(_exports(plain))


def _hot_app(tmp_path):
    from tests.test_host_cli import wat2wasm
    wat = """(module (func $f (param i32) (result i32) (local i32)
        (loop $l (local.set 1 (i32.add (local.get 1) (local.get 0)))
              (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))) (local.get 1))
      (func (export "_start") (local i32)
        (loop $l (drop (call $f (i32.const 50)))
              (br_if $l (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1)))
                                  (i32.const 400))))))"""
    return wat2wasm(wat, tmp_path / "hot.wasm")


def test_selfhost_wasm_reads_its_environment_at_run_time(selfhost_wasm, tmp_path):
    """SELFHOST_TIER1_DUMP (selfhost's own environment, not the app's): set for one run only."""
    app = _hot_app(tmp_path)
    for dump in ("dump1", None, "dump2"):
        cmd = [_cli(), "run", "--dir", "%s::/w" % tmp_path]
        if dump:
            cmd += ["--env", "SELFHOST_TIER1_DUMP=/w/" + dump]
        proc = subprocess.run(cmd + [str(selfhost_wasm), "--dir", "/w", "--offload", "off",
                                     "/w/" + app.name], capture_output=True, timeout=TIMEOUT)
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["dump1", "dump2"]
    assert any(p.suffix == ".py" for p in (tmp_path / "dump2").iterdir())


def test_selfhost_wasm_finds_each_runs_directories(selfhost_wasm, tmp_path):
    from tests.test_host_cli import FILES_WAT, wat2wasm
    for name in ("one", "two"):
        work = tmp_path / name
        work.mkdir()
        wat2wasm(FILES_WAT, work / "app.wasm")
        # the README's contract: `wasmtime run --dir . selfhost.wasm -- app.wasm`
        proc = subprocess.run([_cli(), "run", "--dir", ".", str(selfhost_wasm), "--",
                               "app.wasm"], capture_output=True, timeout=TIMEOUT, cwd=work)
        assert proc.returncode == 3, proc.stderr.decode()[-2000:]
        assert proc.stdout == b"hi from wat\n"
        assert (work / "out.txt").read_text() == "guest wrote this\n"
    assert not (tmp_path / "out.txt").exists()


def test_stats_report_the_startup_phases(selfhost_wasm, tmp_path):
    from tests.test_host_cli import FILES_WAT, wat2wasm
    wat2wasm(FILES_WAT, tmp_path / "app.wasm")
    t0 = time.time()
    r = launch.run("wasmtime", ["--stats", "/w/stats.json", "/w/app.wasm"],
                   dirs=[(str(tmp_path), "/w")], timeout=TIMEOUT)
    assert r.returncode == 3, r.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())
    marks = stats["startup"]
    order = [marks[k] for k in ("main", "read", "decoded", "offload", "instantiated")]
    assert t0 <= order[0] and order == sorted(order) and order[-1] <= stats["started_at"]


def test_build_cache_hit_brings_the_plain_module_too(selfhost_wasm, tmp_path):
    """build.sh's machine-wide cache (keyed by the stamp) holds a build's plain module beside
    it: a copied build has its build/selfhost.plain.wasm for bench.startup as a built one."""
    stamp_file = ROOT / "build" / "selfhost.wasm.stamp"
    check = subprocess.run(["bash", str(ROOT / "build.sh"), "--check"], capture_output=True,
                           text=True, timeout=600)
    if check.returncode != 0 or not stamp_file.is_file():
        # (else the run below would build for real) the stamp names the inputs
        pytest.skip("build/selfhost.wasm is not up to date with this checkout's inputs")
    stamp = stamp_file.read_text().strip()
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / (stamp + ".wasm")).write_bytes(b"\0asm\1\0\0\0preinit")
    (cache / (stamp + ".plain.wasm")).write_bytes(b"\0asm\1\0\0\0plain")
    out = tmp_path / "out" / "selfhost.wasm"
    env = dict(os.environ, SELFHOST_BUILD_CACHE=str(cache))
    proc = subprocess.run(["bash", str(ROOT / "build.sh"), "--output", str(out)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "copied from the build cache" in proc.stdout, proc.stdout
    assert out.read_bytes().endswith(b"preinit")
    assert out.with_name("selfhost.plain.wasm").read_bytes().endswith(b"plain")
    assert (out.parent / "selfhost.wasm.stamp").read_text().strip() == stamp
