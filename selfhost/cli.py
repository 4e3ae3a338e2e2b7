"""The selfhost command line: run a WASI command, or invoke one exported function.

    selfhost.wasm [OPTIONS] APP.wasm [APP_ARGS...]     (under any Wasm host)
    python -m selfhost [OPTIONS] APP.wasm [APP_ARGS...] (the same program on CPython)

Options come before APP.wasm; everything after it belongs to the app. A ``--`` may end the
options (``selfhost --dir . -- app.wasm -x``), and one ``--`` right after APP.wasm is dropped
(``selfhost app.wasm -- -x`` gives the app ``-x``), so both spellings work.

Running a command: the module is instantiated with the WASI preview1 imports and ``_start`` is
called (session.py runs it under checkpoint control). The app's argv[0] is APP.wasm as given
(or ``--argv0``). The exit code is the proc_exit code, or 0 when ``_start`` returns.

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

Running a command calls ``_initialize`` when the module exports it, then ``_start`` when it
exports it (as the wasmtime CLI does: a reactor-style program runs from ``_initialize``).
Imports that no one provides are a link error, unless ``--unknown-imports trap|default`` (or
wasmtime's ``-W unknown-imports-trap=y`` / ``-W unknown-imports-default=y``) stubs them.

Launchers (host/launch.py) also pass ``--dir-origin GUEST::PATH`` (where a --dir is on the
user's host: recorded in snapshots) and may pass the whole command line in a file,
``--args-file PATH`` (a JSON list of strings; then the only option): a command line of any size,
beyond the OS's limits on the host runtime's own.

Exit codes (exit_codes.py): the app's own code; 1 with one line "selfhost: error: ..." on stderr
for a bad module, a module using a proposal selfhost does not implement ("unsupported feature:
NAME"), a link error, an uncaught Wasm exception, a missing file, or a module with neither
``_start`` nor ``_initialize`` when no --invoke is given; 2 for a bad command line; 134 for a
trap ("selfhost: error: wasm trap: MESSAGE"), as wasmtime does on Unix (128 + SIGABRT); 75 after
a checkpoint that stopped the app. A bug inside selfhost is reported as one "internal error"
line (exit 1); SELFHOST_DEBUG=1 shows its traceback instead.
"""
import argparse
import math
import os
import sys
import time

from interp import errors
from interp.opcodes import F32, F64, I32, I64, VALTYPE_NAMES
from interp.wasi.paths import rebase

from . import exit_codes

# The command-line contract the host side relies on: options that take a value (the next token
# or after "="), and those whose value is a file path (host/mounts.py maps them per runtime).
VALUE_OPTIONS = ("--invoke", "--env", "--dir", "--dir-origin", "--argv0", "--max-call-depth",
                 "--snapshot", "--checkpoint-trigger", "--checkpoint-after", "--restore",
                 "--stats", "--trace", "--offload", "--offload-threshold", "--args-file",
                 "--batch", "--unknown-imports", "-W")
PATH_OPTIONS = ("--snapshot", "--checkpoint-trigger", "--restore", "--stats", "--trace",
                "--batch")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


MAX_COUNT = 1 << 31          # the largest --max-call-depth / --offload-threshold
MAX_SECONDS = 1e9            # the longest --checkpoint-after (about 31 years)


def _count(minimum, maximum=MAX_COUNT):
    """An argparse type: an integer in [minimum, maximum] (a usage error otherwise)."""
    def count(text):
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError("expected an integer, got %.40r" % text) from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError("must be an integer from %d to %d, got %.40r"
                                             % (minimum, maximum, text))
        return value
    count.__name__ = "integer"
    return count


