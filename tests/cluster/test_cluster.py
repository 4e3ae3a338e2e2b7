"""`selfhost cluster` on a local 3-node Ray cluster (wasmtime, node, wasmer), through its CLI.

One cluster for the module (starting one takes tens of seconds); the tests run in file order
and the last one kills a node. The app is tests/cluster/apps/ledger.c (memory state, a file it
appends to, stdout, stderr), built here with zig; the reference for every comparison is an
uninterrupted run of the same app under wasmtime itself (its output does not depend on the
sleep per step, so the reference sleeps 0 ms). Measured times are printed (pytest -s) and
written to tests/.cache/cluster/timings.json.
"""
import importlib.util
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

if importlib.util.find_spec("ray") is None:      # (not imported here: see Client)
    pytest.skip("Ray is not installed (pip install -e '.[cluster]'): the multi-node cluster "
                "tests need it", allow_module_level=True)

from host import launch                          # noqa: E402
from host.cluster import local                   # noqa: E402
from host.cluster.client import Client           # noqa: E402
from tests.apps.build import CFLAGS, build_c     # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

ROOT = Path(__file__).resolve().parents[2]
APP_SRC = Path(__file__).resolve().parent / "apps" / "ledger.c"
CACHE = ROOT / "tests" / ".cache" / "cluster"
NODES = "wasmtime,node,wasmer"
LINE = len("step 100 h=01234567\n")
TIMINGS = {}


def _record(key, value):
    TIMINGS[key] = value
    print("timing: %s = %s" % (key, json.dumps(value)))
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "timings.json").write_text(json.dumps(TIMINGS, indent=1, sort_keys=True))


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ledger():
    if subprocess.run([sys.executable, "-m", "ziglang", "version"],
                      capture_output=True).returncode != 0:
        pytest.skip("ziglang is not installed (pip install ziglang): cannot build ledger.c")
    return build_c(APP_SRC, CACHE, CFLAGS)


