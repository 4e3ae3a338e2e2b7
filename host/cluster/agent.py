"""NodeAgent: the Ray actor on one node; it runs the apps placed there.

Each app runs under this node's host runtime through host.launch (``prepared``: the runtime's
command for selfhost.wasm, its mounts made by host/mounts.py), started as
`python guard.py RUNTIME-COMMAND...` (the guard makes the app die with this actor) in its own
process group, with its work directory under the node's work root:

    ROOT/apps/APP_ID/rRUN/app/NAME.wasm     the module (from the object store)
                         files/d0, d1 ...   the app's preopened dirs (unpacked from a tarball)
                         ckpt/in.snap       the snapshot it was restored from
                         ckpt/out.snap      where selfhost writes the next one (+ stats.json,
                                            trigger)

A checkpoint leaves the node as a snapshot plus a tarball of the app's files *as of that
snapshot*. On a runtime that serves --checkpoint-trigger (wasmtime, the wasmtime CLI, Node,
native) the run keeps going after a checkpoint (--checkpoint-continue, asked for through the
trigger file): the process group is frozen while selfhost writes the snapshot and the files are
packed then (Run._capture says why that is exact). A migration kills the run right after its
checkpoint; a periodic one (--checkpoint-every) lets it go on. A runtime that refuses the
trigger (Wasmer: its sandbox is a copy made at start, written back when the guest exits) runs
the app in segments: every checkpoint stops the run (--checkpoint-after, every few seconds so
that a migration need not wait long), and a periodic one resumes it in place.

Output: the app's stdout/stderr are read from pipes and sent to the controller in batches, each
chunk with its absolute offset in the app's stream (a restored run starts at the counts its
snapshot recorded). Every byte before a snapshot is delivered before the snapshot is, so the
controller never holds a snapshot beyond the output it has; after a migration checkpoint only
the bytes before the snapshot are sent (the new node writes the rest).
"""
import hashlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from selfhost import exit_codes

from .. import launch, runtimes
from ..commands.common import translate_options
from ..commands.restore import restore_argv
from ..errors import LaunchError, UsageError
from ..mounts import Mounts
from . import CONTROLLER_NAME, NAMESPACE, guard, procs
from .files import pack_dirs, snapshot_output_counts, unpack_dirs

# the guard runs as a script (no import of this package: it needs no PYTHONPATH)
GUARD = [sys.executable, os.path.abspath(guard.__file__)]
WASMER_SEGMENT_SECONDS = 2.0     # Wasmer: checkpoint this often so that a migration can happen
FLUSH_SECONDS = 0.25             # output batching
CAPTURE_TIMEOUT = 60.0           # for the app to reach a safe point / write its snapshot
CAPTURE_ATTEMPTS = 5             # a migration retries a checkpoint the app ran past
SLICE_SECONDS = 0.002            # how long the app runs between two looks during a capture


def serves_trigger(runtime):
    """Whether ``runtime`` serves --checkpoint-trigger (then a run goes on after a checkpoint)."""
    try:
        runtimes.get(runtime).check_options(["--checkpoint-trigger"])
    except UsageError:
        return False
    return True


def runtime_problem(runtime):
    """Why this node cannot start ``runtime`` (no build, no node on PATH, no wasmtime CLI...),
    or None: the runtime's command is made for a launch that is not started."""
    try:
        with launch.prepared(runtime, ["--version"]):
            return None
    except (LaunchError, UsageError) as e:
        return str(e)


