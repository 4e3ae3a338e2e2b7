"""The engine settings the program takes from its environment and command line.

The engine (interp/) reads no environment variables; these are the program's:

* SELFHOST_TIER1_THRESHOLD=N|off: tier 1's heat threshold (0: every function at its first call);
* SELFHOST_OSR=always: every tier-0 frame enters tier 1 at its first loop header (test mode);
* SELFHOST_TIER1_DUMP=DIR: write every generated tier-1 source to DIR.
"""
from interp import Config


class ConfigError(ValueError):
    """A SELFHOST_* variable has a value the program cannot use (the message names it)."""


def engine_config(environ, max_call_depth=None):
    """An interp.Config from ``environ`` (a mapping, e.g. os.environ) and the options."""
    changes = {}
    text = environ.get("SELFHOST_TIER1_THRESHOLD", "").strip().lower()
    if text in ("off", "none"):
        changes["tier1_threshold"] = None
    elif text:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise ConfigError("SELFHOST_TIER1_THRESHOLD=%s: expected a number >= 0 or 'off'"
                              % text)
        changes["tier1_threshold"] = value
    if environ.get("SELFHOST_OSR", "").strip().lower() == "always":
        changes["osr_always"] = True
    if environ.get("SELFHOST_TIER1_DUMP"):
        changes["tier1_dump_dir"] = environ["SELFHOST_TIER1_DUMP"]
    if max_call_depth is not None:
        changes["max_call_depth"] = max_call_depth
    return Config().but(**changes)
