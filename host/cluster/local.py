"""A local Ray cluster for trying and testing: several Ray nodes on this machine, loopback only.

    start(runtimes, timeout, say) -> state     (`selfhost cluster start`: starts the daemon)
    stop(state)                                (`selfhost cluster stop`)
    python -m host.cluster.local CONFIG_JSON   (the daemon itself)

The daemon holds a ray.cluster_utils.Cluster (the way Ray tests itself): a head node (GCS, the
controller actor, no runtime) and one Ray node per entry of --nodes, each offering its runtime
({"runtime_R": 1}) and its index ({"selfhost_node_N": 1}), each with its own work root
STATE_DIR/nodes/nodeN. It writes STATE_DIR/state.json once everything is up, then waits for
SIGTERM (`selfhost cluster stop`) to shut the cluster down. If the daemon dies, Ray's processes
die with it (Ray's kernel fate-sharing). The daemon is a child subreaper, so every process of
the cluster stays below it in the process tree (`descendants`), orphans included.

Loopback: Ray binds and advertises the address it takes for "this node". LOOPBACK_ENV makes
every Ray process (this daemon, the raylets and workers it starts, each CLI driver) take
127.0.0.1 for it: with it, Ray's get_node_ip_address() returns the loopback address instead of
the machine's interface address, and that is also what ray.init() turns a "127.0.0.1:PORT"
address into (why node_ip_address="127.0.0.1" alone left drivers dialing the GCS on the
interface address). node_ip_address="127.0.0.1" on every node is given too, and
the dashboard is off. tests/cluster/test_cluster.py checks every listening socket of the
cluster's processes.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from ..errors import Failure, LaunchError
from ..runtimes.base import ROOT
from . import HEAD_RESOURCE, NODE_RESOURCE, RUNTIME_RESOURCE, NAMESPACE, CONTROLLER_NAME

LOOPBACK = "127.0.0.1"
# Ray reads this when it is imported: "0" = single-machine mode, the node IP is the loopback one.
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
OBJECT_STORE_BYTES = 100 * 1024 * 1024
# Notice a killed node within a few seconds (Ray's defaults take tens of seconds).
PR_SET_CHILD_SUBREAPER = 36
# Ray nices its workers to 15, and the apps are the agents' children: give them the priority of
# any other program on the machine (under load, niced apps restored 2-3 times slower).
WORKER_NICENESS = {"worker_niceness": 0}
HEALTH_CHECK = {"health_check_initial_delay_ms": 1000, "health_check_period_ms": 1000,
                "health_check_timeout_ms": 1000, "health_check_failure_threshold": 3}


def state_dir():
    """Where the local cluster keeps its state: $SELFHOST_CLUSTER_DIR, or
    ~/.cache/selfhost/cluster."""
    path = os.environ.get("SELFHOST_CLUSTER_DIR")
    if path:
        return os.path.abspath(path)
    return os.path.join(os.path.expanduser("~"), ".cache", "selfhost", "cluster")


def state_path(directory=None):
    return os.path.join(directory or state_dir(), "state.json")


def read_state(directory=None):
    """The running local cluster's state, or None (no file, or its daemon is gone)."""
    try:
        with open(state_path(directory)) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not pid_alive(state.get("pid")):
        return None
    return state


def pid_alive(pid):
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:                                # a zombie is not alive
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


STOP_SECONDS = 120


def start(runtimes, timeout, say):
    """Start the daemon of a local cluster with one node per entry of ``runtimes``; ``say``
    each step of its progress; -> its state once it is up. Raises Failure / LaunchError."""
    state = read_state()
    if state is not None:
        raise Failure("a local cluster is already running at %s (pid %d): selfhost cluster "
                      "stop first" % (state["address"], state["pid"]))
    directory = state_dir()
    os.makedirs(directory, exist_ok=True)
    config = {"nodes": list(runtimes), "state_dir": directory,
              "ray_tmp": tempfile.mkdtemp(prefix="shray-", dir="/tmp")}
    log_path = os.path.join(directory, "daemon.log")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    t0 = time.time()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "host.cluster.local", json.dumps(config)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env, cwd=directory)
    say("starting a local cluster: %s (log: %s)" % (", ".join(
        "node %d %s" % (i, r) for i, r in enumerate(runtimes)), log_path))
    seen = 0
    while True:
        lines = _read_lines(log_path)
        for line in lines[seen:]:
            if line.startswith("progress: ") and line != "progress: ready":
                say("cluster: " + line[len("progress: "):])
            elif line.startswith("error: "):
                proc.wait(timeout=STOP_SECONDS)
                raise LaunchError("the cluster did not start: %s (log: %s)"
                                  % (line[len("error: "):], log_path))
        seen = len(lines)
        if "progress: ready" in lines:
            return read_state()
        if proc.poll() is not None:
            raise LaunchError("the cluster daemon exited with code %d (log: %s)"
                              % (proc.returncode, log_path))
        if time.time() - t0 > timeout:
            stop_daemon(proc.pid, 60)
            raise LaunchError("the cluster did not start within %g s (log: %s)"
                              % (timeout, log_path))
        time.sleep(0.2)