class NodeAgent:
    """One per node (a Ray actor with max_concurrency > 1: calls run in threads)."""

    def __init__(self, index, runtime, root=None, wasmer_segment=WASMER_SEGMENT_SECONDS):
        self.index = index
        self.runtime = runtime
        self.root = root or tempfile.mkdtemp(prefix="selfhost-node%d-" % index)
        os.makedirs(os.path.join(self.root, "apps"), exist_ok=True)
        self.wasmer_segment = wasmer_segment
        self.runs = {}              # app_id -> Run (the live one)
        self.lock = threading.Lock()
        self._controller = None

    def controller(self):
        if self._controller is None:
            import ray
            self._controller = ray.get_actor(CONTROLLER_NAME, namespace=NAMESPACE)
        return self._controller

    def info(self):
        import ray
        return {"index": self.index, "runtime": self.runtime, "root": self.root,
                "problem": runtime_problem(self.runtime),
                "node_id": ray.get_runtime_context().get_node_id(), "pid": os.getpid(),
                "raylet_pid": os.getppid(), "hostname": socket.gethostname(),
                "ip": ray.util.get_node_ip_address()}

    def ping(self):
        with self.lock:
            return sorted(self.runs)

    def launch(self, spec, wasm, files, snap):
        """Start (snap None) or resume an app here; returns once its process is started."""
        run = Run(self, spec, wasm, files, snap)
        with self.lock:
            old = self.runs.get(spec["app_id"])
            self.runs[spec["app_id"]] = run
        if old is not None:
            old.discard()
        run.start()
        return {"workdir": run.workdir}

    def checkpoint(self, app_id, run_id, timeout):
        """Checkpoint the app for a migration: -> {"kind": "snapshot", snap, files, counts, ...},
        {"kind": "exited", "rc"} when it ended first, {"kind": "gone"} or {"kind": "timeout"}."""
        with self.lock:
            run = self.runs.get(app_id)
        if run is None or run.run_id != run_id:
            return {"kind": "gone"}
        return run.request_checkpoint(timeout)

    def discard(self, app_id, run_id):
        """Stop a run the controller no longer wants (stale after a restart) and delete it."""
        with self.lock:
            run = self.runs.get(app_id)
            if run is None or run.run_id != run_id:
                return False
            del self.runs[app_id]
        run.discard()
        return True

    def _forget(self, run):
        with self.lock:
            if self.runs.get(run.app_id) is run:
                del self.runs[run.app_id]


