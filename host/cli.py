"""`selfhost`: run WebAssembly apps in selfhost.wasm under a host runtime.

    selfhost run [--runtime RUNTIME] [--dir HOST[::GUEST]]... APP.wasm [--] [APP_ARGS...]
    selfhost checkpoint | restore | migrate | inspect | build ...
    selfhost cluster start | stop | submit | status | migrate | evacuate | wait ...
    selfhost --version

This module only dispatches: each command is a module of host/commands/ (``COMMANDS``).
Exit codes (selfhost/exit_codes.py): the app's own; 1 for a failure the user must fix (one
"selfhost: error: ..." line); 2 for a bad command line or a missing build; 130 when interrupted.
"""
import argparse
import sys

from selfhost import exit_codes

from . import __version__
from .commands import COMMANDS, command_main
from .errors import Failure, LaunchError, UsageError, print_error


class _Parser(argparse.ArgumentParser):
    def error(self, message):         # one line and exit 2 (main), not argparse's usage block
        raise UsageError(message)


def build_parser():
    parser = _Parser(
        prog="selfhost", description="Run WebAssembly apps in selfhost.wasm, a Wasm runtime "
        "written in Python that itself runs on a Wasm host.")
    parser.add_argument("--version", action="version", version="selfhost %s" % __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, text) in COMMANDS.items():
        sub.add_parser(name, help="%s (see `selfhost %s --help`)" % (text, name), add_help=False)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and argv[0] in COMMANDS:
            try:
                return command_main(argv[0])(argv[1:])
            except SystemExit as e:    # a command's --help
                return e.code or 0
        parser = build_parser()
        try:
            parser.parse_args(argv)
        except SystemExit as e:        # --version, --help, an unknown command
            return e.code or 0
        parser.print_help(sys.stderr)
        return exit_codes.USAGE
    except UsageError as e:
        print_error("%s (see `selfhost --help`)" % e)
        return exit_codes.USAGE
    except LaunchError as e:
        print_error(str(e))
        return exit_codes.USAGE
    except Failure as e:
        print_error(str(e))
        return exit_codes.ERROR
    except KeyboardInterrupt:
        print_error("interrupted")
        return exit_codes.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
