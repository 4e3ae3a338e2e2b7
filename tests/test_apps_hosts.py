"""The C test apps (tests/apps/*.c) under selfhost, compared with a reference run.

Reference: the app run directly by wasmtime-py's own WASI (``host.launch.run_app_direct``).
Ours: selfhost running the app through ``host.launch.run`` on each runtime: "native" (selfhost's
Python on this CPython) and "wasmtime", "wasmtime-cli" (the real wasmtime CLI), "wasmer", "node"
(build/selfhost.wasm under that host). stdout, the exit code and the files left in the app's
directory must be identical; stderr is compared for the apps whose stderr is their own output
(not a host's trap report).

The non-native runtimes are skipped when build/selfhost.wasm is missing, unless
SELFHOST_REQUIRE_BUILD=1 (then they fail).
"""
import os
from pathlib import Path

import pytest

from host import launch
from selfhost import exit_codes
from tests import support
from tests.apps.build import build_app

ROOT = Path(__file__).resolve().parent.parent
GUEST_DIR = "/sandbox"
TRAP_EXIT = exit_codes.TRAP


def run_reference(app_wasm, args, dirs=(), env=None, stdin=b""):
    """The app under wasmtime-py's own WASI, without selfhost."""
    return launch.run_app_direct(app_wasm, args, dirs=dirs, env=env, stdin=stdin)


APPS_GUEST_DIR = "/selfhost-apps"


def run_selfhost(runtime, app_wasm, args, dirs=(), env=None, stdin=b""):
    """selfhost running the app on ``runtime`` through host.launch.run (the app's directory is
    a private preopen of selfhost, the app's env goes through --env)."""
    argv = []
    for key, value in (env or {}).items():
        argv += ["--env", "%s=%s" % (key, value)]
    argv += ["%s/%s" % (APPS_GUEST_DIR, Path(app_wasm).name), *args]
    return launch.run(runtime, argv, dirs=dirs, stdin=stdin, timeout=600,
                       private_dirs=[(str(Path(app_wasm).parent), APPS_GUEST_DIR)])


RUNTIMES = ["native", "wasmtime", "wasmtime-cli", "wasmer", "node"]


@pytest.fixture(params=RUNTIMES)
def runtime(request):
    name = request.param
    if name != "native":
        support.require_build()
    return name


# --- the cases ------------------------------------------------------------------------------

def setup_files(root):
    box = root / "box"
    box.mkdir()
    (box / "input.txt").write_text("line one\nline two\n")
    (box / "keep").mkdir()
    (box / "inside.txt").write_text("inside\n")
    (root / "secret.txt").write_text("secret\n")


def setup_escape(root):
    setup_files(root)
    (root / "box" / "sub").mkdir()


def setup_links(root):
    """Symlinks already in the preopen: to a file, dangling, out of the preopen, to a dir."""
    setup_files(root)
    box = root / "box"
    os.symlink("inside.txt", box / "to_inside")
    os.symlink("nowhere", box / "dangling")
    os.symlink("../secret.txt", box / "out")
    os.symlink("keep", box / "dirlink")
    os.symlink("../inside.txt", box / "keep" / "up")
    os.symlink("inside.txt", box / "gone")
    os.symlink("inside.txt", box / "replaced")


STDIN_TEXT = b"hello\nworld\n" + b"".join(b"line %d of the stdin test\n" % i for i in range(60)) + b"no newline"

CASES = {
    # name: (args, env, stdin, setup, compare stderr)
    "hello": ([], None, b"", None, True),
    "args_env": (["one", "two words", "", "\u00fcnicode", "--flag"],
                 {"GREETING": "hi there", "EMPTY": "", "UNICODE": "\u00e9t\u00e9"}, b"", None, True),
    "echo": ([], None, STDIN_TEXT, None, True),
    "clock": ([], None, b"", None, True),
    "random": ([], None, b"", None, True),
    "exit3": ([], None, b"", None, True),
    "trap": ([], None, b"", None, False),
    "files": ([GUEST_DIR], None, b"", setup_files, True),
    "escape": ([GUEST_DIR], None, b"", setup_escape, True),
    "links": ([GUEST_DIR], None, b"", setup_links, True),
}


