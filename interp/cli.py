"""The selfhost command line: run a WASI command, or invoke one exported function.

    selfhost [OPTIONS] APP.wasm [APP_ARGS...]
    python -m interp [OPTIONS] APP.wasm [APP_ARGS...]

Options come before APP.wasm; everything after it belongs to the app. A ``--`` may end the
options (``selfhost --dir . -- app.wasm -x``), and one ``--`` right after APP.wasm is dropped
(``selfhost app.wasm -- -x`` gives the app ``-x``), so both spellings work.

Running a command: the module is instantiated with the WASI preview1 imports and ``_start`` is
called. The app's argv[0] is APP.wasm as given. The exit code is the proc_exit code, or 0 when
``_start`` returns.

``--invoke NAME``: call the export NAME with APP_ARGS parsed per its parameter types (i32/i64:
decimal or 0x hex, may be negative; f32/f64: Python float syntax, "nan", "inf"); the results are
printed one per line, integers as signed decimals, floats as Python repr. WASI imports are
provided too, and a reactor's ``_initialize`` is run first.

Directories: the app sees exactly the ``--dir HOST[::GUEST]`` directories (GUEST defaults to
HOST), as fds 3, 4, ... in order; HOST is a path as this Python process sees it (inside
selfhost.wasm: relative to the preopens selfhost itself got from its host). Without ``--dir`` the
app gets no directory at all, like ``wasmtime run`` without ``--dir``, with one exception:
inside selfhost.wasm (which cannot enumerate its own preopens) a "." that its host preopened is
handed on as ".", so ``wasmtime run --dir . selfhost.wasm -- app.wasm`` gives the app ".".
Natively nothing is implicit (that would widen the sandbox to the working directory). The host
launchers pass ``--dir`` explicitly.

Exit codes: the app's own code; 1 with one line "selfhost: error: ..." on stderr for a bad
module, a link error, a missing file, or a module without ``_start`` when no --invoke is given;
2 for a bad command line; 134 for a trap ("selfhost: error: wasm trap: MESSAGE"), as wasmtime
does on Unix (128 + SIGABRT). A bug inside selfhost is reported as one "internal error" line
(exit 1); SELFHOST_DEBUG=1 shows its traceback instead.
"""
import argparse
import sys
import time

from . import errors
from .opcodes import F32, F64, I32, I64, VALTYPE_NAMES

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_TRAP = 134
EXIT_CHECKPOINTED = 75   # = checkpoint.runner.EXIT_CHECKPOINTED (not imported: keep --help light)

_VALUE_OPTIONS = ("--invoke", "--env", "--dir", "--argv0", "--max-call-depth", "--snapshot",
                  "--checkpoint-trigger", "--checkpoint-after", "--restore", "--stats",
                  "--trace", "--offload", "--offload-threshold")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def build_parser():
    parser = _Parser(
        prog="selfhost", allow_abbrev=False,
        usage="selfhost [OPTIONS] APP.wasm [APP_ARGS...]",
        description="Run a WebAssembly module (a WASI command, or one exported function) "
                    "in selfhost's Python interpreter.")
    parser.add_argument("--invoke", metavar="NAME",
                        help="call the exported function NAME with APP_ARGS as its arguments "
                             "and print its results, one per line")
    parser.add_argument("--env", metavar="K=V", action="append", default=[],
                        help="set an environment variable for the app (repeatable)")
    parser.add_argument("--dir", metavar="HOST[::GUEST]", action="append", default=[],
                        help="give the app the directory HOST, named GUEST (default: HOST) "
                             "(repeatable)")
    parser.add_argument("--argv0", metavar="NAME",
                        help="the app's argv[0], also its name in messages (default: APP.wasm "
                             "as given; as wasmtime's --argv0)")
    parser.add_argument("--max-call-depth", metavar="N", type=int, default=None,
                        help="trap with 'call stack exhausted' beyond N nested calls (turns "
                             "--offload off: offloaded code would hit the host's own limit)")
    group = parser.add_argument_group(
        "checkpoint / restore", "see docs/checkpoint-cli.md; exit code %d = checkpointed and "
        "stopped" % EXIT_CHECKPOINTED)
    group.add_argument("--snapshot", metavar="PATH", default="selfhost.snap",
                       help="where snapshots are written (default: %(default)s)")
    group.add_argument("--checkpoint-trigger", metavar="PATH",
                       help="checkpoint when the file PATH appears (then delete it)")
    group.add_argument("--checkpoint-after", metavar="SECONDS", type=float,
                       help="checkpoint once after SECONDS of running")
    group.add_argument("--checkpoint-continue", action="store_true",
                       help="keep running after a checkpoint instead of stopping")
    group.add_argument("--restore", metavar="SNAP",
                       help="resume the snapshot SNAP of APP.wasm instead of starting it")
    group.add_argument("--stats", metavar="PATH",
                       help="write JSON timings of the run (checkpoint/restore phases) to PATH")
    group = parser.add_argument_group("profiling and offload", "see interp/profile.py and "
                                      "interp/offload.py")
    group.add_argument("--profile", action="store_true",
                       help="print the hottest functions (and what was offloaded) to stderr at "
                            "exit")
    group.add_argument("--trace", metavar="PATH",
                       help="write call/loop/return events as JSON lines to PATH (slow: tier 1 "
                            "off)")
    group.add_argument("--offload", choices=("auto", "off"), default="auto",
                       help="run hot import-free functions natively in the host engine "
                            "(auto: when the host offers a native side; default: %(default)s)")
    group.add_argument("--offload-threshold", metavar="N", type=int, default=None,
                       help="offload every offloadable function once its calls + back-edges "
                       "pass N, without the cost model (default: auto, see interp/offload.py)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--spec-json", action="store_true",
                        help="APP.wasm and APP_ARGS are spec test scripts (wast2json's .json, "
                             "their .wasm files beside them): run them, print the counts and "
                             "each failure; "
                             "checks this build on this host (see interp/spectest.py)")
    parser.add_argument("app", metavar="APP.wasm", nargs="?", help="the module to run")
    parser.add_argument("app_args", metavar="APP_ARGS", nargs="*",
                        help="arguments for the app (or for --invoke)")
    return parser


