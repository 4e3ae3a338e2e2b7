"""The `selfhost` CLI (host/cli.py, host/commands/) and the launcher's path handling
(host/launch.py, host/mounts.py).

End-to-end runs here use the native runtime (selfhost's Python code on this CPython), so they
need no build; tests/test_build.py runs the same things inside selfhost.wasm on each host.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import support

from host import launch
from host.commands.run import split_run_args
from host.errors import UsageError
from host.mounts import APP_GUEST_DIR, Mounts
from interp.wasi.paths import rebase

ROOT = Path(__file__).resolve().parent.parent

# A WASI command: prints "hi from wat", creates out.txt in the first preopened directory (fd 3)
# holding "guest wrote this\n" (exit code 99 if it cannot), then exits with code 3. It also
# exports add(i32, i32) for --invoke.
FILES_WAT = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from wat\n")
  (data (i32.const 32) "out.txt")
  (data (i32.const 48) "guest wrote this\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 7)
                       (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 12)))
      (then
        (i32.store (i32.const 0) (i32.const 48))
        (i32.store (i32.const 4) (i32.const 17))
        (drop (call $fd_write (i32.load (i32.const 12)) (i32.const 0) (i32.const 1) (i32.const 8))))
      (else (call $proc_exit (i32.const 99))))
    (call $proc_exit (i32.const 3)))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))
"""


def wat2wasm(text, out):
    return support.wat2wasm(text, out)

@pytest.fixture
def files_app(tmp_path):
    return wat2wasm(FILES_WAT, tmp_path / "files.wasm")


