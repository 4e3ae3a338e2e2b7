"""Node's node:wasi (Node 20 or newer), through node_launcher.mjs.

Each mount is preopened at its guest name. The launcher shadows path_symlink on preopens (as
wasmtime does it) and answers selfhost.wasm's offload doorbell; the doorbell protocol's
constants and selfhost's exit codes reach it in its config (selfhost/doorbell.py,
selfhost/exit_codes.py own them), as do WASI's errno numbers (interp/wasi/abi.py), so the
JavaScript holds no copy.
"""
import os
import shutil
from pathlib import Path

from interp.wasi.abi import WASI_ERRNO_BY_NAME
from selfhost import exit_codes
from selfhost.doorbell import PROTOCOL

from ..errors import LaunchError
from .base import Command, Runtime, trigger_host_path, write_config
from .compile_cache import module_hash

LAUNCHER = Path(__file__).resolve().parent / "node_launcher.mjs"


def launcher_config(module, args, env, preopens, offload, trigger=None, cache=None):
    """node_launcher.mjs's config: what to run, and the constants it must not copy.
    ``cache``: where the launcher keeps what the guest instrumented for tier 2 (named with
    selfhost.wasm's hash, the instrumenter), or None."""
    config = {"module": str(module), "args": list(args), "env": dict(env),
              "preopens": [[h, v] for h, v in preopens], "offload": offload,
              "trigger": trigger, "doorbell": PROTOCOL, "exit_codes": exit_codes.ALL,
              "wasi_errno": WASI_ERRNO_BY_NAME}
    if cache is not None and offload:
        config["tier2_cache"] = str(Path(cache) / "node-tier2")
        config["selfhost_hash"] = module_hash(cache, module)
    return config


class NodeRuntime(Runtime):
    name = "node"
    native_side = True

    def command(self, job):
        node = shutil.which("node")
        if node is None:
            raise LaunchError("node not found on PATH (Node 20 or newer is needed for "
                              "--runtime node)")
        config = launcher_config(job.module, ["selfhost"] + job.argv, job.env, job.preopens,
                                 job.offload, trigger_host_path(job), job.cache)
        # --no-turbo-fast-api-calls: Node 20's fast path into node:wasi keeps a stale pointer
        # to the guest memory after memory.grow and segfaults (nodejs/node#53087 and kin).
        flags = ["--no-warnings", "--no-turbo-fast-api-calls"]
        # --liftoff-only: V8's tier-up recompiles selfhost.wasm's huge (Nuitka-generated)
        # functions with TurboFan in background threads that compete with the run for the CPU,
        # and the process's exit waits for the compilations in flight; only long interpreted
        # runs gain from TurboFan (bench/results/node-tiering.md). SELFHOST_NODE_TIERUP=1 keeps
        # V8's default tiering.
        if os.environ.get("SELFHOST_NODE_TIERUP") != "1":
            flags.append("--liftoff-only")
        return Command([node] + flags + [str(LAUNCHER), write_config(job, config)],
                       config=config)
