"""The `selfhost` commands, one module each; ``COMMANDS`` is the table host/cli.py dispatches
on: name -> (module, one-line help). Each module has ``main(tokens) -> exit code``."""
from . import build, checkpoint, inspect, migrate, restore, run

COMMANDS = {
    "run": (run, "run APP.wasm under a host runtime"),
    "checkpoint": (checkpoint, "ask a running app for a checkpoint (trigger file)"),
    "restore": (restore, "resume a snapshot under a host runtime"),
    "migrate": (migrate, "run an app on one runtime and move it to another mid-run"),
    "inspect": (inspect, "show what a snapshot holds"),
    "build": (build, "build build/selfhost.wasm with build.sh"),
}
