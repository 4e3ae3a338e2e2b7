"""`selfhost`: run WebAssembly apps in selfhost.wasm under a host runtime.

    selfhost run [--runtime wasmtime|wasmer|node|native] [--dir HOST[::GUEST]]...
                 [--env K=V]... [SELFHOST OPTIONS, e.g. --invoke NAME] APP.wasm [--] [APP_ARGS...]
    selfhost build [--force]
    selfhost checkpoint | restore | migrate | inspect ...   (host/checkpoint_cmds.py)
    selfhost cluster start | stop | submit | status | migrate | evacuate | wait ...  (host/cluster/)
    selfhost --version

`run` follows the wasmtime/wasmer CLI conventions: options come before APP.wasm, everything
after it (after an optional `--`) belongs to the app. Options that `selfhost run` does not know
itself (--invoke, --max-call-depth, ...) are handed to selfhost.wasm unchanged; they are checked
here first against selfhost's own parser so that a typo fails at once. The checkpoint options
(--snapshot, --checkpoint-trigger, --restore, --stats) take HOST paths here: their directories
are preopened privately for selfhost.wasm and the paths translated (host/checkpoint_cmds.py).

Exit codes: the app's own; 1 for a missing APP.wasm; 2 for a bad command line or a missing
build (run ./build.sh); 130 when interrupted.
"""
import argparse
import os
import subprocess
import sys

from . import __version__
from . import launch
from interp.cli import split_argv

EXIT_ERROR = 1
EXIT_USAGE = 2
APP_GUEST_DIR = "/.selfhost-app"

# Options of `selfhost run` itself; anything else before APP.wasm goes to selfhost.wasm.
_RUN_VALUE_OPTIONS = ("--runtime", "--dir", "--env")
_RUN_FLAG_OPTIONS = ("-h", "--help")


class UsageError(Exception):
    pass


def _err(message):
    sys.stdout.flush()
    sys.stderr.write("selfhost: error: %s\n" % message)
    sys.stderr.flush()


def _selfhost_value_options():
    """The options of selfhost.wasm (interp.cli) that take a value."""
    return tuple(o for o in launch._value_options() if o not in _RUN_VALUE_OPTIONS)


def split_run_args(tokens):
    """Split the tokens after `run` into (own option tokens, selfhost.wasm option tokens,
    app path or None, app args): `run`'s own options stay here, the others pass through."""
    values = _RUN_VALUE_OPTIONS + _selfhost_value_options()
    options, app, app_args = split_argv(tokens, values)
    own, passthrough = [], []
    i = 0
    while i < len(options):
        name = options[i].split("=", 1)[0]
        takes_value = "=" not in options[i] and name in values
        if takes_value and i + 1 >= len(options):
            raise UsageError("%s needs a value" % name)
        target = own if name in _RUN_VALUE_OPTIONS + _RUN_FLAG_OPTIONS else passthrough
        target += options[i:i + 1 + takes_value]
        i += 1 + takes_value
    return own, passthrough, app, app_args


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def build_run_parser():
    parser = _Parser(
        prog="selfhost run", allow_abbrev=False,
        usage="selfhost run [--runtime RUNTIME] [--dir HOST[::GUEST]]... [--env K=V]... "
              "[SELFHOST OPTIONS] APP.wasm [--] [APP_ARGS...]",
        description="Run APP.wasm in selfhost.wasm under a host Wasm runtime.",
        epilog="Other options before APP.wasm are handed to selfhost.wasm, e.g. --invoke NAME "
               "(call an exported function with APP_ARGS) or --max-call-depth N.")
    parser.add_argument("--runtime", choices=launch.RUNTIMES, default="wasmtime",
                        help="host runtime for selfhost.wasm (default: wasmtime); native runs "
                             "selfhost's Python code on this CPython")
    parser.add_argument("--dir", metavar="HOST[::GUEST]", action="append", default=[],
                        help="give the app the host directory HOST, named GUEST (default: HOST)")
    parser.add_argument("--env", metavar="K=V", action="append", default=[],
                        help="set an environment variable for the app")
    return parser