def _seconds(text):
    """An argparse type: a finite number of seconds, 0 to MAX_SECONDS."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds, got %.40r"
                                         % text) from None
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError("must be a number of seconds from 0 to %g, got %.40r"
                                         % (MAX_SECONDS, text))
    return value


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
    parser.add_argument("--dir-origin", metavar="GUEST::PATH", action="append", default=[],
                        help="the --dir named GUEST is PATH on the user's host (recorded in "
                             "snapshots, so that a restore on this machine can find it; "
                             "launchers pass it)")
    parser.add_argument("--args-file", metavar="PATH",
                        help="read selfhost's whole command line (a JSON list of strings) "
                             "from PATH; then the only option (launchers use it for a command "
                             "line of any size)")
    parser.add_argument("--argv0", metavar="NAME",
                        help="the app's argv[0], also its name in messages (default: APP.wasm "
                             "as given; as wasmtime's --argv0)")
    parser.add_argument("--unknown-imports", choices=("trap", "default"), default=None,
                        help="function imports that are not WASI: 'trap' fails the run when one "
                             "is called, 'default' returns zeros (wasmtime's -W unknown-imports-"
                             "trap=y / -W unknown-imports-default=y, which are accepted too)")
    parser.add_argument("-W", metavar="OPTION[=y|n]", dest="wasm_options", action="append",
                        default=[], help=argparse.SUPPRESS)
    parser.add_argument("--max-call-depth", metavar="N", type=_count(1), default=None,
                        help="trap with 'call stack exhausted' beyond N nested calls (turns "
                             "--offload off: offloaded code would hit the host's own limit)")
    group = parser.add_argument_group(
        "checkpoint / restore", "see docs/checkpoint-cli.md; exit code %d = checkpointed and "
        "stopped" % exit_codes.CHECKPOINTED)
    group.add_argument("--snapshot", metavar="PATH", default="selfhost.snap",
                       help="where snapshots are written (default: %(default)s)")
    group.add_argument("--checkpoint-trigger", metavar="PATH",
                       help="checkpoint when the file PATH appears (then delete it)")
    group.add_argument("--checkpoint-after", metavar="SECONDS", type=_seconds,
                       help="checkpoint once after SECONDS of running")
    group.add_argument("--checkpoint-continue", action="store_true",
                       help="keep running after a checkpoint instead of stopping")
    group.add_argument("--restore", metavar="SNAP",
                       help="resume the snapshot SNAP of APP.wasm instead of starting it")
    group.add_argument("--wait-for-snapshot", action="store_true",
                       help="with --restore: read, decode and validate APP.wasm now, then wait "
                            "for SNAP to appear and resume it (pre-copy migration: the target "
                            "is ready while the source still runs)")
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
    group.add_argument("--offload", choices=("auto", "off", "tier2", "imports"),
                       default="auto",
                       help="run hot import-free functions natively in the host engine "
                            "(auto: when the host offers a native side; tier2: the native "
                            "side runs an instrumented app, so checkpoints happen inside "
                            "native code too; imports: tier2, and functions that call imports "
                            "run natively as well, each import call a round trip to selfhost's "
                            "WASI; default: %(default)s)")
    group.add_argument("--offload-threshold", metavar="N", type=_count(0), default=None,
                       help="offload every offloadable function once its calls + back-edges "
                       "pass N, without the cost model (default: auto, see interp/offload.py)")
    parser.add_argument("--no-implicit-dir", action="store_true",
                        help="give the app no directory when no --dir is given, not even a "
                             "'.' that the host preopened (launchers always pass it)")
    parser.add_argument("--batch", metavar="JOBS.json",
                        help="run the jobs of JOBS.json (each a selfhost command line) one "
                             "after the other in this process, their output and exit codes "
                             "in files (see selfhost/batch.py); no APP.wasm then")
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
    """build_parser(), built once per process (parse_args leaves a parser as it was): inside
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
        value_options = VALUE_OPTIONS
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


def map_paths(argv, fn, options=PATH_OPTIONS):
    """selfhost's argv with ``fn(option, value)`` applied to the values of ``options`` (both
    ``--opt V`` and ``--opt=V``) and ``fn("APP.wasm", app)`` to APP.wasm; the app's own
    arguments are left alone."""
    argv = list(argv)
    end = app_index(argv)
    end = len(argv) if end is None else end
    i = 0
    while i < end:
        tok = argv[i]
        if tok == "--":
            break
        name, eq, value = tok.partition("=")
        if name in options:
            if eq:
                argv[i] = name + "=" + fn(name, value)
            elif i + 1 < end:
                argv[i + 1] = fn(name, argv[i + 1])
                i += 1
        elif not eq and tok in VALUE_OPTIONS:
            i += 1
        i += 1
    if end < len(argv):
        argv[end] = fn("APP.wasm", argv[end])
    return argv


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
    mapped = rebase(path, [(guest, host) for host, guest in preopens])
    return path if mapped is None else mapped


def parse_dir_origins(specs, preopens):
    """``--dir-origin GUEST::PATH`` options -> {GUEST: PATH}; GUEST must be a --dir's guest
    name (matched whole: a name or a path may itself hold "::")."""
    guests = sorted({guest for _host, guest in preopens}, key=len, reverse=True)
    origins = {}
    for spec in specs:
        guest = next((g for g in guests if spec.startswith(g + "::")), None)
        if guest is None or not spec[len(guest) + 2:]:
            raise UsageError("bad --dir-origin %r: expected GUEST::PATH with GUEST a --dir's "
                             "guest name" % spec)
        origins[guest] = spec[len(guest) + 2:]
    return origins


