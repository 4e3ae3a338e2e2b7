"""The host side's errors, and how a command line reports one.

Every `selfhost` command turns these into one line on stderr and an exit code
(selfhost/exit_codes.py): UsageError and LaunchError -> 2, Failure -> 1."""
import sys


class UsageError(Exception):
    """A bad command line (exit 2)."""


class Failure(Exception):
    """A command failed for a reason the user must fix (exit 1)."""


class LaunchError(Exception):
    """The launch itself failed: a missing build, an unknown runtime, no node... (exit 2)."""


class BuildMissing(LaunchError):
    pass


def print_error(message):
    from selfhost.cli import one_line
    sys.stdout.flush()
    sys.stderr.write("selfhost: error: %s\n" % one_line(message))
    sys.stderr.flush()


def say(message):
    """A line of progress or a summary for the user, on stderr."""
    sys.stdout.flush()
    sys.stderr.write("selfhost: %s\n" % message)
    sys.stderr.flush()
