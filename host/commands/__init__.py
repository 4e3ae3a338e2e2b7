"""The `selfhost` commands, one module each; ``COMMANDS`` is the table host/cli.py dispatches
on: name -> (module name, one-line help). Each module has ``main(tokens) -> exit code`` and is
imported only when its command runs (``command_main``): `selfhost run` does not pay for the
cluster's or the build's imports."""
import importlib

COMMANDS = {
    "run": ("run", "run APP.wasm under a host runtime"),
    "checkpoint": ("checkpoint", "ask a running app for a checkpoint (trigger file)"),
    "restore": ("restore", "resume a snapshot under a host runtime"),
    "migrate": ("migrate", "run an app on one runtime and move it to another mid-run"),
    "inspect": ("inspect", "show what a snapshot holds"),
    "build": ("build", "build build/selfhost.wasm with build.sh"),
    "cluster": ("cluster", "run and live-migrate apps across the nodes of a Ray cluster"),
}


def command_main(name):
    """The ``main`` of command ``name`` (a key of COMMANDS)."""
    return importlib.import_module("%s.%s" % (__name__, COMMANDS[name][0])).main