def build_parser():
    parser = _Parser(prog="selfhost", description="Run WebAssembly apps in selfhost.wasm, a "
                     "Wasm runtime written in Python that itself runs on a Wasm host.")
    parser.add_argument("--version", action="version", version="selfhost %s" % __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run APP.wasm (see `selfhost run --help`)", add_help=False)
    build = sub.add_parser("build", help="build build/selfhost.wasm with build.sh")
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    from .checkpoint_cmds import COMMANDS
    for name, (_fn, text) in COMMANDS.items():
        sub.add_parser(name, help="%s (see `selfhost %s --help`)" % (text, name), add_help=False)
    sub.add_parser("cluster", help="apps across Ray nodes (see `selfhost cluster --help`)",
                   add_help=False)
    return parser


def _parse_dir(spec):
    host, sep, guest = spec.partition("::")
    if not host:
        raise UsageError("bad --dir %r: HOST is empty" % spec)
    if sep and not guest:
        raise UsageError("bad --dir %r: GUEST is empty" % spec)
    if not os.path.isdir(host):
        raise UsageError("--dir %s: no such directory" % host)
    return host, guest or host


def _map_app(app, dirs):
    """Return (app path as selfhost.wasm sees it, private dirs to preopen for it)."""
    app_abs = os.path.realpath(app)
    best = None
    for host, guest in dirs:
        host_abs = os.path.realpath(host)
        if app_abs.startswith(host_abs.rstrip(os.sep) + os.sep):
            if best is None or len(host_abs) > len(best[0]):
                rel = os.path.relpath(app_abs, host_abs).replace(os.sep, "/")
                best = (host_abs, rel if guest in (".", "./") else guest.rstrip("/") + "/" + rel)
    if best is not None:
        return best[1], []
    return (APP_GUEST_DIR + "/" + os.path.basename(app_abs),
            [(os.path.dirname(app_abs), APP_GUEST_DIR)])


def cmd_run(tokens):
    own, passthrough, app, app_args = split_run_args(tokens)
    parser = build_run_parser()
    ns = parser.parse_args(own)        # exits 0 after --help
    selfhost_ns = None
    if passthrough:
        # Check the selfhost.wasm options here, natively: a typo then fails at once.
        from interp.cli import build_parser as selfhost_parser
        from interp.cli import UsageError as SelfhostUsageError
        try:
            selfhost_ns = selfhost_parser().parse_args(passthrough)
        except SelfhostUsageError as e:
            raise UsageError(str(e)) from None
        if getattr(selfhost_ns, "version", False):
            app = app or ""
    dirs = [_parse_dir(spec) for spec in ns.dir]
    for spec in ns.env:
        if "=" not in spec or spec.startswith("="):
            raise UsageError("bad --env %r: expected K=V" % spec)

    argv = list(passthrough)
    for spec in ns.env:
        argv += ["--env", spec]
    private_dirs = []
    if app:
        if not os.path.isfile(app):
            _err("%s: no such file" % app)
            return EXIT_ERROR
        guest_app, private_dirs = _map_app(app, dirs)
        if getattr(selfhost_ns, "argv0", None) is None:
            # the app sees (and messages name) the path the user typed, as under `wasmtime
            # run`, not where selfhost.wasm finds it in its sandbox
            argv += ["--argv0", app]
    from .checkpoint_cmds import translate_run_options
    argv, private_dirs = translate_run_options(argv, ns.runtime, dirs, private_dirs)
    if app:
        argv += ["--", guest_app] + app_args
    elif app is None:
        raise UsageError("missing APP.wasm")
    return launch.run(ns.runtime, argv, dirs=dirs, private_dirs=private_dirs,
                      stdin=None, capture=False).returncode


def cmd_build(force):
    script = launch.ROOT / "build.sh"
    if not script.is_file():
        _err("%s not found: `selfhost build` works from a source checkout" % script)
        return EXIT_USAGE
    cmd = ["bash", str(script)] + (["--force"] if force else [])
    return subprocess.call(cmd)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and argv[0] == "run":
            if any(t in ("-h", "--help") for t in split_run_args(argv[1:])[0]):
                build_run_parser().print_help()
                return 0
            return cmd_run(argv[1:])
        if argv and argv[0] == "cluster":
            from .cluster.cli import main as cluster_main
            return cluster_main(argv[1:])
        from . import checkpoint_cmds
        if argv and argv[0] in checkpoint_cmds.COMMANDS:
            return checkpoint_cmds.main(argv[0], argv[1:])
        parser = build_parser()
        try:
            ns = parser.parse_args(argv)
        except SystemExit as e:        # --version, --help
            return e.code or 0
        if ns.command == "build":
            return cmd_build(ns.force)
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    except UsageError as e:
        _err("%s (see `selfhost --help`)" % e)
        return EXIT_USAGE
    except launch.BuildMissing as e:
        _err(str(e))
        return EXIT_USAGE
    except launch.LaunchError as e:
        _err(str(e))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":
    # `python -m host.cli`: run the one host.cli module that host.checkpoint_cmds imports too
    # (this file as __main__ would be a second copy with its own UsageError).
    from host.cli import main as _main
    sys.exit(_main())
