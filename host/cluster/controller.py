"""Controller: the cluster's state, in one detached named Ray actor.

`selfhost cluster submit/status/migrate/evacuate/wait` run as separate processes; each finds
this actor by name (CONTROLLER_NAME in NAMESPACE) and asks it. It owns:
- nodes: index, runtime, Ray node id, the NodeAgent actor, alive or dead;
- apps: placement (node, run number), state, moves (migrations, evacuations, restarts) with
  their downtime, the output streams (streams.Stream), the exit code and final files;
- snapshots: the latest one of each app (snapshot bytes + a tarball of its files), put into the
  object store by this actor, so their owner outlives every runtime node; on the head node in
  a local cluster. A snapshot is only replaced by a newer one of the same app (which exists only
  once its restore succeeded) and dropped when the app has ended.
Submission counts as snapshot 0 (no snapshot: start fresh from the submitted files).

Failure: a monitor thread watches every node (Ray's node table and a ping of its agent). When
one dies, each app on it restarts from its latest snapshot on the least loaded live node.
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import NODE_RESOURCE, RUNTIME_RESOURCE, NAMESPACE
from .streams import Stream

MONITOR_SECONDS = 0.5
CHECKPOINT_TIMEOUT = 300.0       # for the app to reach a checkpoint the node can take
LAUNCH_TIMEOUT = 120.0
RESTORE_ATTEMPTS = 3
LIVE_STATES = ("running", "migrating")


class UserError(Exception):
    """A request that cannot be served (unknown app, dead node...): one line for the CLI."""


class AppEnded(UserError):
    """The app ended before it could be checkpointed (nothing left to move)."""


def _ray():
    import ray
    return ray


class Node:
    def __init__(self, index, runtime, root, ray_node_id=None):
        self.index = index
        self.runtime = runtime
        self.root = root
        self.ray_node_id = ray_node_id
        self.agent = None
        self.info = {}
        self.alive = True
        self.died_at = None
        self.death = None

    def label(self):
        return "node %d (%s)" % (self.index, self.runtime)

    def view(self, load):
        return {"index": self.index, "runtime": self.runtime, "alive": self.alive,
                "ray_node_id": self.ray_node_id, "apps": load, "root": self.info.get("root"),
                "address": self.info.get("ip"), "raylet_pid": self.info.get("raylet_pid"),
                "agent_pid": self.info.get("pid"), "died_at": self.died_at, "death": self.death}


class Snapshot:
    """An app's restart point: gen 0 is the submission (no snapshot, the submitted files)."""

    def __init__(self, gen, snap_ref, files_ref, counts, written_at, size=0, node=None):
        self.gen = gen
        self.snap_ref = snap_ref
        self.files_ref = files_ref
        self.counts = counts
        self.written_at = written_at
        self.size = size
        self.node = node


class App:
    def __init__(self, app_id, name, wasm_ref, args, guests, every, files_ref, env=()):
        self.id = app_id
        self.env = list(env)
        self.name = name
        self.wasm_ref = wasm_ref
        self.args = args
        self.guests = guests
        self.every = every
        self.state = "starting"
        self.node = None
        self.run = 0
        self.snapshot = Snapshot(0, None, files_ref, {1: 0, 2: 0}, time.time())
        self.moves = []
        self.out = {1: Stream(), 2: Stream()}
        self.seen = {}              # run -> {fd: end offset seen}
        self.last_output_at = {}    # run -> wall time
        self.segments = []          # stdout bytes between consecutive snapshots
        self.snapshot_log = []      # (gen, written_at, stdout offset) of every snapshot kept
        self.checkpoints = 0
        self.exit_code = None
        self.end_counts = None
        self.final_files_ref = None
        self.error = None
        self.activity = ""
        self.submitted_at = time.time()
        self.finished_at = None
        self.restore_failures = 0

    def view(self, nodes):
        node = nodes[self.node] if self.node is not None else None
        return {"id": self.id, "name": self.name, "args": self.args, "state": self.state,
                "node": self.node, "runtime": node.runtime if node else None,
                "run": self.run, "moves": [dict(m) for m in self.moves],
                "migrations": sum(1 for m in self.moves if m["kind"] != "restart"),
                "restarts": sum(1 for m in self.moves if m["kind"] == "restart"),
                "last_downtime": next((m["downtime"] for m in reversed(self.moves)
                                       if m.get("downtime") is not None), None),
                "checkpoint_every": self.every, "checkpoints": self.checkpoints,
                "snapshot": {"gen": self.snapshot.gen, "bytes": self.snapshot.size,
                             "written_at": self.snapshot.written_at,
                             "stdout_offset": self.snapshot.counts[1]} if self.snapshot else None,
                "segments_stdout_bytes": list(self.segments),
                "snapshot_log": [list(e) for e in self.snapshot_log],
                "stdout_bytes": self.out[1].contiguous(), "stderr_bytes": self.out[2].contiguous(),
                "exit_code": self.exit_code, "error": self.error, "activity": self.activity,
                "submitted_at": self.submitted_at, "finished_at": self.finished_at}


