"""Running a WASI command under checkpoint control: triggers, snapshot writing, restore.

The CLI (interp/cli.py) hands a decoded module, a WASI object and a Policy to ``run_command``
(fresh start) or ``restore_command`` (from a snapshot). Both drive the same loop: the machine
runs until the app exits, or until a trigger asks for a checkpoint at a safe point. Then the
snapshot is written atomically and the app either stops (EXIT_CHECKPOINTED) or goes on.

Triggers (all checked from the machine's ``poll`` hook, which runs at safe points every
``check_every`` back-edges/calls; the file check is rate-limited by the clock):
- a trigger file (``Policy.trigger_path``): when it exists, checkpoint and delete it;
- a timer (``Policy.after_seconds``): once, after that long;
- the guest's own request: writing to a file named ``.selfhost-checkpoint`` (interp/wasi.py
  sets ``wasi.checkpoint_requested``).
"""
import json
import os
import time

from interp.errors import Exit
from interp.machine import Suspended
from interp.profile import profile_stats
from interp.runtime import instantiate

from .capture import capture, module_sha256, restore
from .store import read_snapshot, write_snapshot

EXIT_CHECKPOINTED = 75          # EX_TEMPFAIL: stopped after a checkpoint; resume with --restore
TRIGGER_POLL_SECONDS = 0.002    # how often the trigger file is looked for, at most
SAFE_POINT_EVERY = 2000         # back-edges/calls between two safe points (bounds the latency)


class Policy:
    """What the user asked for on the command line."""

    def __init__(self, snapshot_path="selfhost.snap", trigger_path=None, after_seconds=None,
                 keep_running=False, stats_path=None, created_by=""):
        self.snapshot_path = snapshot_path
        self.trigger_path = trigger_path
        self.after_seconds = after_seconds
        self.keep_running = keep_running
        self.stats_path = stats_path
        self.created_by = created_by
        self.startup = None      # interp/cli.py: start-up phase -> time.time() when it ended


class _Controller:
    """The poll hook and the bookkeeping of one run."""

    def __init__(self, policy, wasi, instance, stats):
        self.policy = policy
        self.wasi = wasi
        self.instance = instance
        self.stats = stats
        self.started = time.monotonic()
        self.next_file_check = 0.0
        self.timer_done = policy.after_seconds is None
        self.checkpoints = 0

    def wanted(self):
        """Is a checkpoint asked for right now? (consumes the request)"""
        if getattr(self.wasi, "checkpoint_requested", False):
            self.wasi.checkpoint_requested = False
            self.stats["trigger"] = "guest"
            return True
        now = time.monotonic()
        if not self.timer_done and now - self.started >= self.policy.after_seconds:
            self.timer_done = True
            self.stats["trigger"] = "timer"
            return True
        path = self.policy.trigger_path
        if path is not None and now >= self.next_file_check:
            self.next_file_check = now + TRIGGER_POLL_SECONDS
            if os.path.exists(path):
                try:
                    os.remove(path)
                except OSError:
                    pass
                self.stats["trigger"] = "file"
                return True
        return False

    def poll(self):
        if not self.wanted():
            return False
        if self.policy.keep_running:        # snapshot from inside the safe point, go on
            self.checkpoint(self.instance.machine.capture())
            return False
        return True                         # stop: the loop raises Suspended

    def checkpoint(self, frames):
        t0 = time.monotonic()
        self.wasi.flush()
        stats = {"checkpoints": self.checkpoints + 1}
        profile = profile_stats(self.instance.module)
        if profile is not None:
            stats["profile"] = profile
        snap = capture(frames, self.instance, wasi=_json_wasi(self.wasi.state()), stats=stats,
                       created_by=self.policy.created_by)
        t1 = time.monotonic()
        size = write_snapshot(self.policy.snapshot_path, snap)
        t2 = time.monotonic()
        self.checkpoints += 1
        self.stats.update({"capture_seconds": t1 - t0, "write_seconds": t2 - t1,
                           "snapshot_bytes": size,
                           "memory_bytes": sum(len(m.data) for m in self.instance.mems),
                           "frames": len(frames), "checkpointed_at": time.time(),
                           "checkpoints": self.checkpoints})


