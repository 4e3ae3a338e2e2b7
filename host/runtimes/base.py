"""The interface every host runtime implements, and the data a launch hands it.

A runtime turns one launch (``Job``: selfhost.wasm, its argv, the app's environment, the mounts
as this runtime presents them) into a process to start (``Command``), says where it shows each
mounted directory to selfhost.wasm (``dir_view``), which selfhost options it cannot serve
(``check_options``), and maps its process's exit status onto selfhost's exit codes
(``exit_code``). host/launch.py does the rest, the same way for every runtime.

Adding a runtime: one module in this package with a ``Runtime`` subclass, and one line in
``RUNTIMES`` (host/runtimes/__init__.py).
"""
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from selfhost import exit_codes

from ..errors import UsageError

ROOT = Path(__file__).resolve().parent.parent.parent      # the directory holding host/


@dataclass
class Job:
    module: Optional[Path]          # build/selfhost.wasm (None for the native runtime)
    argv: List[str]                 # selfhost's argv (no program name), paths in this view
    env: dict                       # the app's environment
    preopens: list                  # [(host dir, view path)] to give selfhost.wasm
    work: str                       # a private temp directory, removed after the run
    cache: Path                     # where compiled modules may be cached
    offload: bool = True            # offer offload's native side (when the runtime has one)
    only_files: dict = field(default_factory=dict)   # view -> the only names needed in it


@dataclass
class Command:
    argv: List[str]
    env: Optional[dict] = None      # the child's environment (None: inherit)
    cwd: Optional[str] = None
    config: dict = field(default_factory=dict)   # what was written to the config file


class Runtime:
    name = ""
    native_side = False    # can run offloaded functions natively (interp/offload.py)
    uses_build = True      # runs build/selfhost.wasm (native runs its Python source)
    # the guest sees the host's files as they change; False: a copy made at start (Wasmer),
    # so nothing that waits for a file to appear can work there
    live_files = True

    def dir_view(self, index, mount):
        """Where selfhost.wasm sees mounted directory number ``index`` (a host.mounts.Mount)."""
        return mount.guest

    def check_options(self, option_names):
        """Raise host.errors.UsageError for a selfhost option this runtime cannot serve."""
        if self.live_files:
            return
        for option in ("--checkpoint-trigger", "--wait-for-snapshot"):
            if option in option_names:
                raise UsageError(
                    "%s does not work with --runtime %s: its file system is a copy made at "
                    "start (use --checkpoint-after, or another runtime)" % (option, self.name))

    def command(self, job):
        """The process that runs ``job``."""
        raise NotImplementedError

    def exit_code(self, returncode):
        """The run's exit code from the process's: a signal (negative) becomes 128 + signal."""
        return 128 - returncode if returncode < 0 else returncode


def trigger_host_path(job):
    """The host path of the run's --checkpoint-trigger file, or None: a launcher's native side
    watches it itself while native code runs (tier 2 over the doorbell: selfhost.wasm cannot
    look while its host call lasts). job.argv names it in this runtime's view."""
    from interp.wasi.paths import rebase
    from selfhost.cli import VALUE_OPTIONS, split_argv
    options, _app, _args = split_argv(job.argv, VALUE_OPTIONS)
    view = None
    for i, token in enumerate(options):
        if token == "--checkpoint-trigger" and i + 1 < len(options):
            view = options[i + 1]
        elif token.startswith("--checkpoint-trigger="):
            view = token.split("=", 1)[1]
    if view is None:
        return None
    return rebase(view, [(v, h) for h, v in job.preopens])


def write_config(job, config):
    """Write a child runner's config as JSON into the job's private directory and return its
    path: configs (the app's argv and environment among them) never go on a command line, so
    their size is not limited by the OS's argument limits."""
    path = os.path.join(job.work, "config.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    return path


def read_config(argv, module_name):
    """A child runner's side of ``write_config``: its argv (CONFIG.json) -> (config, None), or
    (None, the one-line problem)."""
    if len(argv) != 1:
        return None, "usage: python -m %s CONFIG.json" % module_name
    try:
        with open(argv[0], encoding="utf-8") as f:
            return json.load(f), None
    except (OSError, ValueError) as e:
        return None, "bad config %s: %s" % (argv[0], e)


def python_env(extra=None):
    """The environment of a Python child runner: this one's, with the code root importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.setdefault("PYTHONUNBUFFERED", "1")
    if extra:
        env.update(extra)
    return env


def python_command(module_name, config_path):
    return [sys.executable, "-m", module_name, config_path]


EXIT_CODES = exit_codes.ALL
