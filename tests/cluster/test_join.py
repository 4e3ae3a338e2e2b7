"""`--address`: the commands join an existing Ray cluster that has no selfhost controller yet.

A bare Ray cluster (host/cluster/local.py without its controller: a head and two nodes offering
{"runtime_native": 1} and {"runtime_wasmtime-cli": 1}) stands in for a real one; `submit
--address` creates the controller on it, finds the nodes by their runtime resources and runs
the app on the native node (selfhost's Python code on CPython); `migrate --address` moves it
to the node of the real wasmtime CLI (selfhost.wasm under `wasmtime run`).
"""
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

if importlib.util.find_spec("ray") is None:
    pytest.skip("Ray is not installed (pip install -e '.[cluster]'): the cluster tests need it",
                allow_module_level=True)

from host import launch                          # noqa: E402
from host.cluster import local                   # noqa: E402
from tests import support                        # noqa: E402
from tests.apps.build import CFLAGS, build_c     # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

ROOT = Path(__file__).resolve().parents[2]
APP_SRC = Path(__file__).resolve().parent / "apps" / "ledger.c"
CACHE = ROOT / "tests" / ".cache" / "cluster"


def test_submit_with_address_joins_a_bare_ray_cluster(tmp_path):
    if subprocess.run([sys.executable, "-m", "ziglang", "version"],
                      capture_output=True).returncode != 0:
        pytest.skip("ziglang is not installed (pip install ziglang): cannot build ledger.c")
    ledger = build_c(APP_SRC, CACHE, CFLAGS)
    state_dir = tmp_path / "bare"
    state_dir.mkdir()
    support.require_build()
    config = {"nodes": ["native", "wasmtime-cli"], "state_dir": str(state_dir), "controller": False,
              "ray_tmp": tempfile.mkdtemp(prefix="shray-", dir="/tmp")}
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(tmp_path / "daemon.log", "w") as log:
        daemon = subprocess.Popen([sys.executable, "-m", "host.cluster.local", json.dumps(config)],
                                  stdout=log, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)
    # the CLI must not find a local cluster: only --address leads to this one
    cli_env = dict(env, SELFHOST_CLUSTER_DIR=str(tmp_path / "no-local-cluster"))

    def cluster(*args, text=True):
        return subprocess.run([sys.executable, "-m", "host.cli", "cluster"] +
                              [str(a) for a in args], env=cli_env, capture_output=True,
                              text=text, timeout=600, cwd=ROOT)
    roots = []
    try:
        deadline = time.time() + 300
        while local.read_state(str(state_dir)) is None:
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
            assert time.time() < deadline, "the bare cluster did not start"
            time.sleep(0.5)
        address = local.read_state(str(state_dir))["address"]
        src = tmp_path / "in"
        src.mkdir()
        (src / "seed.txt").write_bytes(b"joined\n")
        args = ["data", "300", "30", "4"]
        res = cluster("submit", "--address", address, "--runtime", "native", "--dir",
                      "%s::data" % src, ledger, "--", *args)
        assert res.returncode == 0, res.stderr
        assert "joining the Ray cluster: node 0 native, node 1 wasmtime-cli" in res.stderr
        app_id = res.stdout.strip()

        def app():
            status = json.loads(cluster("status", "--address", address, "--json").stdout)
            return next(a for a in status["apps"] if a["id"] == app_id)
        deadline = time.time() + 300
        while app()["stdout_bytes"] < 20 * len("step 100 h=01234567\n"):
            assert app()["state"] == "running" and time.time() < deadline, app()
            time.sleep(0.5)
        res = cluster("migrate", "--address", address, app_id, "--to", "1")
        assert res.returncode == 0, res.stderr
        assert "node 0 (native) -> node 1 (wasmtime-cli)" in res.stdout, res.stdout
        res = cluster("wait", "--address", address, app_id, "--output-dir", tmp_path / "out",
                      text=False)
        ref_dir = tmp_path / "ref"
        ref_dir.mkdir()
        (ref_dir / "seed.txt").write_bytes(b"joined\n")
        ref = launch.run_app_direct(ledger, args, dirs=[(str(ref_dir), "data")], timeout=300)
        assert res.returncode == ref.returncode == 4
        assert res.stdout == ref.stdout
        assert b"".join(line for line in res.stderr.splitlines(keepends=True)
                        if not line.startswith(b"selfhost: ")) == ref.stderr
        status = json.loads(cluster("status", "--address", address, "--json").stdout)
        assert [(n["index"], n["runtime"], n["alive"]) for n in status["nodes"]] == \
            [(0, "native", True), (1, "wasmtime-cli", True)]
        moves = next(a for a in status["apps"] if a["id"] == app_id)["moves"]
        assert [(m["kind"], m["from_runtime"], m["to_runtime"]) for m in moves] == \
            [("migrate", "native", "wasmtime-cli")]
        assert moves[0]["downtime"] is not None and moves[0]["downtime"] > 0
        roots = [n["root"] for n in status["nodes"]]
        line = [l for l in cluster("submit", "--address", address, "--runtime", "wasmtime",
                                   ledger).stderr.splitlines() if l]
        assert line == ["selfhost: error: no node offers the runtime wasmtime (nodes: 0 native, "
                        "1 wasmtime-cli)"]
        # last: the files the app wrote on both nodes (ledger.txt is open for appending across
        # the migration; summary.txt is written on the second node)
        for name in ("summary.txt", "ledger.txt"):
            assert (tmp_path / "out" / "data" / name).read_bytes() == (ref_dir / name).read_bytes()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=120)
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)