def read_args_file(argv):
    """``--args-file PATH`` (alone) -> the command line it holds; any other argv as it is."""
    names = [a.split("=", 1)[0] for a in argv]
    if "--args-file" not in names:
        return argv
    if len(argv) == 2 and argv[0] == "--args-file":
        path = argv[1]
    elif len(argv) == 1 and argv[0].startswith("--args-file="):
        path = argv[0].split("=", 1)[1]
    else:
        raise UsageError("--args-file must be the only option")
    import json
    try:
        with open(path, encoding="utf-8") as f:
            args = json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError("cannot read --args-file %s: %s" % (path, getattr(e, "strerror", None)
                                                             or e)) from None
    if type(args) is not list or not all(type(a) is str for a in args):
        raise UsageError("--args-file %s must hold a JSON list of strings" % path)
    if "--args-file" in [a.split("=", 1)[0] for a in args[:app_index(args) or len(args)]]:
        raise UsageError("--args-file %s names --args-file again" % path)
    return args


def unknown_imports_mode(ns):
    """--unknown-imports, or wasmtime's spelling -W unknown-imports-trap|default[=y|n]."""
    mode = ns.unknown_imports
    for opt in ns.wasm_options:
        key, _, value = opt.partition("=")
        if key not in ("unknown-imports-trap", "unknown-imports-default"):
            raise UsageError("-W %s: selfhost knows only -W unknown-imports-trap and -W "
                             "unknown-imports-default (the other wasmtime -W options set Wasm "
                             "features: selfhost has a fixed set, see docs/architecture.md)"
                             % opt)
        if value not in ("", "y", "yes", "n", "no"):
            raise UsageError("-W %s: expected y or n" % opt)
        if value in ("", "y", "yes"):
            mode = key[len("unknown-imports-"):]
    return mode


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


def one_line(text):
    """``text`` with its control characters escaped: an error is one line, even when it
    quotes a file name or a module's import name that holds a newline."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c) if ord(c) < 256
                   else "\\u%04x" % ord(c) for c in text)


def _err(message):
    _flush(sys.stdout)
    if sys.stderr is not None:
        sys.stderr.write("selfhost: error: %s\n" % one_line(message))
        _flush(sys.stderr)


def _in_wasm():
    """Are we selfhost.wasm? Read at run time: py2wasm (Nuitka) folds a plain ``sys.platform``
    to the build machine's value."""
    return vars(sys).get("platform") == "wasi"


def main(argv=None, native_side=None):
    """Run selfhost with ``argv`` (without the program name); return the exit code.

    ``native_side``: for offload on CPython, a callable ``(module, threshold) -> Offloader or
    None`` (host/offload/native.py's make_offloader, passed by the host's native runtime);
    inside selfhost.wasm the native side is the doorbell (doorbell.py) when the host answers it.
    """
    if argv is None:
        argv = sys.argv[1:]
    code = _run(argv, native_side, {"main": time.time()})
    if code == exit_codes.TRAP and _in_wasm():
        # Inside selfhost.wasm a WASI exit status >= 126 is refused by wasmtime and Wasmer:
        # trap the host instead (wasi-libc's abort() is a Wasm `unreachable`), so the host
        # reports a trap exactly as for the app run directly (wasmtime: exit code 134).
        _flush(sys.stdout)
        _flush(sys.stderr)
        os.abort()
    return code


def _run(argv, native_side, marks):
    try:
        return _main(list(argv), native_side, marks)
    except UsageError as e:
        _err("%s (see --help)" % e)
        return exit_codes.USAGE
    except KeyboardInterrupt:
        _err("interrupted")
        return exit_codes.INTERRUPTED
    finally:
        _flush(sys.stdout)