class Cluster:
    """Runs `python -m host.cli cluster ...` against one local cluster; ``client`` is a
    connection from this process (for polling and bulk work: each CLI call connects anew)."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.env = dict(os.environ, PYTHONPATH=str(ROOT), SELFHOST_CLUSTER_DIR=str(state_dir))
        self._client = None

    @property
    def client(self):
        if self._client is None:
            os.environ["SELFHOST_CLUSTER_DIR"] = str(self.state_dir)
            self._client = Client()
        return self._client

    def run(self, *args, timeout=600, text=True):
        return subprocess.run([sys.executable, "-m", "host.cli", "cluster"] +
                              [str(a) for a in args], env=self.env, capture_output=True,
                              text=text, timeout=timeout, cwd=ROOT)

    def ok(self, *args, **kw):
        res = self.run(*args, **kw)
        assert res.returncode == 0, (args, res.returncode, res.stderr)
        return res

    def status(self):
        return self.client.status()

    def app(self, app_id):
        return next(a for a in self.status()["apps"] if a["id"] == app_id)

    def state(self):
        return json.loads((self.state_dir / "state.json").read_text())

    def wait_for(self, app_id, predicate, what, timeout=300):
        deadline = time.time() + timeout
        while True:
            app = self.app(app_id)
            if predicate(app):
                return app
            assert app["state"] in ("running", "migrating", "starting"), (
                "%s is %s while waiting for %s (make the app run longer)" % (app_id,
                                                                             app["state"], what))
            assert time.time() < deadline, "%s: no %s within %d s" % (app_id, what, timeout)
            time.sleep(0.5)

    def progress(self, app_id, since, lines=20):
        """Wait until the app wrote ``lines`` more stdout lines than ``since`` bytes."""
        return self.wait_for(app_id, lambda a: a["state"] == "running" and
                             a["stdout_bytes"] >= since + lines * LINE,
                             "%d new lines" % lines)["stdout_bytes"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    module = launch.selfhost_wasm()
    if not module.is_file():
        if os.environ.get("SELFHOST_REQUIRE_BUILD") == "1":
            pytest.fail("%s is missing and SELFHOST_REQUIRE_BUILD=1" % module)
        pytest.skip("%s not built (run ./build.sh): the cluster runs it" % module)
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH: the cluster has a Node node")
    c = Cluster(tmp_path_factory.mktemp("cluster-state"))
    t0 = time.time()
    res = c.run("start", "--nodes", NODES, timeout=600)
    assert res.returncode == 0, res.stderr
    _record("cluster_start_s", round(time.time() - t0, 1))
    assert "local cluster up" in res.stdout
    for i, rt in enumerate(NODES.split(",")):
        assert "starting node %d (%s)" % (i, rt) in res.stderr      # progress lines
    daemon = c.state()["pid"]
    yield c
    if c._client is not None:
        c._client.close()
    res = c.run("stop", timeout=300)
    assert res.returncode == 0, res.stderr
    assert not local.pid_alive(daemon)
    assert not (c.state_dir / "state.json").exists()
    assert not (c.state_dir / "nodes").exists()


def stage(directory, seed):
    directory.mkdir(parents=True)
    (directory / "seed.txt").write_bytes(seed)
    return directory


def tree(directory):
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(Path(directory).rglob("*")) if p.is_file()}


def reference(ledger, seed, args, scratch):
    """(stdout, stderr, files) of the app run once, uninterrupted, under wasmtime itself."""
    d = stage(scratch, seed)
    ref_args = list(args)
    ref_args[2] = "0"                       # no sleeping: the output does not depend on it
    res = launch.run_app_direct(ledger, ref_args, dirs=[(str(d), "data")], timeout=300)
    return res.returncode, res.stdout, res.stderr, tree(d)


def app_stderr(text):
    """The app's own stderr from `cluster wait` (without its "selfhost: ..." progress lines)."""
    return b"".join(line for line in text.splitlines(keepends=True)
                    if not line.startswith(b"selfhost: "))


def check_output(res, ref):
    code, out, err, _files = ref
    assert res.returncode == code, res.stderr[-2000:]
    assert res.stdout == out
    assert app_stderr(res.stderr) == err


def check_files(out_dir, ref):
    """The app's final files (checked last in each test: what the moves did is checked
    first). ledger.txt stays open for appending across every move."""
    got, want = tree(out_dir / "data"), ref[3]
    assert got.keys() == want.keys()
    for name in want:
        if got[name] != want[name]:
            a, b = got[name].splitlines(), want[name].splitlines()
            first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            raise AssertionError("%s differs from line %d on (%d lines, uninterrupted run %d): "
                                 "got %r, expected %r" % (name, first + 1, len(a), len(b),
                                                          a[first:first + 2], b[first:first + 2]))


# --- the tests, in order -----------------------------------------------------------------------

LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|\[::ffff:127\.\d+\.\d+\.\d+\]|\[::1\]|::1)$")
SS_LINE = re.compile(r"^(\S+)\s+\S+\s+\d+\s+\d+\s+(\S+):(\d+|\*)\s+\S+\s*(.*)$")


