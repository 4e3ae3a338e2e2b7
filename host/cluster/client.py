"""Client: a connection to a selfhost cluster's controller (what `selfhost cluster` commands use).

    c = Client()                        # the local cluster of `selfhost cluster start`
    c = Client("10.0.0.5:6379")         # an existing Ray cluster (its controller is created
                                        # on first use, with one node per runtime_R node)
    app_id = c.submit("app.wasm", ["x"], dirs=[("in", "data")], checkpoint_every=2)["app_id"]
    c.migrate(app_id, "1"); c.evacuate("0"); c.status()
    code = c.wait(app_id, output_dir="out")   # streams stdout/stderr, returns the exit code

Errors are host.errors': Failure (exit 1) for a request that failed, the controller's UserError
(unknown app id, dead node...); LaunchError (exit 2) for no cluster (none running, unreachable,
Ray missing).
"""
import os
import socket
import sys
import time

from ..errors import Failure, LaunchError
from ..runtimes import NAMES as RUNTIMES
from . import CONTROLLER_NAME, NAMESPACE, RUNTIME_RESOURCE
from . import local
from .controller import UserError
from .files import FilesError, pack_dirs, unpack_to

POLL_SECONDS = 0.3
RAY_MISSING = "Ray is not installed: pip install 'selfhost[cluster]' (or pip install ray)"


def import_ray():
    try:
        import ray
    except ImportError:
        raise LaunchError(RAY_MISSING) from None
    return ray


def is_loopback(host):
    return host in ("localhost", "::1") or host.startswith("127.")


def split_address(address):
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError("bad address %r: expected HOST:PORT" % address)
    return host.strip("[]"), int(port)