def selfhost(*args, env=None, cwd=None):
    """Run `python -m host.cli ARGS` as the console script would; return the CompletedProcess."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "host.cli"] + list(args), capture_output=True,
                          text=True, env=full_env, cwd=cwd or ROOT, timeout=120)


# --- splitting `selfhost run` arguments ------------------------------------------------------

@pytest.mark.parametrize("tokens, expected", [
    (["app.wasm"], ([], [], "app.wasm", [])),
    (["app.wasm", "a", "-b", "--c"], ([], [], "app.wasm", ["a", "-b", "--c"])),
    (["app.wasm", "--", "-x"], ([], [], "app.wasm", ["-x"])),
    (["--runtime", "node", "--invoke", "fib", "k.wasm", "--", "20"],
     (["--runtime", "node"], ["--invoke", "fib"], "k.wasm", ["20"])),
    (["--runtime=node", "--dir", ".", "--env", "A=1", "app.wasm"],
     (["--runtime=node", "--dir", ".", "--env", "A=1"], [], "app.wasm", [])),
    (["--max-call-depth", "100", "--", "app.wasm", "--", "x"],
     ([], ["--max-call-depth", "100"], "app.wasm", ["x"])),
    (["--version"], ([], ["--version"], None, [])),
    (["--dir", "app.wasm"], (["--dir", "app.wasm"], [], None, [])),
])
def test_split_run_args(tokens, expected):
    assert split_run_args(tokens) == expected


def test_split_run_args_missing_value():
    with pytest.raises(UsageError, match="--invoke needs a value"):
        split_run_args(["--invoke"])


# --- path mapping: interp.wasi.paths.rebase and host.mounts (its only users) ---------------------

@pytest.mark.parametrize("path, mapping, expected", [
    ("app.wasm", [(".", "/h")], "/h/app.wasm"),
    ("./sub/app.wasm", [(".", "/h")], "/h/sub/app.wasm"),
    ("/data/app.wasm", [(".", "/h")], None),
    ("../app.wasm", [(".", "/h")], None),
    ("/data/app.wasm", [("/data", "/h")], "/h/app.wasm"),
    ("/data/x/app.wasm", [("/data", "/h"), ("/data/x", "/k")], "/k/app.wasm"),
    ("/database/app.wasm", [("/data", "/h")], None),
    ("/data/sub/a.wasm", [("/data", ".")], "sub/a.wasm"),
    ("/anything", [("/", "/root-view")], "/root-view/anything"),
])
def test_rebase(path, mapping, expected):
    assert rebase(path, mapping) == expected


class _Shifted:
    """A runtime whose views are elsewhere (as Wasmer's /workspace/dN)."""
    def dir_view(self, index, mount):
        return "/view%d" % index


def test_view_rewrites_the_app_token_and_path_options(tmp_path):
    view = Mounts([(str(tmp_path), "/g")]).view(_Shifted())
    assert view.rewrite_argv(["--invoke", "f", "/g/a.wasm", "/g/x"]) == \
        ["--invoke", "f", "/view0/a.wasm", "/g/x"]
    assert view.rewrite_argv(["--", "/g/a.wasm"]) == ["--", "/view0/a.wasm"]
    assert view.rewrite_argv(["--version"]) == ["--version"]
    assert view.rewrite_argv(["--snapshot=/g/s", "--stats", "/g/t", "/g/a.wasm"]) == \
        ["--snapshot=/view0/s", "--stats", "/view0/t", "/view0/a.wasm"]
    assert view.selfhost_dir_args() == ["--dir", "/view0::/g", "--dir-origin",
                                        "/g::%s" % tmp_path]
    assert view.preopens() == [(str(tmp_path), "/view0")]


def test_guest_app_inside_and_outside_dirs(tmp_path):
    (tmp_path / "sub").mkdir()
    app = tmp_path / "sub" / "a.wasm"
    app.write_bytes(b"")
    assert Mounts([(str(tmp_path), "/data")]).guest_app(str(app)) == "/data/sub/a.wasm"
    assert Mounts([(str(tmp_path), ".")]).guest_app(str(app)) == "sub/a.wasm"
    mounts = Mounts()
    assert mounts.guest_app(str(app)) == APP_GUEST_DIR + "/a.wasm"
    assert mounts.private_pairs() == [(str(tmp_path / "sub"), APP_GUEST_DIR, ("a.wasm",), True)]
    assert mounts.user_pairs() == []


# --- command line errors: clear message, exit code, no traceback -----------------------------

def assert_clean_error(proc, code, fragment):
    assert proc.returncode == code, proc.stderr
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr


def test_version():
    proc = selfhost("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("selfhost ")


def test_no_command_prints_help():
    proc = selfhost()
    assert proc.returncode == 2
    assert "run" in proc.stderr and "build" in proc.stderr


def test_unknown_command():
    assert_clean_error(selfhost("frobnicate"), 2, "invalid choice")


def test_run_help():
    proc = selfhost("run", "--help")
    assert proc.returncode == 0
    assert "--runtime" in proc.stdout and "--invoke" in proc.stdout


def test_run_missing_app():
    assert_clean_error(selfhost("run", "--runtime", "native"), 2, "missing APP.wasm")


def test_run_app_file_not_found():
    assert_clean_error(selfhost("run", "--runtime", "native", "nope.wasm"), 1,
                       "nope.wasm: no such file")


def test_run_unknown_flag(files_app):
    assert_clean_error(selfhost("run", "--runtime", "native", "--bogus", str(files_app)), 2,
                       "unrecognized arguments: --bogus")


def test_run_unknown_runtime(files_app):
    assert_clean_error(selfhost("run", "--runtime", "jvm", str(files_app)), 2, "invalid choice")


def test_run_missing_dir(files_app):
    assert_clean_error(selfhost("run", "--dir", "/no/such/dir", str(files_app)), 2,
                       "/no/such/dir: no such directory")


def test_run_bad_env(files_app):
    assert_clean_error(selfhost("run", "--runtime", "native", "--env", "NOEQUALS",
                                str(files_app)), 2, "bad --env")


def test_run_bad_selfhost_option_value(files_app):
    assert_clean_error(selfhost("run", "--runtime", "native", "--max-call-depth", "many",
                                str(files_app)), 2, "expected an integer")


def test_run_missing_build_says_run_build_sh(files_app, tmp_path):
    proc = selfhost("run", "--runtime", "wasmtime", str(files_app),
                    env={"SELFHOST_WASM": str(tmp_path / "missing.wasm")})
    assert_clean_error(proc, 2, "build.sh")


def test_build_unknown_flag():
    assert_clean_error(selfhost("build", "--bogus"), 2, "unrecognized arguments")


# --- end to end on the native runtime -----------------------------------------------------------

def test_run_native_exit_code_stdout_and_files(files_app, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = selfhost("run", "--runtime", "native", "--dir", "%s::/data" % out_dir, str(files_app))
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == "hi from wat\n"
    assert (out_dir / "out.txt").read_text() == "guest wrote this\n"


def test_run_native_without_dir_gives_the_app_no_directory(files_app):
    # The app's own directory is preopened for selfhost only, not handed on to the app.
    proc = selfhost("run", "--runtime", "native", str(files_app))
    assert proc.returncode == 99, proc.stderr


def test_run_native_invoke_passes_through(files_app):
    proc = selfhost("run", "--runtime", "native", "--invoke", "add", str(files_app), "--",
                    "2", "40")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "42\n"
    proc = selfhost("run", "--runtime", "native", "--invoke", "add", str(files_app), "7", "-3")
    assert proc.stdout == "4\n"


def test_run_native_app_relative_to_dot_dir(files_app, tmp_path):
    proc = selfhost("run", "--runtime", "native", "--dir", ".", "files.wasm", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert (tmp_path / "out.txt").read_text() == "guest wrote this\n"


def test_launch_run_native_api(files_app, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    shutil.copy(files_app, work / "app.wasm")
    result = launch.run("native", ["/data/app.wasm"], dirs=[(str(work), "/data")])
    assert result.returncode == 3, result.stderr
    assert result.stdout == b"hi from wat\n"
    assert (work / "out.txt").read_bytes() == b"guest wrote this\n"


def test_launch_run_rejects_unknown_runtime_and_missing_dir(tmp_path):
    with pytest.raises(launch.LaunchError, match="unknown runtime"):
        launch.run("jvm", ["x.wasm"])
    with pytest.raises(launch.LaunchError, match="not a directory"):
        launch.run("native", ["x.wasm"], dirs=[(str(tmp_path / "nope"), "/x")])


def test_launch_run_missing_build(tmp_path):
    with pytest.raises(launch.BuildMissing, match="build.sh"):
        launch.run("node", ["--version"], module=tmp_path / "missing.wasm")


def test_run_app_direct_matches_native(files_app, tmp_path):
    direct_dir, native_dir = tmp_path / "direct", tmp_path / "native"
    direct_dir.mkdir()
    native_dir.mkdir()
    shutil.copy(files_app, native_dir / "app.wasm")
    direct = launch.run_app_direct(files_app, [], dirs=[(str(direct_dir), "/d")])
    native = launch.run("native", ["/d/app.wasm"], dirs=[(str(native_dir), "/d")])
    assert (direct.returncode, direct.stdout) == (native.returncode, native.stdout) == \
        (3, b"hi from wat\n")
    assert (direct_dir / "out.txt").read_bytes() == (native_dir / "out.txt").read_bytes()


ARGV0_WAT = """(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $p i32) (local $n i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 16) (i32.const 1024)))
    (local.set $p (i32.load (i32.const 16)))
    (block $done (loop $more
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $more)))
    (i32.store (i32.const 8) (local.get $p))
    (i32.store (i32.const 12) (local.get $n))
    (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 0)))))"""


@pytest.mark.parametrize("runtime", ["native", "wasmtime", "node", "wasmer"])
def test_run_app_sees_and_errors_name_the_path_as_typed(runtime, tmp_path):
    """As under `wasmtime run`: argv[0] is APP.wasm as the user typed it, and a bad module is
    named that way, not by where selfhost.wasm finds it in its sandbox (--argv0)."""
    if runtime != "native":
        from tests.test_spec_in_wasm import _require_build
        _require_build()
    wat2wasm(ARGV0_WAT, tmp_path / "argv0.wasm")
    proc = selfhost("run", "--runtime", runtime, "argv0.wasm", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "argv0.wasm"), proc.stderr
    proc = selfhost("run", "--runtime", runtime, "--argv0", "name", "argv0.wasm", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "name"), proc.stderr
    (tmp_path / "bad.wasm").write_bytes(b"garbage")
    assert_clean_error(selfhost("run", "--runtime", runtime, "bad.wasm", cwd=tmp_path), 1,
                       "bad.wasm: invalid module")
    assert ".selfhost-app" not in selfhost("run", "--runtime", runtime, "bad.wasm",
                                           cwd=tmp_path).stderr