def test_everything_on_loopback(cluster):
    """Ray advertises 127.0.0.1 for every node and no process of the cluster listens on any
    other address (TCP or UDP)."""
    state = cluster.state()
    assert state["address"].startswith("127.0.0.1:")
    status = cluster.status()
    assert len(status["nodes"]) == 3
    for node in status["nodes"]:
        assert node["node_manager_address"] == "127.0.0.1", node
        assert node["address"] == "127.0.0.1", node
    roots = [node["root"] for node in status["nodes"]]
    assert len(set(roots)) == 3
    for a in roots:                 # separate work roots, none inside another
        assert all(a == b or not b.startswith(a.rstrip("/") + "/") for b in roots)
    pids = {state["pid"]} | set(local.descendants(state["pid"]))
    out = subprocess.run(["ss", "-Htulnp"], capture_output=True, text=True).stdout
    ours = []
    for line in out.splitlines():
        found = [int(p) for p in re.findall(r"pid=(\d+)", line)]
        if not set(found) & pids:
            continue
        m = SS_LINE.match(line)
        assert m, line
        ours.append((m.group(2), line))
    names = " ".join(line for _a, line in ours)
    assert "gcs_server" in names and names.count("raylet") >= 4, out      # head + 3 nodes
    bad = [line for addr, line in ours if not LOOPBACK.match(addr)]
    assert not bad, "listening beyond loopback:\n" + "\n".join(bad)
    _record("listening_sockets_checked", len(ours))


def test_clear_errors(cluster, ledger):
    cases = [
        (["migrate", "app-999", "--to", "1"], "unknown app id app-999"),
        (["wait", "app-999"], "unknown app id app-999"),
        (["submit", "--runtime", "native", ledger, "--", "data", "1", "0"],
         "no node offers the runtime native"),
        (["submit", "--node", "9", ledger], "unknown node 9"),
        (["evacuate", "7"], "unknown node 7"),
    ]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda case: cluster.run(*case[0]), cases))
    for (args, message), res in zip(cases, results):
        lines = [line for line in res.stderr.splitlines() if line.strip()]
        assert res.returncode == 1, (args, res.stderr)
        assert len(lines) == 1 and lines[0].startswith("selfhost: error: "), res.stderr
        assert message in lines[0], (args, lines[0])


def test_migrate_three_times_and_evacuate(cluster, ledger, tmp_path):
    """wasmtime -> node -> wasmer -> wasmtime, then `evacuate 0`: stdout, stderr and the files
    byte-identical to an uninterrupted run; status shows each move with its downtime."""
    seed = b"migrated three times and evacuated once\n"
    args = ["data", "800", "30", "3", "2000"]
    src = stage(tmp_path / "in", seed)
    ref = reference(ledger, seed, args, tmp_path / "ref")
    res = cluster.ok("submit", "--node", "0", "--dir", "%s::data" % src, ledger, "--", *args)
    app_id = res.stdout.strip()
    assert re.fullmatch(r"app-\d+", app_id)
    cluster.progress(app_id, 0)
    hops = []
    for to in ("1", "2", "0"):
        t0 = time.time()
        res = cluster.ok("migrate", app_id, "--to", to)
        hops.append(round(time.time() - t0, 2))
        assert "-> node %s" % to in res.stdout, res.stdout
        assert "selfhost: %s: migrating to node %s" % (app_id, to) in res.stderr  # progress
        cluster.progress(app_id, cluster.app(app_id)["snapshot"]["stdout_offset"])
    res = cluster.ok("evacuate", "0")
    assert "1 app(s) moved" in res.stdout, res.stdout
    out_dir = tmp_path / "out"
    res = cluster.run("wait", app_id, "--output-dir", out_dir, text=False)
    check_output(res, ref)

    app = cluster.app(app_id)
    assert app["state"] == "finished" and app["exit_code"] == 3
    moves = app["moves"]
    path = [(m["kind"], m["from"], m["to"]) for m in moves]
    assert path[:3] == [("migrate", 0, 1), ("migrate", 1, 2), ("migrate", 2, 0)], path
    assert path[3][:2] == ("evacuate", 0) and path[3][2] in (1, 2), path
    for m in moves:
        assert m["downtime"] is not None and 0 < m["downtime"] < 300, m
        assert m["snapshot_bytes"] > 0
    text = cluster.ok("status").stdout
    for i, (kind, src_node, dst_node) in enumerate(path, 1):
        assert re.search(r"move %d: %s +node %d \(\w+\) -> node %d \(\w+\), downtime [\d.]+ s"
                         % (i, kind, src_node, dst_node), text), text
    rt = NODES.split(",")
    _record("migration_downtime_s", ["%s %s->%s %.3f" % (m["kind"], rt[m["from"]], rt[m["to"]],
                                                         m["downtime"]) for m in moves])
    _record("migrate_command_s", hops)
    line = [l for l in cluster.run("migrate", app_id, "--to", "1").stderr.splitlines() if l]
    assert line == ["selfhost: error: %s is finished, not running" % app_id]
    check_files(out_dir, ref)