class Client:
    def __init__(self, address=None, say=None):
        self.say = say or (lambda message: None)
        self.ray, self.controller = self._connect(address)

    # --- connecting ---------------------------------------------------------------------------

    def _connect(self, address):
        if address is None:
            state = local.read_state()
            if state is None:
                raise LaunchError("no local cluster is running (start one with `selfhost "
                                   "cluster start --nodes wasmtime,node,wasmer`, or give "
                                   "--address)")
            target = state["address"]
            os.environ["RAY_TMPDIR"] = state["ray_tmp"]
        else:
            target = address
        try:
            host, port = split_address(target)
        except ValueError as e:
            raise Failure(str(e)) from None
        if is_loopback(host):
            os.environ.update(local.LOOPBACK_ENV)     # before Ray is imported
        try:
            socket.create_connection((host, port), timeout=3).close()
        except OSError as e:
            raise LaunchError("cannot reach the Ray cluster at %s: %s"
                              % (target, e.strerror or e)) from None
        ray = self.ray = import_ray()
        if not ray.is_initialized():
            ray.init(address=target, namespace=NAMESPACE, logging_level="ERROR",
                     log_to_driver=False)
        try:
            controller = ray.get_actor(CONTROLLER_NAME, namespace=NAMESPACE)
        except ValueError:
            if address is None:
                raise LaunchError("the local cluster has no controller (restart it: "
                                  "selfhost cluster stop; selfhost cluster start ...)") from None
            controller = self._join(ray)
        return ray, controller

    def _join(self, ray):
        """Create the controller on an existing Ray cluster (on this driver's node), with one
        node per Ray node that offers a runtime_R resource."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        from .controller import Controller
        found = []
        for n in ray.nodes():
            if not n.get("Alive"):
                continue
            resources = n.get("Resources") or {}
            runtimes = sorted(r[len("runtime_"):] for r in resources
                              if r.startswith("runtime_") and r[len("runtime_"):] in RUNTIMES)
            if not runtimes:
                continue
            pinned = [int(r[len("selfhost_node_"):]) for r in resources
                      if r.startswith("selfhost_node_") and r[len("selfhost_node_"):].isdigit()]
            found.append((pinned[0] if pinned else 1 << 30, n["NodeID"], runtimes[0]))
        if not found:
            raise Failure("no node of this Ray cluster offers a runtime (start its nodes "
                               "with ray start --resources '{\"%s\": 1}')"
                               % (RUNTIME_RESOURCE % "wasmtime"))
        specs = [{"index": i, "runtime": rt, "ray_node_id": node_id, "root": None}
                 for i, (_pin, node_id, rt) in enumerate(sorted(found))]
        self.say("joining the Ray cluster: %s" % ", ".join(
            "node %d %s" % (s["index"], s["runtime"]) for s in specs))
        here = ray.get_runtime_context().get_node_id()
        try:
            controller = ray.remote(Controller).options(
                name=CONTROLLER_NAME, namespace=NAMESPACE, lifetime="detached", num_cpus=0,
                max_concurrency=256, max_restarts=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False)).remote(
                    specs, False)
        except ValueError:              # another command created it meanwhile
            return ray.get_actor(CONTROLLER_NAME, namespace=NAMESPACE)
        self.call(controller.ready.remote(), timeout=300)
        return controller

    def close(self):
        self.ray.shutdown()

    # --- calls --------------------------------------------------------------------------------

    def call(self, ref, timeout=None):
        """ray.get, with the controller's UserError (and Ray's failures) as Failure."""
        ray = self.ray
        try:
            return ray.get(ref, timeout=timeout)
        except ray.exceptions.RayTaskError as e:
            cause = getattr(e, "cause", None)
            if isinstance(cause, UserError):
                raise Failure(str(cause)) from None
            lines = str(cause or e).strip().splitlines()
            raise Failure("the cluster failed: %s" % (lines[-1] if lines else e)) from None
        except ray.exceptions.RayActorError:
            raise LaunchError("the cluster's controller is gone (stop and start the cluster "
                              "again)") from None
        except ray.exceptions.GetTimeoutError:
            raise Failure("no answer from the cluster within %g s" % timeout) from None

    def call_with_progress(self, ref, app_ids):
        """Wait for ``ref``; meanwhile say each change of the apps' activity."""
        shown = {}
        while True:
            ready, _ = self.ray.wait([ref], timeout=POLL_SECONDS)
            if ready:
                return self.call(ref)
            for app_id, text in sorted(self.call(self.controller.activity.remote(
                    list(app_ids))).items()):
                if text and shown.get(app_id) != text:
                    self.say("%s: %s" % (app_id, text))
                    shown[app_id] = text

    # --- the operations -----------------------------------------------------------------------

    def submit(self, app, args=(), dirs=(), node=None, runtime=None, checkpoint_every=None,
               env=()):
        """Stage APP.wasm and copies of ``dirs`` ([(host, guest)]) and run it with the
        environment ``env`` (["K=V"]); -> {"app_id", "node", "runtime", "staged_bytes"}."""
        try:
            with open(app, "rb") as f:
                wasm = f.read()
        except OSError as e:
            raise Failure("%s: %s" % (app, e.strerror or e)) from None
        try:
            files = pack_dirs([host for host, _guest in dirs])
        except FilesError as e:
            raise Failure(str(e)) from None
        res = self.call(self.controller.submit.remote(
            wasm, os.path.basename(app), [str(a) for a in args], [g for _h, g in dirs], files,
            None if node is None else str(node), runtime, checkpoint_every, list(env)))
        return dict(res, staged_bytes=len(files))

    def status(self):
        return self.call(self.controller.status.remote())

    def migrate(self, app_id, to):
        self.call(self.controller.check_migrate.remote(app_id, str(to)))   # refused: one line
        self.say("%s: migrating to node %s" % (app_id, to))
        return self.call_with_progress(self.controller.migrate.remote(app_id, str(to)),
                                       [app_id])

    def evacuate(self, node):
        on_node = [a["id"] for a in self.status()["apps"]
                   if str(a["node"]) == str(node) and a["state"] == "running"]
        self.call(self.controller.check_node.remote(str(node)))    # refused: one line
        self.say("evacuating node %s: %d app(s)" % (node, len(on_node)))
        return self.call_with_progress(self.controller.evacuate.remote(str(node)), on_node)

    def wait(self, app_id, output_dir=None, timeout=None, stdout=None, stderr=None):
        """Stream the app's stdout/stderr (binary streams; default this process's) until it
        ends; copy its final directories to ``output_dir``; -> its exit code."""
        stdout = stdout or sys.stdout.buffer
        stderr = stderr or sys.stderr.buffer
        t0 = time.time()
        pos = [0, 0]
        shown = None
        while True:
            r = self.call(self.controller.read_output.remote(app_id, pos[0], pos[1]))
            for i, (key, stream) in enumerate((("out", stdout), ("err", stderr))):
                if r[key]:
                    stream.write(r[key])
                    stream.flush()
                    pos[i] += len(r[key])
            if r["done"] and r["complete"]:
                break
            if r["state"] in ("restarting", "stalled") and r["activity"] != shown:
                self.say("%s: %s" % (app_id, r["activity"] or r["state"]))
                shown = r["activity"]
            if timeout and time.time() - t0 > timeout:
                raise Failure("%s did not end within %g s (it is %s)" % (app_id, timeout,
                                                                               r["state"]))
            time.sleep(POLL_SECONDS)
        if r["state"] == "failed":
            raise Failure("%s failed: %s" % (app_id, r["error"]))
        if output_dir:
            got = self.call(self.controller.final_files.remote(app_id))
            os.makedirs(output_dir, exist_ok=True)
            try:
                paths = unpack_to(got["files"], got["guests"], output_dir)
            except FilesError as e:
                raise Failure(str(e)) from None
            self.say("%s: final files in %s" % (app_id, ", ".join(paths) or "(no directories)"))
        return r["exit_code"]
