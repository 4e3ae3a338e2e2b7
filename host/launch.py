"""Run build/selfhost.wasm under a host runtime: the Python API the commands and the tests use.

    run(runtime, argv, dirs=(), env=None, stdin=b"", timeout=None, *, private_dirs=(),
        capture=True, module=None, offload=True) -> Result
    prepared(runtime, argv, dirs=(), env=None, *, private_dirs=(), module=None,
             offload=True) -> context manager of (Runtime, Command): a launch not started
    start(cmd, stdin=None, capture=False) -> subprocess.Popen of a prepared Command
    run_app_direct(app_wasm, args, dirs=(), env=None, stdin=b"") -> Result

``runtime`` is a name of host.runtimes.RUNTIMES (wasmtime, wasmtime-cli, wasmer, node, native);
each is one module behind one interface (host/runtimes/base.py), and this module launches them
all the same way.

``argv`` is selfhost's own command line (without the program name), e.g. ["app.wasm", "a"] or
["--invoke", "fib", "k.wasm", "20"], its paths (APP.wasm, the values of the path options) in
the *guest* namespace (host/mounts.py). ``dirs`` are the user's (host, guest) directories: each
is given to selfhost.wasm and handed on to the app under its guest name; ``private_dirs`` are
given to selfhost.wasm only: (host, guest) pairs, or host.mounts.Mounts.private_pairs()'s
entries (the CLI's private mount of APP.wasm is a private copy of that one file, made here in
the launch's temp directory). What the guest writes in a directory ends up in its host
directory with every runtime. ``env`` is selfhost.wasm's own
environment (the app's comes from ``--env`` options in ``argv``).

``capture=False`` streams the guest's stdout/stderr to this process's own (``stdin=None`` then
passes this process's stdin on); the Result then holds empty bytes. Result.returncode is the
run's exit code (selfhost/exit_codes.py). A ``timeout`` (seconds) kills the run and raises
subprocess.TimeoutExpired.
"""
import os
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import runtimes
from .errors import BuildMissing, LaunchError, UsageError
from .mounts import Mounts
from .runtimes.compile_cache import cache_dir  # noqa: F401 (host.launch.cache_dir)
from .runtimes.compile_cache import file_sha256  # noqa: F401 (host.launch.file_sha256)
from .runtimes.base import ROOT, Command, Job, python_command, python_env, write_config

RUNTIMES = runtimes.NAMES
HOST_DIR = Path(__file__).resolve().parent

# selfhost.wasm's option that keeps it from handing a host-preopened "." to the app when no
# --dir is given (the implicit "." is for `wasmtime run --dir . selfhost.wasm app.wasm` only):
# a launcher always says exactly which directories the app gets
NO_IMPLICIT_DIR = "--no-implicit-dir"


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


def require_build(module=None):
    module = Path(module) if module else selfhost_wasm()
    if not module.is_file():
        raise BuildMissing(
            "%s not found: build it first with ./build.sh (or `selfhost build`)" % module)
    return module


def _guest_env(env):
    return {str(k): str(v) for k, v in (env or {}).items()}


def start(cmd, stdin=None, capture=False):
    """Start a prepared Command: -> subprocess.Popen (``stdin`` None: this process's own;
    else a pipe; ``capture``: stdout/stderr piped instead of inherited)."""
    try:
        return subprocess.Popen(
            cmd.argv,
            stdin=None if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            env=cmd.env, cwd=cmd.cwd)
    except OSError as e:
        raise LaunchError("cannot start %s: %s" % (cmd.argv[0], e.strerror or e)) from None


def _run_process(cmd, stdin, timeout, capture):
    proc = start(cmd, stdin, capture)
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


@contextmanager
def prepared(runtime, argv, dirs=(), env=None, *, private_dirs=(), module=None, offload=True):
    """One launch, not started: yields (Runtime, Command). The launch's private directory (the
    runner's config, staged copies) lives until the block ends. ``run`` starts the command and
    waits for it; a caller that manages the process itself (host/cluster/agent.py: pipes, a
    process group it freezes) starts ``cmd.argv`` with ``cmd.env`` and ``cmd.cwd`` and maps
    its exit status with ``Runtime.exit_code``."""
    rt = runtimes.get(runtime)
    argv = [str(a) for a in argv]
    try:
        mounts = Mounts(dirs, private_dirs)
    except UsageError as e:
        raise LaunchError(str(e)) from None
    rt.check_options([a.split("=", 1)[0] for a in argv if a.startswith("--")])
    module = require_build(module) if rt.uses_build else None
    with tempfile.TemporaryDirectory(prefix="selfhost-launch-") as work:
        try:
            view = mounts.staged(work).view(rt)
        except UsageError as e:
            raise LaunchError(str(e)) from None
        selfhost_argv = [NO_IMPLICIT_DIR] + view.selfhost_dir_args() + view.rewrite_argv(argv)
        job = Job(module=module, argv=selfhost_argv, env=_guest_env(env),
                  preopens=view.preopens(), work=work, cache=cache_dir(), offload=offload,
                  only_files=view.only_files())
        yield rt, rt.command(job)


def run(runtime, argv, dirs=(), env=None, stdin=b"", timeout=None, *,
        private_dirs=(), capture=True, module=None, offload=True):
    """Run selfhost.wasm (``module``, default selfhost_wasm()) under ``runtime``."""
    with prepared(runtime, argv, dirs, env, private_dirs=private_dirs, module=module,
                  offload=offload) as (rt, cmd):
        result = _run_process(cmd, stdin, timeout, capture)
    result.returncode = rt.exit_code(result.returncode)
    return result


def run_app_direct(app_wasm, args, dirs=(), env=None, stdin=b"", timeout=None, *, capture=True):
    """Run app.wasm itself under wasmtime-py (no selfhost): the reference to compare against.
    The app's argv is [app_wasm] + args; dirs are preopened for it as given."""
    app_wasm = Path(app_wasm)
    if not app_wasm.is_file():
        raise LaunchError("%s not found" % app_wasm)
    try:
        preopens = [(m.host, m.guest) for m in Mounts(dirs).mounts]
    except UsageError as e:
        raise LaunchError(str(e)) from None
    with tempfile.TemporaryDirectory(prefix="selfhost-direct-") as work:
        job = Job(module=app_wasm.resolve(), argv=[], env=_guest_env(env), preopens=preopens,
                  work=work, cache=cache_dir())
        config = {"module": str(job.module), "args": [str(app_wasm)] + [str(a) for a in args],
                  "env": job.env, "preopens": [[h, g] for h, g in preopens], "cache": None,
                  "offload": False}
        cmd = Command(python_command("host.runtimes.wasmtime_py_child",
                                     write_config(job, config)), env=python_env())
        return _run_process(cmd, stdin, timeout, capture)