class Run:
    """One placement of an app on this node, until it ends or migrates away: one selfhost
    process (continuous mode), or a chain of them, one per periodic checkpoint (Wasmer)."""

    def __init__(self, agent, spec, wasm, files, snap):
        self.agent = agent
        self.app_id = spec["app_id"]
        self.run_id = spec["run"]
        self.args = list(spec.get("args") or [])
        self.guests = list(spec.get("guests") or [])
        self.env = list(spec.get("env") or [])
        self.argv0 = spec.get("argv0") or spec.get("name") or "app.wasm"
        self.every = spec.get("checkpoint_every")
        # a runtime that sees no trigger file (Wasmer) runs the app in segments: there every
        # checkpoint stops the run (--checkpoint-after); elsewhere the run goes on
        self.continuous = serves_trigger(agent.runtime)
        self.segment = None if self.continuous else min(self.every or agent.wasmer_segment,
                                                        agent.wasmer_segment)
        self.offsets = {1: 0, 2: 0}
        if spec.get("counts"):
            self.offsets = {int(k): int(v) for k, v in spec["counts"].items()}
        self.workdir = os.path.join(agent.root, "apps", self.app_id, "r%d" % self.run_id)
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.ckpt = os.path.join(self.workdir, "ckpt")
        os.makedirs(self.ckpt)
        app_dir = os.path.join(self.workdir, "app")
        os.makedirs(app_dir)
        self.app_path = os.path.join(app_dir, os.path.basename(spec.get("name") or "app.wasm"))
        with open(self.app_path, "wb") as f:
            f.write(wasm)
        self.module_sha256 = hashlib.sha256(wasm).hexdigest()
        self.dirs = unpack_dirs(files, os.path.join(self.workdir, "files"), len(self.guests))
        self.in_snap = os.path.join(self.ckpt, "in.snap")
        self.out_snap = os.path.join(self.ckpt, "out.snap")
        self.stats_path = os.path.join(self.ckpt, "stats.json")
        self.trigger = os.path.join(self.ckpt, "trigger")
        self.restored = snap is not None
        if snap is not None:
            with open(self.in_snap, "wb") as f:
                f.write(snap)
        self.lock = threading.Lock()            # proc, pump and the flags below
        self.capture_lock = threading.Lock()    # one checkpoint at a time
        self.proc = None
        self.pump = None
        self.hold = False           # a migration checkpoint is being taken: send no output
        self.limit = None           # after it: send only output below the snapshot's counts
        self.migration = None       # its record, handed over once the output is delivered
        self.migrating = False      # Wasmer: hand over the next periodic checkpoint
        self.resumed_at = None
        self.stopped = False
        self.done = False
        self.handoff = queue.Queue()
        self.sent = []              # refs of output calls not yet known to be delivered

    # --- the process ----------------------------------------------------------------------

    def argv(self):
        """selfhost.wasm's argv and the mounts for it (host/mounts.py maps every path)."""
        mounts = Mounts(list(zip(self.dirs, self.guests)))
        guest_app = mounts.guest_app(self.app_path)
        trigger = self.trigger if self.continuous else None
        after = None if self.continuous else float(self.segment)
        if self.restored:
            return mounts, restore_argv(mounts, self.in_snap, guest_app, snapshot=self.out_snap,
                                        stats=self.stats_path, trigger=trigger, after=after,
                                        keep_running=self.continuous)
        tokens = ["--snapshot", self.out_snap, "--stats", self.stats_path]
        if trigger:
            tokens += ["--checkpoint-trigger", trigger]
        argv = translate_options(tokens, mounts)
        argv += ["--checkpoint-continue"] if self.continuous else [
            "--checkpoint-after", repr(after)]
        for spec in self.env:
            argv += ["--env", spec]
        return mounts, argv + ["--argv0", self.argv0, "--", guest_app] + self.args

    def start(self):
        threading.Thread(target=self._main, name="run-%s" % self.app_id, daemon=True).start()

    def _main(self):
        try:
            self._loop()
        except Exception as e:          # report, never die silently
            if not self.stopped:
                try:
                    self._call("run_failed", self.app_id, self.run_id,
                               "node %d: %s: %s" % (self.agent.index, type(e).__name__, e))
                except Exception:
                    pass
        finally:
            self.done = True
            self.handoff.put({"kind": "gone"})      # wakes a waiting checkpoint() if any
            if not self.stopped:
                self.agent._forget(self)
                shutil.rmtree(self.workdir, ignore_errors=True)

    def _loop(self):
        while True:
            rc, stats = self._run_once()
            if self.stopped:
                return
            if self.migration is not None:          # killed right after its checkpoint
                self.handoff.put(self.migration)
                return
            segment_ended = rc == exit_codes.CHECKPOINTED and os.path.isfile(self.out_snap)
            if not self.continuous and segment_ended:
                record = self._segment_record(stats)
                with self.lock:
                    migrating = self.migrating
                    if migrating:
                        self.handoff.put(record)
                if migrating:
                    return
                if not self._call("checkpointed", self.app_id, self.run_id, record):
                    return              # the controller moved the app elsewhere meanwhile
                os.replace(self.out_snap, self.in_snap)
                self.restored = True
                self.offsets = dict(record["counts"])   # the next run writes on from there
                continue
            resumed_at = self.resumed_at or stats.get("resumed_at")
            report = {"rc": rc, "counts": dict(self.offsets), "node": self.agent.index,
                      "resumed_at": resumed_at, "ended_at": time.time()}
            if self.restored and resumed_at is None:
                report["restore_failed"] = True
                report["error"] = (self.pump.last_line() if self.pump else "") or \
                    "selfhost restore exited with code %d" % rc
            else:
                report["files"] = pack_dirs(self.dirs)
            self._call("finished", self.app_id, self.run_id, report)
            self.handoff.put({"kind": "exited", "rc": rc})
            return

    def _run_once(self):
        for path in (self.out_snap, self.stats_path):
            if os.path.lexists(path):
                os.remove(path)
        mounts, argv = self.argv()
        with launch.prepared(self.agent.runtime, argv, dirs=mounts.user_pairs(),
                             private_dirs=mounts.private_pairs()) as (rt, cmd):
            with self.lock:
                if self.stopped:
                    return None, {}
                if os.path.lexists(self.trigger):
                    os.remove(self.trigger)
                self.proc = subprocess.Popen(GUARD + cmd.argv, stdin=subprocess.DEVNULL,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                             cwd=cmd.cwd or self.workdir, env=cmd.env,
                                             start_new_session=True)
                self.pump = procs.OutputPump(self.proc, self.offsets)
                self.resumed_at = None
            rc = self._watch(self.proc, self.pump)
        rc = rt.exit_code(rc)
        stats = {}
        try:
            with open(self.stats_path) as f:
                stats = json.load(f)
        except (OSError, ValueError):
            pass
        return rc, stats if isinstance(stats, dict) else {}

    def _watch(self, proc, pump):
        """Until the process ends: deliver its output, take the periodic checkpoints."""
        if self.continuous and self.restored:
            self._confirm_restore()
        every = self.every if self.continuous else None
        due = time.monotonic() + every if every else None
        while True:
            try:
                proc.wait(timeout=FLUSH_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            self._flush()
            if due is not None and time.monotonic() >= due and not self.stopped:
                self._periodic()
                due = time.monotonic() + every
        pump.join()
        self._flush(final=True)
        self._delivered()
        self.offsets = dict(pump.offsets)
        return proc.returncode

    def _flush(self, final=False):
        with self.lock:             # with the hold check, so nothing slips past a migration
            if self.hold and not final:
                return
            chunks = self.pump.take(self.limit)
        if chunks:
            self.sent.append(self.agent.controller().output.remote(
                self.app_id, self.run_id, chunks))

    def _delivered(self):
        """Wait until the controller has every output chunk sent so far."""
        import ray
        refs, self.sent = self.sent, []
        if refs:
            ray.get(refs)

    def _call(self, method, *args):
        import ray
        return ray.get(getattr(self.agent.controller(), method).remote(*args))

    def _stop_now(self):
        with self.lock:
            self.stopped = True
            proc = self.proc
        if proc is not None:
            procs.kill(proc.pid)

    # --- checkpoints ----------------------------------------------------------------------

    def _segment_record(self, stats):
        """Wasmer: the run stopped at its checkpoint; its files are as of the snapshot."""
        with open(self.out_snap, "rb") as f:
            snap = f.read()
        return {"kind": "snapshot", "snap": snap, "files": pack_dirs(self.dirs),
                "counts": snapshot_output_counts(snap, self.module_sha256),
                "written_at": stats.get("checkpointed_at") or time.time(),
                "resumed_at": stats.get("resumed_at"), "node": self.agent.index}

    def _capture(self, retry=False, patience=CAPTURE_TIMEOUT, sliced=True):
        """A checkpoint of the running (continuous) process with its files as of the snapshot.
        Once selfhost has taken the trigger (at a safe point) it runs no guest code until the
        snapshot file is renamed into place. So: stop the process group, create the trigger,
        then let the app run in short slices (SIGCONT, SLICE_SECONDS, SIGSTOP) until it has
        taken the trigger. If the snapshot is not there yet, the app is frozen inside its
        checkpoint and its files are as of the snapshot: pack them, let it go on. If it is (the
        whole checkpoint fit in one slice, or the agent was too slow), this checkpoint is not
        used. Slicing keeps the app from running on while this thread waits for the CPU.
        ``sliced=False`` (right after a restore, which slicing would slow down) freezes only
        once the trigger is gone, and more often misses.
        ``retry``: take another checkpoint when one was missed (a migration needs one).
        ``patience``: seconds to wait for the app to take the trigger (None: while it runs).
        -> (time the trigger was seen taken or None, record or None)"""
        proc = self.proc
        pgid = proc.pid if proc is not None else None
        taken = None
        for attempt in range(CAPTURE_ATTEMPTS if retry else 1):
            if proc is None or proc.poll() is not None or self.stopped:
                return taken, None
            if os.path.lexists(self.out_snap):
                os.remove(self.out_snap)
            members = list(procs.group_members(pgid))
            if sliced:                  # it sees the trigger only in a slice
                procs.freeze(pgid, members)
            asked = time.time()
            try:
                fd = os.open(self.trigger, os.O_WRONLY | os.O_CREAT, 0o644)
                os.close(fd)
            except OSError:
                procs.thaw(pgid)
                raise
            frozen = self._await_trigger(proc, members, asked, patience, sliced)
            if frozen is None:
                return taken, None
            taken = time.time()
            try:
                frozen = frozen if sliced else procs.freeze(pgid, members)
                consistent = frozen and not os.path.lexists(self.out_snap)
                files = pack_dirs(self.dirs) if consistent else None
            finally:
                procs.thaw(pgid)
            while not os.path.lexists(self.out_snap):
                if proc.poll() is not None or time.time() - taken > CAPTURE_TIMEOUT:
                    return taken, None
                time.sleep(0.002)
            written = time.time()
            if not consistent:
                continue
            with open(self.out_snap, "rb") as f:
                snap = f.read()
            return taken, {"kind": "snapshot", "snap": snap, "files": files,
                           "counts": snapshot_output_counts(snap, self.module_sha256),
                           "asked_at": asked,
                           "written_at": taken, "pause_seconds": written - taken,
                           "attempts": attempt + 1, "node": self.agent.index}
        return taken, None

    def _await_trigger(self, proc, members, asked, patience, sliced):
        """Until the app has taken the trigger (-> whether the group is frozen now: ``sliced``
        and the last SIGSTOP took), or ended, or ``patience`` ran out (-> None, the trigger
        removed, the group running). Sliced: the app runs only between two looks."""
        pgid = proc.pid
        frozen = False
        try:
            while True:
                if sliced:
                    procs.thaw(pgid)
                    time.sleep(SLICE_SECONDS)
                    frozen = procs.freeze(pgid, members)
                else:
                    time.sleep(0.001)
                if not os.path.lexists(self.trigger):
                    return frozen
                late = patience is not None and time.time() - asked > patience
                if proc.poll() is not None or self.stopped or late:
                    break
        except BaseException:
            procs.thaw(pgid)
            raise
        if os.path.lexists(self.trigger):
            os.remove(self.trigger)
        procs.thaw(pgid)
        return None

    def _ship(self, record):
        """Send a periodic snapshot off-node, after every output byte before it."""
        self.pump.reached(record["counts"], 10.0)
        self._flush()
        self._delivered()
        record["resumed_at"] = self.resumed_at
        if not self._call("checkpointed", self.app_id, self.run_id, record):
            self._stop_now()            # the controller moved the app elsewhere meanwhile

    def _confirm_restore(self):
        """Right after a restore: the first checkpoint tells when the app resumed (selfhost
        takes the trigger at its first safe point) and gives a snapshot proven restorable."""
        with self.capture_lock:
            # however long the restore takes, and unsliced not to slow it down
            taken, record = self._capture(patience=None, sliced=False)
            self.resumed_at = taken
            if record is not None:
                self._ship(record)
            elif taken is not None:
                self._call("resumed", self.app_id, self.run_id, taken)

    def _periodic(self):
        with self.capture_lock:
            _taken, record = self._capture()
            if record is not None:
                self._ship(record)

    def request_checkpoint(self, timeout):
        """A migration's checkpoint. Gives up (-> "timeout", the app runs on here) only before
        anything was done; once the app is stopped, it waits for the hand-over however long the
        run takes to deliver its output: the controller must get the snapshot."""
        if not self.continuous:
            with self.lock:
                if self.done:
                    return {"kind": "gone"}
                self.migrating = True
            try:
                return self.handoff.get(timeout=timeout)
            except queue.Empty:
                with self.lock:     # the run hands over under this lock: nothing in between
                    self.migrating = False
                    try:
                        return self.handoff.get_nowait()
                    except queue.Empty:
                        return {"kind": "timeout"}
        if not self.capture_lock.acquire(timeout=timeout):
            return {"kind": "timeout"}
        try:
            with self.lock:
                if self.done or self.proc is None:
                    return {"kind": "gone"}
                self.hold = True
            _taken, record = self._capture(retry=True)
            with self.lock:
                if record is None:
                    self.hold = False
                else:
                    self.limit = dict(record["counts"])
                    self.migration = record
            if record is not None:
                procs.kill(self.proc.pid)       # the next node runs it from the snapshot on
        finally:
            self.capture_lock.release()
        if record is None and not self.done and self.proc.poll() is None:
            return {"kind": "timeout"}
        return self.handoff.get()       # the run always puts its outcome (see _main)

    def discard(self):
        self._stop_now()
        deadline = time.time() + 10
        while not self.done and time.time() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.workdir, ignore_errors=True)