def test_twenty_apps_five_evacuations(cluster, ledger, tmp_path):
    """20 apps at once across the cluster, five evacuations (0, 1, 2, 0, 1): every app ends
    with its own output and files, nothing lost."""
    specs = []
    for i in range(20):
        seed = b"app number %d\n" % i
        args = ["data", str(500 + 10 * i), "150", str(i % 4), "300"]
        specs.append((i, seed, args, stage(tmp_path / ("in%d" % i), seed)))

    t0 = time.time()
    ids = [cluster.client.submit(ledger, args, [(str(src), "data")])["app_id"]
           for _i, _seed, args, src in specs]
    _record("submit_20_apps_s", round(time.time() - t0, 1))
    placed = [a["node"] for a in cluster.status()["apps"] if a["id"] in ids]
    assert sorted(set(placed)) == [0, 1, 2], placed          # spread over every node
    evacuations = []
    for node in ("0", "1", "2", "0", "1"):
        t0 = time.time()
        res = cluster.run("evacuate", node)
        assert res.returncode == 0, res.stderr
        assert ", 0 not moved" in res.stdout, res.stdout
        moved = sum(1 for line in res.stdout.splitlines()
                    if line.split(":", 1)[0] in ids)      # (an app of an earlier test may move)
        evacuations.append({"node": int(node), "moved": moved, "s": round(time.time() - t0, 1)})
    _record("evacuations", evacuations)
    assert all(e["moved"] >= 1 for e in evacuations), evacuations
    refs = [reference(ledger, seed, args, tmp_path / ("ref%d" % i))
            for i, seed, args, _src in specs]

    def wait(i):
        out, err = io.BytesIO(), io.BytesIO()
        code = cluster.client.wait(ids[i], tmp_path / ("out%d" % i), stdout=out, stderr=err)
        return subprocess.CompletedProcess([], code, out.getvalue(), err.getvalue())

    t0 = time.time()
    results = [wait(i) for i in range(20)]
    _record("wait_20_apps_s", round(time.time() - t0, 1))
    for res, ref in zip(results, refs):
        check_output(res, ref)
    apps = {a["id"]: a for a in cluster.status()["apps"]}
    total = 0
    for app_id in ids:
        moves = apps[app_id]["moves"]
        assert all(m["kind"] == "evacuate" for m in moves)
        for a, b in zip(moves, moves[1:]):
            assert b["from"] == a["to"], moves           # each move starts where the last ended
        total += len(moves)
    assert total == sum(e["moved"] for e in evacuations)
    downtimes = [m["downtime"] for a in ids for m in apps[a]["moves"]]
    assert all(d is not None for d in downtimes), [
        (a, m) for a in ids for m in apps[a]["moves"] if m["downtime"] is None]
    _record("twenty_apps_moves", {"total": total, "median_downtime_s":
                                  round(sorted(downtimes)[len(downtimes) // 2], 3)})
    for i, ref in enumerate(refs):
        check_files(tmp_path / ("out%d" % i), ref)


def test_node_killed_app_finishes_elsewhere(cluster, ledger, tmp_path):
    """--checkpoint-every 1; SIGKILL the raylet of the app's node: the app restarts from its
    last snapshot on another node and ends with the right output; the work redone is at most
    one checkpoint interval."""
    seed = b"survives a node crash\n"
    args = ["data", "300", "30", "0", "2000"]
    src = stage(tmp_path / "in", seed)
    ref = reference(ledger, seed, args, tmp_path / "ref")
    app_id = cluster.ok("submit", "--node", "0", "--checkpoint-every", "1", "--dir",
                        "%s::data" % src, ledger, "--", *args).stdout.strip()
    cluster.wait_for(app_id, lambda a: a["checkpoints"] >= 3 and a["state"] == "running",
                     "3 periodic checkpoints")
    raylet = cluster.status()["nodes"][0]["raylet_pid"]
    t_kill = time.time()
    os.kill(raylet, signal.SIGKILL)
    out_dir = tmp_path / "out"
    res = cluster.run("wait", app_id, "--output-dir", out_dir, text=False)
    check_output(res, ref)

    status = cluster.status()
    assert status["nodes"][0]["alive"] is False
    app = next(a for a in status["apps"] if a["id"] == app_id)
    restarts = [m for m in app["moves"] if m["kind"] == "restart"]
    assert len(restarts) == 1 and restarts[0]["from"] == 0 and restarts[0]["to"] in (1, 2)
    m = restarts[0]
    before = [e for e in app["snapshot_log"] if e[1] <= t_kill + 1.0 and e[0] <= m["snapshot_gen"]]
    times = [e[1] for e in before]
    interval = max(b - a for a, b in zip(times, times[1:]))    # checkpoint every 1 s + its cost
    used = next(e for e in before if e[0] == m["snapshot_gen"])
    assert used == before[-1], (used, before[-1])         # the latest snapshot the node made
    redone = t_kill - used[1]                             # the app's run the crash threw away
    assert redone <= interval + 0.5, (redone, interval)
    _record("node_kill", {
        "checkpoint_interval_s": round(interval, 3), "work_redone_s": round(redone, 3),
        "stdout_rewritten_lines": m["redone_stdout_bytes"] // LINE,
        "detected_after_s": round(m["detected_at"] - t_kill, 2),
        "resumed_after_kill_s": round(m["resumed_at"] - t_kill, 2), "to": m["to_runtime"]})
    line = [l for l in cluster.run("submit", "--node", "0", ledger).stderr.splitlines() if l]
    assert line == ["selfhost: error: node 0 (wasmtime) is dead"]
    check_files(out_dir, ref)


def test_target_node_dies_during_a_migration(cluster, ledger, tmp_path):
    """Kill the target's raylet right after `migrate` handed the app over, while it restores:
    the snapshot is still kept off-node, so the app restarts from it on the node left."""
    alive = [n for n in cluster.status()["nodes"] if n["alive"]]
    assert len(alive) >= 2
    source, target = alive[0], alive[-1]
    seed = b"the target died\n"
    args = ["data", "300", "30", "5", "2000"]
    src = stage(tmp_path / "in", seed)
    ref = reference(ledger, seed, args, tmp_path / "ref")
    app_id = cluster.ok("submit", "--node", source["index"], "--dir", "%s::data" % src, ledger,
                        "--", *args).stdout.strip()
    cluster.progress(app_id, 0)
    cluster.ok("migrate", app_id, "--to", target["index"])
    os.kill(target["raylet_pid"], signal.SIGKILL)
    out_dir = tmp_path / "out"
    res = cluster.run("wait", app_id, "--output-dir", out_dir, text=False)
    check_output(res, ref)
    moves = cluster.app(app_id)["moves"]
    assert [(m["kind"], m["from"], m["to"]) for m in moves] == [
        ("migrate", source["index"], target["index"]),
        ("restart", target["index"], source["index"])], moves
    assert moves[1]["snapshot_gen"] >= moves[0]["snapshot_gen"]
    _record("target_killed_restart", {"snapshot_gen": moves[1]["snapshot_gen"],
                                      "migration_snapshot_gen": moves[0]["snapshot_gen"],
                                      "resumed_after_detection_s": round(moves[1]["downtime"], 2)})
    check_files(out_dir, ref)