def snapshot_tree(root, mtimes_before_ns=None):
    """Every file under root: relative path -> ("d",) | ("f", bytes) | ("l", target). With
    ``mtimes_before_ns``, a file's entry also holds its mtime when it is older than that (set
    by the app, as brotli copies its input's), else None (written now: the time differs)."""
    tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                tree[rel] = ("l", os.readlink(path))
            elif path.is_dir():
                tree[rel] = ("d",)
            elif mtimes_before_ns is None:
                tree[rel] = ("f", path.read_bytes())
            else:
                mtime = path.stat().st_mtime_ns
                tree[rel] = ("f", path.read_bytes(),
                             mtime if mtime < mtimes_before_ns else None)
    return tree


def run_case(runner, name, tmp_path, label):
    args, env, stdin, setup, _ = CASES[name]
    root = tmp_path / label
    root.mkdir()
    dirs = ()
    if setup is not None:
        setup(root)
        dirs = ((str(root / "box"), GUEST_DIR),)
    result = runner(build_app(name), args, dirs=dirs, env=env, stdin=stdin)
    return result, snapshot_tree(root)


# Differences that come from the host runtime under selfhost.wasm, not from selfhost: strict
# xfails, so a host that starts to behave makes the test fail until the entry is removed.
HOST_LIMITS = {
    ("wasmer", "files"): "Wasmer's path_link (wasmer-wasix path_link_internal) only adds the new "
                         "name to the process's own inode table, never to the sandbox file "
                         "system: the hard link is gone when selfhost exits, so it cannot be "
                         "copied back (the symlinks are: host/wasmer_links.py)",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_app_matches_reference(name, runtime, tmp_path, request):
    if (runtime, name) in HOST_LIMITS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=HOST_LIMITS[runtime, name]))
    ref, ref_tree = run_case(run_reference, name, tmp_path, "ref")
    ours, our_tree = run_case(lambda *a, **k: run_selfhost(runtime, *a, **k), name, tmp_path,
                              "ours")
    assert ours.stdout == ref.stdout, ours.stderr
    assert ours.returncode == ref.returncode, ours.stderr
    assert our_tree == ref_tree
    if CASES[name][4]:
        assert ours.stderr == ref.stderr


def test_reference_outputs_are_meaningful(tmp_path):
    """Guards the comparison itself: the reference runs do what the apps are meant to show."""
    ref, tree = run_case(run_reference, "escape", tmp_path, "escape")
    assert b"openat ../secret.txt: errno=63" in ref.stdout
    assert b"open via out_rel: errno=63" in ref.stdout
    assert b"in_rel content=[inside" in ref.stdout
    assert "secret.txt" in tree and "stolen.txt" not in tree and "evil" not in tree
    ref, tree = run_case(run_reference, "files", tmp_path, "files")
    assert ref.returncode == 0
    assert tree["box/made/result.txt"] == ("f", b"written by the app\n")
    assert tree["box/link"] == ("l", "out.txt")
    assert "box/sub" not in tree
    assert run_case(run_reference, "exit3", tmp_path, "exit3")[0].returncode == 3
    assert run_case(run_reference, "trap", tmp_path, "trap")[0].returncode == TRAP_EXIT


def test_trap_is_reported_on_one_line(tmp_path):
    result, _ = run_case(lambda *a, **kw: run_selfhost("native", *a, **kw), "trap", tmp_path,
                         "trap")
    assert result.returncode == TRAP_EXIT
    assert result.stdout == b"before trap\n"
    lines = result.stderr.decode().splitlines()
    assert lines == ["selfhost: error: wasm trap: unreachable"]