def _json_wasi(state):
    """WASI state with string keys, so that it survives JSON."""
    state = dict(state)
    state["fds"] = {str(k): v for k, v in state["fds"].items()}
    state["written"] = {str(k): v for k, v in state["written"].items()}
    return state


def _drive(controller, start):
    """Run ``start()`` (a call or a resume) to the end, checkpointing when asked."""
    machine = controller.instance.machine
    machine.poll = controller.poll
    controller.wasi.on_checkpoint_request = lambda: setattr(machine, "safe_point_soon", True)
    machine.check_every = min(machine.check_every, SAFE_POINT_EVERY)
    run = start
    while True:
        try:
            run()
            return 0
        except Exit as e:
            return e.code
        except Suspended as s:
            controller.checkpoint(s.frames)
            if not controller.policy.keep_running:
                return EXIT_CHECKPOINTED
            run = lambda frames=s.frames: machine.resume(frames)


def _write_stats(policy, stats):
    if policy.stats_path:
        if policy.startup is not None:
            stats["startup"] = policy.startup
        with open(policy.stats_path, "w") as f:
            json.dump(stats, f, indent=1, sort_keys=True)


def run_command(module, wasi, policy, max_call_depth=None, instance=None):
    """Run a WASI command's ``_start`` under ``policy``; return the exit code. ``instance``:
    one already made of ``module`` with ``wasi``'s imports (and bound), else one is made."""
    stats = {"phase": "run", "started_at": time.time()}
    if instance is None:
        instance = instantiate(module, wasi.imports(), max_call_depth=max_call_depth)
        if "memory" in instance.exports:
            wasi.bind(instance)
    controller = _Controller(policy, wasi, instance, stats)
    try:
        return _drive(controller, lambda: instance.invoke("_start"))
    finally:
        stats["ended_at"] = time.time()
        _write_stats(policy, stats)


def load_snapshot(path, module):
    """Read and check a snapshot file for ``module`` (raises checkpoint.SnapshotError)."""
    return read_snapshot(path, expected_module_sha256=module_sha256(module))


def remap_wasi_state(state, preopens):
    """Point the snapshot's preopens (by guest path) and the files opened under them at the
    host directories given now: ``preopens`` is [(host, guest)]. Raises ValueError naming a
    guest directory the snapshot needs but that was not given."""
    new_host = {guest: host for host, guest in preopens}
    moves = []
    out_preopens = []
    for old_host, guest in state["preopens"]:
        if guest not in new_host:
            raise ValueError("the snapshot needs the directory %r: pass --dir HOST::%s"
                             % (guest, guest))
        moves.append((old_host, new_host[guest]))
        out_preopens.append([new_host[guest], guest])
    fds = {}
    for n, fields in state["fds"].items():
        fields = dict(fields)
        path = fields.get("host_path")
        if path is not None:
            for old, new in moves:
                if path == old or path.startswith(old.rstrip("/") + "/"):
                    fields["host_path"] = new + path[len(old):]
                    break
        fds[n] = fields
    state = dict(state)
    state["preopens"] = out_preopens
    state["fds"] = fds
    return state


def restore_command(module, snapshot, wasi, policy, preopens, max_call_depth=None):
    """Resume ``snapshot`` (already read and checked) with a fresh instance of ``module``;
    the WASI object gets the snapshot's state with preopens remapped to ``preopens``."""
    t0 = time.monotonic()
    stats = {"phase": "restore", "started_at": time.time()}
    wasi.restore_state(remap_wasi_state(snapshot.wasi, preopens))
    from interp.machine import Machine
    machine = Machine() if max_call_depth is None else Machine(max_call_depth=max_call_depth)
    instance, frames = restore(snapshot, module, wasi.imports(), machine=machine)
    if "memory" in instance.exports:
        wasi.bind(instance)
    stats["restore_seconds"] = time.monotonic() - t0
    stats["resumed_at"] = time.time()
    controller = _Controller(policy, wasi, instance, stats)
    try:
        return _drive(controller, lambda: machine.resume(frames))
    finally:
        stats["ended_at"] = time.time()
        _write_stats(policy, stats)
