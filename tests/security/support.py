"""What the security tests share: the hostile guest, the whole-tree state, runs on each
runtime and under the real wasmtime CLI.

``tree_state(root)`` is every entry below root with its kind, content (files), target
(links), mode and mtime: two states are equal only when nothing below root was created,
removed, written or touched. A test takes it for the whole directory around a preopen before
and after a run, and compares what lies outside the preopen.
"""
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests import support

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = Path(__file__).resolve().parent / "apps"
RUNTIMES = ["native", "wasmtime", "wasmtime-cli", "wasmer", "node"]


def build(name):
    return support.build_c(APPS / (name + ".c"), support.CACHE / "security", support.WASI_CFLAGS)


def tree_state(root):
    """{relative path: (kind, content or target, mode, mtime_ns)} for everything below root
    (lstat: links are not followed)."""
    state = {}
    root = str(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                entry = ("l", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                entry = ("d", None)
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    entry = ("f", f.read())
            else:
                entry = ("?", None)
            mtime = None if stat.S_ISDIR(st.st_mode) else st.st_mtime_ns
            state[rel] = entry + (stat.S_IMODE(st.st_mode), mtime)
    return state


def outside(state, *inside):
    """The entries of a tree_state outside the directories ``inside`` (relative paths)."""
    return {k: v for k, v in state.items()
            if not any(k == d or k.startswith(d + os.sep) for d in inside)}


def wasmtime_cli():
    from host.runtimes.wasmtime_cli import binary
    try:
        return binary()
    except Exception as e:          # noqa: BLE001 (LaunchError: the CLI is missing)
        pytest.skip("the wasmtime CLI is missing: %s" % e)


def run_wasmtime_cli(app, args, dirs=(), timeout=120):
    """The app run directly by the real wasmtime CLI: the reference."""
    cmd = [wasmtime_cli(), "run"]
    for host, guest in dirs:
        cmd += ["--dir", "%s::%s" % (host, guest)]
    cmd += [str(app)] + list(args)
    return subprocess.run(cmd, capture_output=True, timeout=timeout)


# The code the command-line runs use: this checkout, or SELFHOST_TEST_CODE=DIR (another
# checkout, with its own SELFHOST_WASM: how the "before" numbers of docs/security.md's findings
# are measured on the code before the fixes).
CODE = Path(os.environ.get("SELFHOST_TEST_CODE") or ROOT)


def selfhost_cli(args, cwd=None, timeout=600, env=None, stdin=None):
    """`selfhost ARGS...` (this checkout's host CLI) in a process of its own."""
    full_env = dict(os.environ, PYTHONPATH=str(CODE))
    full_env.update(env or {})
    # (python -m puts the working directory first on sys.path: it must not be another
    # checkout than CODE)
    return subprocess.run([sys.executable, "-m", "host.cli"] + list(args), cwd=cwd or CODE,
                          capture_output=True, timeout=timeout, env=full_env, stdin=stdin)


def run_on(runtime, app, args, dirs=(), timeout=600):
    """`selfhost run --runtime RUNTIME --dir HOST::GUEST... APP ARGS...`"""
    if runtime != "native":
        support.require_build()
    cli = ["run", "--runtime", runtime]
    for host, guest in dirs:
        cli += ["--dir", "%s::%s" % (host, guest)]
    return selfhost_cli(cli + [str(app), "--"] + list(args), timeout=timeout)


def no_traceback(proc):
    text = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    assert " panicked at " not in text, text       # a host runtime's (Rust) backtrace
    return text


def copy_app(app, directory):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    dst = directory / Path(app).name
    shutil.copyfile(app, dst)
    return dst