_PARSER = []


def get_parser():
    """build_parser(), built once per process (parse_args leaves a parser as it was): in
    selfhost.wasm at build time (selfhost_main.py), not at every start."""
    if not _PARSER:
        _PARSER.append(build_parser())
    return _PARSER[0]


def app_index(argv, value_options=None):
    """Index of the APP.wasm token in argv, or None when there is none (``--version``): the
    first token that is neither an option nor an option's value, or the one after "--".
    ``value_options`` (default: selfhost's own) take a value as the next token
    (``--opt=value`` is one token)."""
    if value_options is None:
        value_options = _VALUE_OPTIONS
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            i += 1
            break
        if not tok.startswith("-") or tok == "-":
            break
        i += 2 if tok in value_options else 1   # argparse reports a missing value
    return i if i < len(argv) else None


def split_argv(argv, value_options=None):
    """Split argv the way the wasmtime and wasmer CLIs do: (option tokens, app path or None,
    app args), the app found by ``app_index``; a "--" ends the options, and one right after the
    app is dropped. Shared by ``selfhost run`` and ``selfhost migrate`` (host/)."""
    i = app_index(argv, value_options)
    options = argv[:len(argv) if i is None else i]
    if options and options[-1] == "--":
        options = options[:-1]
    if i is None:
        return options, None, []
    rest = argv[i + 1:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    return options, argv[i], rest


def parse_value(valtype, text):
    if valtype in (I32, I64):
        bits = 32 if valtype == I32 else 64
        try:
            v = int(text, 0)
        except ValueError:
            raise UsageError("bad %s argument %r" % (VALTYPE_NAMES[valtype], text)) from None
        if not -(1 << (bits - 1)) <= v < (1 << bits):
            raise UsageError("%s argument out of range: %r" % (VALTYPE_NAMES[valtype], text))
        return v
    if valtype in (F32, F64):
        try:
            return float(text)
        except ValueError:
            raise UsageError("bad %s argument %r" % (VALTYPE_NAMES[valtype], text)) from None
    raise UsageError("cannot pass a %s argument from the command line"
                     % VALTYPE_NAMES.get(valtype, hex(valtype)))


def format_value(valtype, value):
    if valtype in (F32, F64):
        return repr(value)
    if valtype in (I32, I64):
        return str(value)
    return repr(value)


def parse_dirs(specs):
    preopens = []
    for spec in specs:
        host, sep, guest = spec.partition("::")
        if not host:
            raise UsageError("bad --dir %r: HOST is empty" % spec)
        preopens.append((host, guest if sep and guest else host))
    return preopens


def host_path(path, preopens):
    """``path`` as named inside the app's view (under a preopen's GUEST name) -> the same file
    in selfhost's own view (under its HOST name); other paths unchanged."""
    for host, guest in preopens:
        g = guest.rstrip("/")            # "" for "/": every absolute path is under it
        if path == g or path.startswith(g + "/"):
            return host.rstrip("/") + path[len(g):]
    return path


def parse_env(specs):
    env = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise UsageError("bad --env %r: expected K=V" % spec)
        env[key] = value
    return env


def _flush(stream):
    try:
        if stream is not None:
            stream.flush()
    except (OSError, ValueError):
        pass


def _err(message):
    _flush(sys.stdout)
    if sys.stderr is not None:
        sys.stderr.write("selfhost: error: %s\n" % message)
        _flush(sys.stderr)


def _in_wasm():
    """Are we selfhost.wasm? Read at run time: py2wasm (Nuitka) folds a plain ``sys.platform``
    to the build machine's value."""
    return vars(sys).get("platform") == "wasi"


def main(argv=None):
    """Run selfhost with ``argv`` (without the program name); return the exit code."""
    if argv is None:
        argv = sys.argv[1:]
    code = _run(argv, {"main": time.time()})
    if code == EXIT_TRAP and _in_wasm():
        # Inside selfhost.wasm a WASI exit status >= 126 is refused by wasmtime and Wasmer:
        # trap the host instead (wasi-libc's abort() is a Wasm `unreachable`), so the host
        # reports a trap exactly as for the app run directly (wasmtime: exit code 134).
        import os
        _flush(sys.stdout)
        _flush(sys.stderr)
        os.abort()
    return code


def _run(argv, marks):
    try:
        return _main(list(argv), marks)
    except UsageError as e:
        _err("%s (see --help)" % e)
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    finally:
        _flush(sys.stdout)


def _main(argv, marks):
    """``marks``: start-up phase -> time.time() when it ended, for --stats ("startup")."""
    import os
    import interp
    import checkpoint
    from checkpoint import runner
    from .wasi import WASI

    options, app, app_args = split_argv(argv)
    parser = get_parser()
    try:
        ns = parser.parse_args(options)
    except SystemExit as e:           # --help
        return e.code or 0
    if ns.version:
        print("selfhost %s" % interp.__version__)
        return 0
    if app is None:
        raise UsageError("missing APP.wasm")
    if ns.spec_json:
        # selfhost reads the scripts itself: a path under a --dir GUEST name is read from HOST
        # (a launcher may mount a directory elsewhere and name it GUEST, as for the app)
        from .spectest import run_scripts
        scripts = [host_path(p, parse_dirs(ns.dir)) for p in [app] + app_args]
        total = run_scripts(scripts, sys.stdout, verbose=True)
        return 0 if total.failed == 0 else EXIT_ERROR
    if ns.max_call_depth is not None and ns.max_call_depth < 1:
        raise UsageError("--max-call-depth must be at least 1")
    preopens = parse_dirs(ns.dir)
    if not preopens and _in_wasm() and os.path.isdir("."):
        # `wasmtime run --dir . selfhost.wasm -- app.wasm`: selfhost cannot list the preopens
        # its host gave it, but "." is the one the user's contract names: hand it on.
        preopens = [(".", ".")]
    env = parse_env(ns.env)
    for host, _guest in preopens:
        if not os.path.isdir(host):
            _err("--dir %s: not a directory" % host)
            return EXIT_ERROR

    try:
        with open(app, "rb") as f:
            data = f.read()
    except OSError as e:
        _err("cannot read %s: %s" % (app, e.strerror or e))
        return EXIT_ERROR
    marks["read"] = time.time()

    name = app if ns.argv0 is None else ns.argv0
    wasi = WASI([name] + app_args, env, preopens)
    try:
        try:
            module = interp.decode(data)
        except errors.ModuleError as e:
            _err("%s: invalid module: %s" % (name, e))
            return EXIT_ERROR
        marks["decoded"] = time.time()
        if ns.offload_threshold is not None and ns.offload_threshold < 0:
            raise UsageError("--offload-threshold must be at least 0")
        if ns.trace is not None and ns.restore is not None:
            raise UsageError("--trace cannot go with --restore")
        # an explicit --max-call-depth must hold, and an offloaded recursion would run to the
        # native engine's own stack limit instead: that limit turns offload off
        if ns.offload == "auto" and ns.trace is None and ns.max_call_depth is None:
            _attach_offload(module, ns.offload_threshold)
        marks["offload"] = time.time()
        tracer = None
        if ns.trace is not None:
            from .profile import Tracer
            try:
                tracer = Tracer(module, ns.trace).attach()
            except OSError as e:
                _err("cannot write %s: %s" % (ns.trace, e.strerror or e))
                return EXIT_ERROR
        elif ns.profile:
            from .profile import Profile
            Profile(module).attach()
        try:
            return _run_module(ns, module, app, app_args, wasi, preopens, marks)
        finally:
            if tracer is not None:
                tracer.close()
            elif ns.profile and sys.stderr is not None:
                module.profile.report(sys.stderr)
                _flush(sys.stderr)
    except errors.Exit as e:
        return e.code
    except errors.Trap as e:
        wasi.flush()
        _err("wasm trap: %s" % e.message)
        return EXIT_TRAP
    except errors.WasmError as e:
        _err(str(e))
        return EXIT_ERROR
    except RecursionError:
        _err("internal error: Python recursion limit reached")
        return EXIT_ERROR
    except MemoryError:
        _err("out of memory")
        return EXIT_ERROR
    except UsageError:
        raise
    except Exception as e:  # a bug in selfhost itself: still one line, unless debugging
        if os.environ.get("SELFHOST_DEBUG"):
            raise
        _err("internal error: %s: %s (set SELFHOST_DEBUG=1 for a traceback)"
             % (type(e).__name__, e))
        return EXIT_ERROR
    finally:
        wasi.close()


def _attach_offload(module, threshold):
    """Offload auto: attach an Offloader when a native side is available: selfhost running on
    CPython with wasmtime-py importable, or selfhost.wasm under a launcher that answers the
    fd_advise doorbell (host/wasmtime_runner.py); else None (everything is interpreted)."""
    if _in_wasm():
        from .offload import DEFAULT_THRESHOLD, DoorbellNative, Offloader
        native = DoorbellNative.connect(module)
        if native is None:
            return None
        return Offloader(module, native,
                         DEFAULT_THRESHOLD if threshold is None else threshold).attach()
    # Imported by a name known only at run time: py2wasm (Nuitka) follows imports whose name
    # it can compute at compile time (even importlib.import_module("a" + ".b")), and would
    # compile host/ and the whole wasmtime package into selfhost.wasm (a 20-minute link).
    import importlib
    import os
    try:
        native_side = importlib.import_module(
            os.environ.get("SELFHOST_OFFLOAD_NATIVE_MODULE") or "host.offload_native")
    except ImportError:
        return None
    return native_side.make_offloader(module, threshold)


def _run_module(ns, module, app, app_args, wasi, preopens, marks):
    import interp
    import checkpoint
    from checkpoint import runner
    if True:  # (the body of _main's try, unchanged)
        exports = {exp.name: exp.kind for exp in module.exports}
        if ns.invoke is None and ns.restore is None and exports.get("_start") != "func":
            _err("%s: no exported function _start (a WASI command); use --invoke NAME to call "
                 "a function" % app)
            return EXIT_ERROR
        if ns.invoke is not None and exports.get(ns.invoke) != "func":
            _err("%s: no exported function %r" % (app, ns.invoke))
            return EXIT_ERROR
        policy = runner.Policy(ns.snapshot, ns.checkpoint_trigger, ns.checkpoint_after,
                               ns.checkpoint_continue, ns.stats,
                               created_by="selfhost %s" % interp.__version__)
        policy.startup = marks
        if ns.restore is not None:
            if ns.invoke is not None:
                raise UsageError("--restore resumes a WASI command; it cannot go with --invoke")
            try:
                snap = runner.load_snapshot(ns.restore, module)
                return runner.restore_command(module, snap, wasi, policy, preopens,
                                              ns.max_call_depth)
            except checkpoint.SnapshotError as e:
                _err(str(e))
                return EXIT_ERROR
            except ValueError as e:
                _err(str(e))
                return EXIT_ERROR
        try:
            instance = interp.instantiate(module, wasi.imports(),
                                          max_call_depth=ns.max_call_depth)
        except errors.LinkError as e:
            _err("%s: link error: %s" % (app, e))
            return EXIT_ERROR
        if "memory" in instance.exports:
            wasi.bind(instance)
        marks["instantiated"] = time.time()
        if ns.trace is not None:  # every call and back-edge a safe point, all in tier 0
            instance.machine.check_every = 1
            instance.machine.tier1_threshold = None
        if ns.invoke is None:
            return runner.run_command(module, wasi, policy, ns.max_call_depth, instance)
        func = instance.exports[ns.invoke]
        params = func.type.params
        if len(app_args) != len(params):
            raise UsageError("%s expects %d argument(s), got %d"
                             % (ns.invoke, len(params), len(app_args)))
        args = [parse_value(t, a) for t, a in zip(params, app_args)]
        if exports.get("_initialize") == "func":
            instance.invoke("_initialize")
        results = instance.invoke(ns.invoke, *args)
        wasi.flush()
        if sys.stdout is not None:
            for t, v in zip(func.type.results, results):
                print(format_value(t, v))
        return 0


if __name__ == "__main__":
    sys.exit(main())