def _main(argv, native_side, marks):
    """``marks``: start-up phase -> time.time() when it ended, for --stats ("startup")."""
    import interp
    from .config import ConfigError, engine_config

    argv = read_args_file(argv)
    options, app, app_args = split_argv(argv)
    parser = get_parser()
    try:
        ns = parser.parse_args(options)
    except SystemExit as e:           # --help
        return e.code or 0
    if ns.version:
        print("selfhost %s" % interp.__version__)
        return exit_codes.OK
    if ns.batch is not None:
        return _batch(ns.batch, app, native_side)
    if app is None:
        raise UsageError("missing APP.wasm")
    if ns.spec_json:
        # selfhost reads the scripts itself: a path under a --dir GUEST name is read from HOST
        # (a launcher may mount a directory elsewhere and name it GUEST, as for the app)
        from .spectest import run_scripts
        scripts = [host_path(p, parse_dirs(ns.dir)) for p in [app] + app_args]
        total = run_scripts(scripts, sys.stdout, verbose=True)
        return exit_codes.OK if total.failed == 0 else exit_codes.ERROR
    if ns.trace is not None and ns.restore is not None:
        raise UsageError("--trace cannot go with --restore")
    if ns.wait_for_snapshot and ns.restore is None:
        raise UsageError("--wait-for-snapshot goes with --restore SNAP")
    if ns.restore is not None and ns.invoke is not None:
        raise UsageError("--restore resumes a WASI command; it cannot go with --invoke")
    try:
        config = engine_config(os.environ, ns.max_call_depth)
    except ConfigError as e:
        raise UsageError(str(e)) from None
    if ns.trace is not None:  # every call and back-edge a safe point, all in tier 0
        config = config.but(check_every=1, tier1_threshold=None)
    preopens = parse_dirs(ns.dir)
    if not preopens and not ns.no_implicit_dir and _in_wasm() and os.path.isdir("."):
        # `wasmtime run --dir . selfhost.wasm -- app.wasm`: selfhost cannot list the preopens
        # its host gave it, but "." is the one the user's contract names: hand it on.
        preopens = [(".", ".")]
    env = parse_env(ns.env)
    origins = parse_dir_origins(ns.dir_origin, preopens)
    for host, _guest in preopens:
        if not os.path.isdir(host):
            _err("--dir %s: not a directory" % host)
            return exit_codes.ERROR
    try:
        with open(app, "rb") as f:
            data = f.read()
    except OSError as e:
        _err("cannot read %s: %s" % (app, e.strerror or e))
        return exit_codes.ERROR
    marks["read"] = time.time()
    name = app if ns.argv0 is None else ns.argv0
    from .session import Policy, RunOptions, run_app
    policy = Policy(ns.snapshot, ns.checkpoint_trigger, ns.checkpoint_after,
                    ns.checkpoint_continue, ns.stats,
                    created_by="selfhost %s" % interp.__version__, dir_origins=origins)
    policy.startup = marks
    opts = RunOptions(invoke=ns.invoke, restore=ns.restore,
                      wait_for_snapshot=ns.wait_for_snapshot, offload=ns.offload,
                      offload_threshold=ns.offload_threshold,
                      explicit_call_depth=ns.max_call_depth is not None, profile=ns.profile,
                      trace=ns.trace, parse_args=_invoke_args, print_results=_print_results,
                      unknown_imports=unknown_imports_mode(ns))
    return _guarded(lambda: run_app(data, name, app_args, env, preopens, config, policy, opts,
                                    native_side))


def _batch(path, app, native_side):
    from . import batch
    if app is not None:
        raise UsageError("--batch takes no APP.wasm (each job names its own)")

    def rebase(argv, base):
        return map_paths(argv, lambda option, value: batch.rebase_value(option, value, base),
                         PATH_OPTIONS + ("--dir",))

    def run_one(argv):
        end = app_index(argv)
        if "--batch" in [t.split("=", 1)[0] for t in argv[:len(argv) if end is None else end]]:
            _err("a batch job cannot be a --batch itself")
            return exit_codes.USAGE
        return _run(argv, native_side, {"main": time.time()})
    try:
        return batch.run(path, run_one, rebase)
    except batch.BatchError as e:
        raise UsageError(str(e)) from None


def _invoke_args(name, params, texts):
    if len(texts) != len(params):
        raise UsageError("%s expects %d argument(s), got %d" % (name, len(params), len(texts)))
    return [parse_value(t, a) for t, a in zip(params, texts)]


def _print_results(types, values):
    if sys.stdout is not None:
        for t, v in zip(types, values):
            print(format_value(t, v))


def _guarded(run):
    """Run ``run()`` and turn every way it can fail into one line and an exit code."""
    from .session import RunError
    try:
        return run()
    except RunError as e:
        _err(str(e))
        return exit_codes.ERROR
    except errors.Exit as e:
        return e.code
    except errors.Trap as e:
        _err("wasm trap: %s" % e.message)
        return exit_codes.TRAP
    except errors.WasmError as e:
        _err(str(e))
        return exit_codes.ERROR
    except RecursionError:
        _err("internal error: Python recursion limit reached")
        return exit_codes.ERROR
    except MemoryError:
        _err("out of memory")
        return exit_codes.ERROR
    except UsageError:
        raise
    except Exception as e:  # a bug in selfhost itself: still one line, unless debugging
        if os.environ.get("SELFHOST_DEBUG"):
            raise
        _err("internal error: %s: %s (set SELFHOST_DEBUG=1 for a traceback)"
             % (type(e).__name__, e))
        return exit_codes.ERROR


if __name__ == "__main__":
    sys.exit(main())
