"""The CPython process state of a pre-initialized selfhost.wasm that must come from its run.

(Stdlib only and importing nothing of selfhost/ or below: an entry script can use it without
the engine, tests/preinit_probe.py.)

build.sh pre-initializes selfhost.wasm with `wasmtime wizer`: CPython's start-up and the entry
script's imports run once at build time and are snapshotted into the module
(tools/shims/preinit.c). What CPython read from its process at that start must then be taken
from each run instead, here, before the app runs:

- ``sys.argv`` and ``sys.orig_argv``: this run's arguments, decoded as CPython does;
- ``os.environ`` (and ``os.environb``): this run's environment (CPython builds it at start-up);
- the ``random`` module's seed, if it was imported at build time (re-seeded from os.urandom);
- stdio: stdout is line-buffered when it is a terminal, and PYTHONUNBUFFERED and
  PYTHONIOENCODING are honoured, as CPython's start-up would have decided for this run.

What stays as built, by decision:

- hash randomization is off (``--python-flag=no_randomization`` in selfhost_main.py: hash seed
  0): the hash secret cannot change once the snapshot holds dicts built with it, and a fixed,
  known seed is honest where a random one frozen into every copy would only look random;
- the other PYTHON* variables CPython reads at start-up (PYTHONPATH, PYTHONWARNINGS,
  PYTHONDEVMODE, ...): the build-time values (the pre-initialization runs with an empty
  environment), and ``sys.flags`` accordingly.

The C constructors re-run at each start (preinit.c) re-read wasi-libc's own environ and preopened
directories and reset clock()'s base; ``time`` has no other start-up state, and
``os.getcwd()`` is wasi-libc's "/" in every run.

The entry script ends with ``preinit.main(run)`` instead of ``run()``, and its run leaves with
``exit_now(code)``.
"""
import os
import sys

_run = None


def preinitializing():
    """Is this the build-time run of the pre-initialization? (preinit.c registers the builtin
    module ``_selfhost_preinit`` for it only. Read through vars(): py2wasm (Nuitka) folds a plain
    ``sys.builtin_module_names`` to the build machine's value.)"""
    return "_selfhost_preinit" in vars(sys)["builtin_module_names"]


def main(run):
    """Run ``run()`` now, or, while pre-initializing, keep it for the run-time start and leave
    no build-time environment in the snapshot."""
    global _run
    if not preinitializing():
        run()
        return
    _run = run
    os.environ._data.clear()          # the dict itself, without unsetenv (preinit.c clears libc's)


def resume(args, environ):
    """_start of the pre-initialized module (called by preinit.c): take this run's process
    state, then run. ``args``/``environ``: this run's WASI argv and "K=V" entries, as bytes."""
    adopt(args, environ)
    _run()


def adopt(args, environ):
    """Make ``args`` and ``environ`` (lists of bytes) this process's argv and environment, and
    redo the other start-up decisions CPython made with the build-time ones."""
    decoded = [os.fsdecode(a) for a in args]
    sys.orig_argv = list(decoded)
    sys.argv = decoded or [""]
    data = os.environ._data            # posix.environ: bytes -> bytes, shared by os.environb
    data.clear()
    for entry in environ:
        key, sep, value = entry.partition(b"=")
        if sep:
            data.setdefault(key, value)    # as CPython's convertenviron: the first one wins
    random = sys.modules.get("random")
    if random is not None:
        random.seed()
    _adopt_stdio()


def _adopt_stdio():
    """stdin/stdout/stderr as CPython's create_stdio would make them for this run: encoding
    (all three) and errors (stdin, stdout; stderr keeps backslashreplace) from PYTHONIOENCODING;
    stdout and stderr unbuffered under PYTHONUNBUFFERED, else stdout line-buffered on a tty."""
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    encoding, _, errors = (os.environ.get("PYTHONIOENCODING") or "").partition(":")
    for name in ("stdin", "stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            continue
        if unbuffered and name != "stdin":
            stream = _unbuffered(stream, stream.fileno())
            setattr(sys, name, stream)
            setattr(sys, "__%s__" % name, stream)
        changes = {}
        if encoding:        # (reconfigure would reset errors to "strict": name them too)
            changes["encoding"] = encoding
            changes["errors"] = stream.errors
        if errors and name != "stderr":
            changes["errors"] = errors
        if name == "stdout" and not unbuffered:
            changes["line_buffering"] = stream.isatty()
        if changes:
            stream.reconfigure(**changes)


def exit_now(code):
    """Leave with ``code`` at once, without CPython's finalization (a garbage collection of the
    whole heap, most of it the snapshot's, and module teardown: the slowest part of an exit).
    Only stdio needs flushing: the files selfhost opened for the app, its snapshots and stats
    are closed by the time selfhost.cli.main returns."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(code)


def _unbuffered(stream, fd):
    """A text stream writing straight to ``fd`` (CPython's stdio under PYTHONUNBUFFERED)."""
    import io
    stream.flush()
    raw = io.FileIO(fd, "w", closefd=False)
    return io.TextIOWrapper(raw, encoding=stream.encoding, errors=stream.errors,
                            line_buffering=False, write_through=True)