def _read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return [line.rstrip("\n") for line in f]
    except OSError:
        return []


def stop(state):
    """Stop the local cluster of ``state`` (its daemon shuts Ray down and removes its files)."""
    if not stop_daemon(state["pid"], STOP_SECONDS):
        raise Failure("the cluster daemon did not stop within %d s: killed it" % STOP_SECONDS)


def stop_daemon(pid, timeout):
    """SIGTERM the daemon, SIGKILL it after ``timeout`` s. -> whether it stopped by itself."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return False


def head_args():
    return {"node_ip_address": LOOPBACK, "num_cpus": 0, "include_dashboard": False,
            "resources": {HEAD_RESOURCE: 1}, "object_store_memory": OBJECT_STORE_BYTES,
            "_system_config": dict(HEALTH_CHECK, **WORKER_NICENESS)}


def node_args(index, runtime):
    return {"node_ip_address": LOOPBACK, "num_cpus": 0, "object_store_memory": OBJECT_STORE_BYTES,
            "resources": {RUNTIME_RESOURCE % runtime: 1, NODE_RESOURCE % index: 1}}


def _progress(message):
    sys.stdout.write("progress: %s\n" % message)
    sys.stdout.flush()


def run_daemon(config):
    """Start the cluster described by ``config`` and keep it until SIGTERM."""
    become_subreaper()
    os.environ.update(LOOPBACK_ENV)
    os.environ["RAY_TMPDIR"] = config["ray_tmp"]
    directory = config["state_dir"]
    stop = []
    t0 = time.time()
    import ray
    from ray.cluster_utils import Cluster
    from .controller import Controller
    _progress("starting the Ray head node on %s" % LOOPBACK)
    cluster = Cluster(initialize_head=True, head_node_args=head_args())
    code = 0
    try:
        specs = []
        for i, runtime in enumerate(config["nodes"]):
            _progress("starting node %d (%s)" % (i, runtime))
            root = os.path.join(directory, "nodes", "node%d" % i)
            os.makedirs(root, exist_ok=True)
            cluster.add_node(**node_args(i, runtime))
            specs.append({"index": i, "runtime": runtime, "root": root})
        ray.init(address=cluster.address, namespace=NAMESPACE, logging_level="ERROR",
                 log_to_driver=False)
        if config.get("controller", True):
            _progress("starting the controller and one agent per node")
            options = {"name": CONTROLLER_NAME, "namespace": NAMESPACE, "lifetime": "detached",
                       "num_cpus": 0, "resources": {HEAD_RESOURCE: 1}, "max_concurrency": 256,
                       "max_restarts": 0}
            controller = ray.remote(Controller).options(**options).remote(specs, True)
            nodes = ray.get(controller.ready.remote(), timeout=300)
        else:               # a bare Ray cluster, for `--address` (tests of joining one)
            nodes = [dict(s, alive=True) for s in specs]
        ray.shutdown()
        bad = [n for n in nodes if not n["alive"]]
        if bad:
            raise RuntimeError("node %d: %s" % (bad[0]["index"], bad[0]["death"]))
        # ray.init() installed its own SIGTERM handler (sys.exit): ours shuts down cleanly
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        signal.signal(signal.SIGINT, lambda *_: stop.append(1))
        state = {"address": cluster.address, "pid": os.getpid(), "ray_tmp": config["ray_tmp"],
                 "nodes": nodes, "started_at": t0, "startup_seconds": time.time() - t0,
                 "state_dir": directory}
        tmp = state_path(directory) + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1)
        os.replace(tmp, state_path(directory))
        _progress("ready")
        while not stop:
            time.sleep(0.2)
            reap()
        _progress("stopping")
    except BaseException as e:
        sys.stdout.write("error: %s\n" % (str(e).strip().splitlines() or [type(e).__name__])[-1])
        sys.stdout.flush()
        code = 1
    finally:
        shutdown(cluster, config["ray_tmp"], directory)
    return code


def shutdown(cluster, ray_tmp, directory):
    """Stop every process of the cluster: Ray's own shutdown, then whatever is left below this
    daemon (Ray leaves a node's agents behind when its raylet was killed)."""
    import ray
    try:
        ray.shutdown()
    except Exception:
        pass
    try:
        cluster.shutdown()
    except Exception as e:
        sys.stdout.write("warning: Ray shutdown: %s\n" % e)
    kill_leftovers()
    try:
        os.remove(state_path(directory))
    except OSError:
        pass
    shutil.rmtree(os.path.join(directory, "nodes"), ignore_errors=True)
    shutil.rmtree(ray_tmp, ignore_errors=True)
    sys.stdout.write("progress: stopped\n")
    sys.stdout.flush()


def become_subreaper():
    """Linux: orphaned descendants (a killed node's agents) become our children, not init's, so
    that descendants() still finds them. Best effort."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def descendants(pid):
    """Every process below ``pid`` in the process tree (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def reap():
    """Collect the exit status of finished children (orphans re-parented to us included)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_leftovers():
    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    time.sleep(0.2)
    reap()


if __name__ == "__main__":
    sys.exit(run_daemon(json.loads(sys.argv[1])))
