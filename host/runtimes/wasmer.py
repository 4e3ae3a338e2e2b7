"""Wasmer through wasmer-sdk, in a child process (wasmer_child.py).

Wasmer's sandbox file system is virtual: mount i is copied to /workspace/d<i> before the run and
what the guest changed is copied back after it (symlinks as links, wasmer_links.py; on the host
never through a symlink, confined.py); of a private mount with named files (Job.only_files)
only those. A file created during the run is never seen inside (live_files is False), so
--checkpoint-trigger and --wait-for-snapshot are refused. No native
side: wasmer-sdk can neither add the doorbell's host function nor reach the guest's memory.
"""
from .base import Command, Runtime, python_command, python_env, write_config

WORKSPACE = "/workspace"


class WasmerRuntime(Runtime):
    name = "wasmer"
    live_files = False

    def dir_view(self, index, mount):
        return "%s/d%d" % (WORKSPACE, index)

    def command(self, job):
        config = {"module": str(job.module), "args": ["selfhost"] + job.argv, "env": job.env,
                  "mounts": [[h, v, job.only_files.get(v)] for h, v in job.preopens], "cwd": WORKSPACE,
                  "cache": str(job.cache / "wasmer")}
        return Command(python_command("host.runtimes.wasmer_child", write_config(job, config)),
                       env=python_env(), config=config)