class Controller:
    """The detached actor (threaded: max_concurrency > 1). ``node_specs``: [{"index", "runtime",
    "root", "ray_node_id"}]; ``local``: the nodes carry NODE_RESOURCE (a local cluster), else
    agents are pinned by node affinity."""

    def __init__(self, node_specs, local=True, wasmer_segment=None):
        ray = _ray()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        from .agent import NodeAgent
        self.lock = threading.RLock()
        self.nodes = [Node(s["index"], s["runtime"], s.get("root"), s.get("ray_node_id"))
                      for s in node_specs]
        self.apps = {}
        self.counter = 0
        agent_cls = ray.remote(NodeAgent)
        for node in self.nodes:
            resources = {RUNTIME_RESOURCE % node.runtime: 1}
            options = {"num_cpus": 0, "max_concurrency": 256, "max_restarts": 0,
                       "name": "selfhost-node-%d" % node.index, "namespace": NAMESPACE}
            if local:
                resources[NODE_RESOURCE % node.index] = 1
            else:
                options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(
                    node.ray_node_id, soft=False)
            args = (node.index, node.runtime, node.root)
            if wasmer_segment:
                args += (wasmer_segment,)
            node.agent = agent_cls.options(resources=resources, **options).remote(*args)
        for node in self.nodes:
            try:
                node.info = ray.get(node.agent.info.remote(), timeout=LAUNCH_TIMEOUT)
                node.ray_node_id = node.info["node_id"]
                if node.info.get("problem"):
                    node.alive = False
                    node.death = "cannot run %s there: %s" % (node.runtime,
                                                               node.info["problem"])
            except Exception as e:
                node.alive = False
                node.death = "agent did not start: %s" % _one_line(e)
        self.pool = ThreadPoolExecutor(max_workers=32)
        threading.Thread(target=self._monitor, name="monitor", daemon=True).start()

    # --- queries ------------------------------------------------------------------------------

    def ready(self):
        return [n.view(0) for n in self.nodes]

    def _load(self, index):
        return sum(1 for a in self.apps.values() if a.node == index and a.state in LIVE_STATES)

    def status(self):
        try:                    # what Ray itself advertises for each node
            table = {n["NodeID"]: n for n in _ray().nodes()}
        except Exception:
            table = {}
        with self.lock:
            nodes = [n.view(self._load(n.index)) for n in self.nodes]
            for view in nodes:
                entry = table.get(view["ray_node_id"]) or {}
                view["node_manager_address"] = entry.get("NodeManagerAddress")
                view["ray_alive"] = entry.get("Alive")
            return {"nodes": nodes, "apps": [a.view(self.nodes) for a in self.apps.values()]}

    def _app(self, app_id):
        app = self.apps.get(app_id)
        if app is None:
            known = ", ".join(self.apps) or "none"
            raise UserError("unknown app id %s (known: %s)" % (app_id, known))
        return app

    def resolve_node(self, text):
        """A node by index ("1") or by (a unique prefix of, 8+ digits) its Ray node id."""
        text = str(text).strip()
        if text.isdigit():
            index = int(text)
            if index < len(self.nodes):
                return self.nodes[index]
        elif len(text) >= 8:
            found = [n for n in self.nodes if n.ray_node_id and n.ray_node_id.startswith(text)]
            if len(found) == 1:
                return found[0]
        raise UserError("unknown node %s (nodes: %s)" % (text, ", ".join(
            "%d %s" % (n.index, n.runtime) for n in self.nodes)))

    def _pick(self, exclude=(), runtime=None):
        """The least loaded live node (lowest index on ties), or None."""
        best = None
        for node in self.nodes:
            if not node.alive or node.index in exclude:
                continue
            if runtime is not None and node.runtime != runtime:
                continue
            key = (self._load(node.index), node.index)
            if best is None or key < best[0]:
                best = (key, node)
        return best[1] if best else None

    # --- submit -------------------------------------------------------------------------------

    def submit(self, wasm, name, args, guests, files, node=None, runtime=None, every=None,
               env=()):
        ray = _ray()
        with self.lock:
            if node is not None:
                target = self.resolve_node(node)
                if not target.alive:
                    raise UserError("%s is dead" % target.label())
                if runtime is not None and target.runtime != runtime:
                    raise UserError("%s runs %s, not %s" % (target.label(), target.runtime,
                                                            runtime))
            else:
                if runtime is not None and not any(n.runtime == runtime for n in self.nodes):
                    raise UserError("no node offers the runtime %s (nodes: %s)" % (
                        runtime, ", ".join("%d %s" % (n.index, n.runtime) for n in self.nodes)))
                target = self._pick(runtime=runtime)
                if target is None:
                    raise UserError("no live node%s" % (" offers " + runtime if runtime else ""))
            self.counter += 1
            app = App("app-%d" % self.counter, name, ray.put(bytes(wasm)), list(args),
                      list(guests), every, ray.put(bytes(files)), env)
            self.apps[app.id] = app
        self._launch(app, target)
        return {"app_id": app.id, "node": target.index, "runtime": target.runtime}

    # --- placement ----------------------------------------------------------------------------

    def _launch(self, app, target, move=None, exclude=()):
        """Run ``app`` on ``target`` from its latest snapshot; on a dead target try the next."""
        ray = _ray()
        while True:
            with self.lock:
                app.run += 1
                run = app.run
                app.node = target.index
                app.state = "running"
                app.activity = "starting on %s" % target.label()
                snap = app.snapshot
                if move is not None:
                    move["to"] = target.index
                    move["to_runtime"] = target.runtime
                    move["run"] = run
                spec = {"app_id": app.id, "run": run, "name": app.name, "args": app.args,
                        "guests": app.guests, "checkpoint_every": app.every, "env": app.env,
                        "counts": dict(snap.counts)}
            try:
                # no timeout: a launch given up on could still start, and run the app twice
                ray.get(target.agent.launch.remote(spec, app.wasm_ref, snap.files_ref,
                                                   snap.snap_ref))
                with self.lock:
                    if app.run == run:
                        app.activity = "running on %s" % target.label()
                    if move is not None:
                        move["launched_at"] = time.time()
                return True
            except Exception as e:
                dead = self._agent_dead(e)
                if dead:
                    # its node died: _node_died restarts every app placed there, unless the
                    # node was found dead before this app was placed on it
                    self._node_died(target.index, "died while starting %s" % app.id)
                with self.lock:
                    if dead and not (app.run == run and app.state in LIVE_STATES):
                        return False
                    if not dead:
                        app.error = "cannot start on %s: %s" % (target.label(), _one_line(e))
                    exclude = tuple(exclude) + (target.index,)
                    nxt = self._pick(exclude=exclude)
                    if nxt is None:
                        app.state = "stalled" if dead else "failed"
                        app.error = app.error if not dead else "no live node to run on"
                        app.activity = ""
                        return False
                    target = nxt

    def migrate(self, app_id, to, kind="migrate"):
        """Move a running app to node ``to``: checkpoint it on its node, put the snapshot and its
        files into the object store, restore it on the target with the target's runtime."""
        ray = _ray()
        with self.lock:
            app, source, target = self._movable(app_id, to)
            run = app.run
            app.state = "migrating"
            app.activity = "checkpointing on %s%s" % (source.label(), (
                " (wasmer: at its next periodic checkpoint)" if source.runtime == "wasmer" else ""))
        asked = time.time()
        try:
            # no timeout here: the agent bounds its wait, and a stopped app must be handed over
            res = ray.get(source.agent.checkpoint.remote(app_id, run, CHECKPOINT_TIMEOUT))
        except Exception as e:
            if self._agent_dead(e) or _is_lost(e):
                self._node_died(source.index, "died during the migration of %s" % app_id)
                raise UserError("%s died during the migration: %s restarted from its latest "
                                "snapshot" % (source.label(), app_id)) from None
            self._unmigrate(app, run)
            raise UserError("checkpoint of %s failed: %s" % (app_id, _one_line(e))) from None
        if res["kind"] == "exited":
            raise AppEnded("%s ended (exit code %s) on %s before it was checkpointed"
                            % (app_id, res["rc"], source.label()))
        if res["kind"] != "snapshot":
            self._unmigrate(app, run)
            raise UserError("no checkpoint of %s on %s (%s)" % (app_id, source.label(),
                                                              res["kind"]))
        with self.lock:
            if app.run != run:
                raise UserError("%s was restarted elsewhere during the migration" % app_id)
            self._resumed(app, run, res.get("resumed_at"))
            self._keep_snapshot(app, res)
            if app.state != "migrating":        # its node died just after the checkpoint
                raise UserError("%s died during the migration: %s restarts from the snapshot "
                                "just taken" % (source.label(), app_id))
            move = {"kind": kind, "from": source.index, "from_runtime": source.runtime,
                    "to": target.index, "to_runtime": target.runtime, "asked_at": asked,
                    "written_at": res["written_at"], "stopped_at": res.get("stopped_at"),
                    "checkpoint_seconds": res["written_at"] - asked,
                    "snapshot_bytes": len(res["snap"]), "files_bytes": len(res["files"]),
                    "snapshot_gen": app.snapshot.gen, "attempts": res.get("attempts", 1),
                    "resumed_at": None, "downtime": None}
            app.moves.append(move)
            app.activity = "restoring on %s" % target.label()
        if not target.alive:
            target = self._pick(exclude=(source.index,)) or target
        self._launch(app, target, move, exclude=(source.index,))
        return dict(move)

    def _movable(self, app_id, to):
        """(app, its node, node ``to``) for a migration, or the UserError that refuses it."""
        app = self._app(app_id)
        target = self.resolve_node(to)
        if app.state == "migrating":
            raise UserError("%s is being migrated already" % app_id)
        if app.state != "running":
            error = AppEnded if app.state in ("finished", "failed") else UserError
            raise error("%s is %s, not running" % (app_id, app.state))
        if not target.alive:
            raise UserError("%s is dead" % target.label())
        source = self.nodes[app.node]
        if target.index == source.index:
            raise UserError("%s already runs on %s" % (app_id, target.label()))
        return app, source, target

    def check_migrate(self, app_id, to):
        """Raise the UserError that `migrate` would raise now, if any (the CLI says what it
        is about to do only for a request that is not refused)."""
        with self.lock:
            self._movable(app_id, to)

    def check_node(self, text):
        """The index of node ``text``, or the UserError that names the known nodes."""
        with self.lock:
            return self.resolve_node(text).index

    def _unmigrate(self, app, run):
        with self.lock:
            if app.run == run and app.state == "migrating":
                app.state = "running"
                app.activity = "running on %s" % self.nodes[app.node].label()

    def evacuate(self, node):
        """Migrate every app off ``node`` to the least loaded other live nodes, in parallel."""
        with self.lock:
            source = self.resolve_node(node)
            if not source.alive:
                raise UserError("%s is dead" % source.label())
            apps = [a for a in self.apps.values() if a.node == source.index and a.state ==
                    "running"]
            plan = []
            planned = {}
            for app in apps:
                best = None
                for n in self.nodes:
                    if n.alive and n.index != source.index:
                        key = (self._load(n.index) + planned.get(n.index, 0), n.index)
                        if best is None or key < best[0]:
                            best = (key, n)
                if best is None:
                    raise UserError("no other live node to evacuate %s to" % source.label())
                planned[best[1].index] = planned.get(best[1].index, 0) + 1
                plan.append((app.id, best[1].index))
        futures = [(app_id, to, self.pool.submit(self.migrate, app_id, str(to), "evacuate"))
                   for app_id, to in plan]
        moved, ended, errors = [], [], []
        for app_id, to, fut in futures:
            try:
                moved.append(dict(fut.result(), app=app_id))
            except AppEnded:
                ended.append({"app": app_id, "exit_code": self.apps[app_id].exit_code})
            except Exception as e:
                errors.append({"app": app_id, "error": _one_line(e)})
        return {"node": source.index, "moved": moved, "ended": ended, "errors": errors}

    # --- reports from the agents --------------------------------------------------------------

    def output(self, app_id, run, chunks):
        with self.lock:
            app = self.apps.get(app_id)
            if app is None:
                return
            seen = app.seen.setdefault(run, {1: 0, 2: 0})
            for fd, offset, data in chunks:
                app.out[fd].add(offset, data, run)
                seen[fd] = max(seen[fd], offset + len(data))
            app.last_output_at[run] = time.time()

    def checkpointed(self, app_id, run, record):
        """A periodic checkpoint from the app's node; False tells the node to stop the run."""
        with self.lock:
            app = self.apps.get(app_id)
            if app is None or app.run != run or app.state not in LIVE_STATES:
                return False
            self._keep_snapshot(app, record)
            self._resumed(app, run, record.get("resumed_at"))
            return True

    def resumed(self, app_id, run, resumed_at):
        """The run ``run`` resumed from its snapshot at ``resumed_at`` (wall clock)."""
        with self.lock:
            app = self.apps.get(app_id)
            if app is not None and app.run == run:
                self._resumed(app, run, resumed_at)

    def finished(self, app_id, run, report):
        ray = _ray()
        with self.lock:
            app = self.apps.get(app_id)
            if app is None or app.run != run:
                return False
            if report.get("restore_failed"):
                app.out[1].drop_run(run)
                app.out[2].drop_run(run)
                app.restore_failures += 1
                node = self.nodes[report["node"]]
                app.error = "restore on %s failed: %s" % (node.label(), report.get("error"))
                nxt = None
                if app.restore_failures < RESTORE_ATTEMPTS:
                    nxt = self._pick(exclude=(node.index,)) or self._pick()
                if nxt is None:
                    app.state = "failed"
                    app.activity = ""
                    return True
                move = {"kind": "restart", "from": node.index, "from_runtime": node.runtime,
                        "reason": "restore failed", "snapshot_gen": app.snapshot.gen,
                        "detected_at": time.time(), "resumed_at": None, "downtime": None}
                app.moves.append(move)
            else:
                self._resumed(app, run, report.get("resumed_at"))
                app.state = "finished"
                app.activity = ""
                app.exit_code = report["rc"]
                app.end_counts = {int(k): v for k, v in report["counts"].items()}
                app.final_files_ref = ray.put(report["files"])
                app.finished_at = report.get("ended_at") or time.time()
                app.snapshot = None         # ended: nothing left to restart from
                holes = app.out[1].holes(app.end_counts[1]) + app.out[2].holes(app.end_counts[2])
                if holes:
                    app.error = "output has holes at %s" % holes
                return True
        self.pool.submit(self._launch, app, nxt, move, (report["node"],))
        return True

    def run_failed(self, app_id, run, message):
        with self.lock:
            app = self.apps.get(app_id)
            if app is not None and app.run == run:
                app.state = "failed"
                app.error = message
                app.activity = ""

    def _keep_snapshot(self, app, record):
        ray = _ray()
        counts = {int(k): int(v) for k, v in record["counts"].items()}
        app.segments.append(counts[1] - app.snapshot.counts[1])
        app.snapshot = Snapshot(app.snapshot.gen + 1, ray.put(record["snap"]),
                                ray.put(record["files"]), counts, record["written_at"],
                                len(record["snap"]), record.get("node"))
        app.checkpoints += 1
        app.snapshot_log.append((app.snapshot.gen, app.snapshot.written_at, counts[1]))

    def _resumed(self, app, run, resumed_at):
        """The run ``run`` resumed at ``resumed_at``: complete its move's downtime."""
        if resumed_at is None:
            return
        for move in reversed(app.moves):
            if move.get("run") == run and move.get("resumed_at") is None:
                move["resumed_at"] = resumed_at
                start = move.get("written_at") or move.get("detected_at")
                if start is not None:
                    move["downtime"] = resumed_at - start
                break

    # --- reading an app's results -------------------------------------------------------------

    def read_output(self, app_id, out_pos, err_pos):
        with self.lock:
            app = self._app(app_id)
            done = app.state in ("finished", "failed")
            out, err = app.out[1].read(out_pos), app.out[2].read(err_pos)
            complete = (app.state == "finished" and app.end_counts is not None and
                        out_pos + len(out) >= app.end_counts[1] and
                        err_pos + len(err) >= app.end_counts[2])
            return {"out": out, "err": err, "state": app.state, "done": done,
                    "complete": complete or app.state == "failed", "exit_code": app.exit_code,
                    "error": app.error, "activity": app.activity}

    def final_files(self, app_id):
        ray = _ray()
        with self.lock:
            app = self._app(app_id)
            if app.state != "finished":
                raise UserError("%s is %s: no final files" % (app_id, app.state))
            ref = app.final_files_ref
            guests = list(app.guests)
        return {"files": ray.get(ref), "guests": guests}

    def activity(self, app_ids):
        with self.lock:
            return {a: self.apps[a].activity for a in app_ids if a in self.apps}

    # --- failures -----------------------------------------------------------------------------

    def _monitor(self):
        ray = _ray()
        while True:
            time.sleep(MONITOR_SECONDS)
            try:
                alive = {n["NodeID"] for n in ray.nodes() if n.get("Alive")}
            except Exception:
                continue
            for node in list(self.nodes):
                if node.alive and node.ray_node_id and node.ray_node_id not in alive:
                    self._node_died(node.index, "Ray reports the node dead")
            live = [n for n in self.nodes if n.alive]
            if not live:
                continue
            refs = {n.agent.ping.remote(): n for n in live}
            ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=5.0)
            for ref in ready:
                try:
                    ray.get(ref)
                except Exception as e:
                    if self._agent_dead(e):
                        self._node_died(refs[ref].index, "its agent died")

    @staticmethod
    def _agent_dead(error):
        ray = _ray()
        return isinstance(error, (ray.exceptions.RayActorError,
                                  ray.exceptions.ActorUnavailableError))

    def _node_died(self, index, reason):
        with self.lock:
            node = self.nodes[index]
            if not node.alive:
                return
            node.alive = False
            node.died_at = time.time()
            node.death = reason
            victims = [a for a in self.apps.values() if a.node == index and
                       a.state in LIVE_STATES + ("starting",)]
            moves = []
            for app in victims:
                seen = app.seen.get(app.run, {1: 0, 2: 0})
                snap = app.snapshot
                last = app.last_output_at.get(app.run)
                move = {"kind": "restart", "from": index, "from_runtime": node.runtime,
                        "reason": "%s %s" % (node.label(), reason), "detected_at": node.died_at,
                        "snapshot_gen": snap.gen, "snapshot_written_at": snap.written_at,
                        "last_output_at": last,
                        "redone_stdout_bytes": max(0, seen[1] - snap.counts[1]),
                        "redone_seconds_max": (max(0.0, last - snap.written_at)
                                               if last is not None else None),
                        "resumed_at": None, "downtime": None}
                app.moves.append(move)
                app.state = "restarting"
                app.activity = "restarting from snapshot %d (%s died)" % (snap.gen,
                                                                           node.label())
                moves.append((app, move))
        for app, move in moves:
            self.pool.submit(self._restart, app, move, index)

    def _restart(self, app, move, dead):
        with self.lock:
            target = self._pick(exclude=(dead,))
            if target is None:
                app.state = "stalled"
                app.error = "no live node to restart on"
                app.activity = ""
                return
        self._launch(app, target, move, exclude=(dead,))


def _is_lost(error):
    ray = _ray()
    return isinstance(error, (ray.exceptions.ObjectLostError, ray.exceptions.OwnerDiedError))


def _one_line(error):
    text = str(error).strip().splitlines()
    return text[-1] if text else type(error).__name__
