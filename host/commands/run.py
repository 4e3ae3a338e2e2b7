"""`selfhost run`: run APP.wasm in selfhost.wasm under a host runtime.

    selfhost run [--runtime RUNTIME] [--dir HOST[::GUEST]]... [--env K=V]...
                 [SELFHOST OPTIONS, e.g. --invoke NAME] APP.wasm [--] [APP_ARGS...]

It follows the wasmtime/wasmer CLI conventions: options come before APP.wasm, everything after
it (after an optional `--`) belongs to the app. Options that `selfhost run` does not know itself
(--invoke, --max-call-depth, ...) are handed to selfhost.wasm unchanged; they are checked here
first against selfhost's own parser so that a typo fails at once. The checkpoint options
(--snapshot, --checkpoint-trigger, --restore, --stats, --trace) take HOST paths here: their
directories are mounted privately for selfhost.wasm and the paths translated (host/mounts.py).
"""
import os

from selfhost.cli import UsageError as SelfhostUsageError
from selfhost.cli import VALUE_OPTIONS, split_argv
from selfhost.cli import build_parser as selfhost_parser

from .. import known_snapshots, launch
from ..errors import UsageError, print_error
from ..mounts import Mounts, parse_dir
from ..runtimes import NAMES as RUNTIME_NAMES
from . import common

# Options of `selfhost run` itself; anything else before APP.wasm goes to selfhost.wasm.
_OWN_VALUE_OPTIONS = ("--runtime", "--dir", "--env")
_OWN_FLAGS = ("-h", "--help")
# selfhost.wasm's options that only the launcher sets (from --dir and the launch itself)
_LAUNCHER_OPTIONS = ("--args-file", "--dir-origin")
DEFAULT_SNAPSHOT = "selfhost.snap"


def split_run_args(tokens):
    """Split the tokens after `run` into (own option tokens, selfhost.wasm option tokens,
    app path or None, app args): `run`'s own options stay here, the others pass through."""
    values = _OWN_VALUE_OPTIONS + tuple(o for o in VALUE_OPTIONS if o not in _OWN_VALUE_OPTIONS)
    options, app, app_args = split_argv(tokens, values)
    own, passthrough = [], []
    i = 0
    while i < len(options):
        name = options[i].split("=", 1)[0]
        takes_value = "=" not in options[i] and name in values
        if takes_value and i + 1 >= len(options):
            raise UsageError("%s needs a value" % name)
        target = own if name in _OWN_VALUE_OPTIONS + _OWN_FLAGS else passthrough
        target += options[i:i + 1 + takes_value]
        i += 1 + takes_value
    return own, passthrough, app, app_args


def build_parser():
    p = common.parser(
        "selfhost run",
        "selfhost run [--runtime RUNTIME] [--dir HOST[::GUEST]]... [--env K=V]... "
        "[SELFHOST OPTIONS] APP.wasm [--] [APP_ARGS...]",
        "Run APP.wasm in selfhost.wasm under a host Wasm runtime.",
        epilog="Other options before APP.wasm are handed to selfhost.wasm, e.g. --invoke NAME "
               "(call an exported function with APP_ARGS) or --max-call-depth N.")
    p.add_argument("--runtime", choices=RUNTIME_NAMES, default="wasmtime",
                   help="host runtime for selfhost.wasm (default: wasmtime); native runs "
                        "selfhost's Python code on this CPython")
    p.add_argument("--dir", metavar="HOST[::GUEST]", action="append", default=[],
                   help="give the app the host directory HOST, named GUEST (default: HOST)")
    common.env_arg(p)
    return p


def main(tokens):
    own, passthrough, app, app_args = split_run_args(tokens)
    if any(t in _OWN_FLAGS for t in own):
        build_parser().print_help()
        return 0
    ns = build_parser().parse_args(own)
    selfhost_ns = None
    for tok in passthrough:
        if tok.split("=", 1)[0] in _LAUNCHER_OPTIONS:
            raise UsageError("%s is passed to selfhost.wasm by `selfhost run` itself"
                             % tok.split("=", 1)[0])
    if passthrough:
        # Check the selfhost.wasm options here, natively: a typo then fails at once.
        try:
            selfhost_ns = selfhost_parser().parse_args(passthrough)
        except SelfhostUsageError as e:
            raise UsageError(str(e)) from None
        except SystemExit as e:       # selfhost's own --help
            return e.code or 0
        if selfhost_ns.version:
            app = app or ""
    mounts = Mounts([parse_dir(spec) for spec in ns.dir])
    common.check_env(ns.env)
    argv = list(passthrough)
    if common.option_value(passthrough, "--snapshot") is None and app:
        # selfhost's default, made a host path here (./selfhost.snap, as natively): the app
        # may ask for a checkpoint at any time, and every runtime then writes it there
        argv += ["--snapshot", DEFAULT_SNAPSHOT]
    for spec in ns.env:
        argv += ["--env", spec]
    if app is None:
        raise UsageError("missing APP.wasm")
    guest_app = None
    if app:
        if not os.path.isfile(app):
            print_error("%s: no such file" % app)
            return 1
        guest_app = mounts.guest_app(app)
        if getattr(selfhost_ns, "argv0", None) is None:
            # the app sees (and messages name) the path the user typed, as under `wasmtime
            # run`, not where selfhost.wasm finds it in its sandbox
            argv += ["--argv0", app]
    snapshot = common.option_value(argv, "--snapshot")     # a host path (before translation)
    argv = common.translate_options(argv, mounts)
    if guest_app is not None:
        argv += ["--", guest_app] + app_args
    before = known_snapshots.file_id(snapshot) if snapshot else None
    try:
        return launch.run(ns.runtime, argv, dirs=mounts.user_pairs(),
                          private_dirs=mounts.private_pairs(), stdin=None,
                          capture=False).returncode
    finally:
        common.after_run(snapshot, mounts, before)
