"""Checkpoint / restore / migration numbers per host runtime: `python -m bench.ckpt_bench`.

For each runtime (native, wasmtime, wasmer, node), with tests/ckpt_apps/stateful.c (built with
zig into tests/.cache/ckpt/) running `stateful /data/out.txt STEPS`:
- checkpoint latency: trigger file created -> snapshot file written (host clock, polled 2 ms);
  `selfhost run --checkpoint-trigger` (Wasmer: not possible, its file system is a copy made at
  start; --checkpoint-after is used and only the in-guest time is given);
- trigger latency: trigger created -> checkpoint begins (the snapshot's write time from --stats
  minus capture+encode+write), i.e. polling + reaching a safe point;
- checkpoint work: capture + encode + write seconds inside selfhost (--stats);
- snapshot size vs the app's linear memory size;
- restore time: `selfhost restore` launched -> app resumed (--stats wall clock), and the part
  inside selfhost (read + decode + restore);
- migration downtime: `selfhost migrate --from R --to NEXT --after 0.5` (snapshot written ->
  resumed on NEXT, from both phases' --stats).
Writes bench/results/ckpt.md (and ckpt.json). Not a test: numbers vary with the machine's load.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from host import launch
from host.commands.common import read_stats, resumed_at, stats_value, written_at

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "ckpt_apps" / "stateful.c"
APP = ROOT / "tests" / ".cache" / "ckpt" / "stateful.wasm"
RESULTS = ROOT / "bench" / "results"
RUNTIMES = ("native", "wasmtime", "wasmer", "node")
NEXT = {"native": "wasmtime", "wasmtime": "wasmer", "wasmer": "node", "node": "wasmtime"}


def build_app():
    from tests.apps.build import build_c
    return build_c(SOURCE, APP.parent, ["-target", "wasm32-wasi", "-O2", "-s",
                                        "-fno-sanitize=undefined"])


def _selfhost_cmd(*args):
    return [sys.executable, "-m", "host.cli"] + [str(a) for a in args]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def _sum_stats(stats, section, keys):
    vals = [stats_value(stats, section, k) for k in keys]
    return sum(v for v in vals if v is not None) if any(v is not None for v in vals) else None


CKPT_KEYS = ("capture_seconds", "encode_seconds", "write_seconds")
RESTORE_KEYS = ("read_seconds", "decode_seconds", "restore_seconds")


def memory_size(snap):
    from checkpoint import inspect as _inspect
    with open(snap, "rb") as f:
        view = _inspect.inspect(f.read())
    return sum(m["bytes"] for m in view.get("memories", []))


def measure_checkpoint(runtime, work, steps):
    """Checkpoint a running app (trigger file, or --checkpoint-after on wasmer)."""
    data = work / "data"
    data.mkdir()
    trigger, snap, stats = work / "trigger", work / "app.snap", work / "ckpt.json"
    opts = ["--checkpoint-after", "0.5"] if runtime == "wasmer" else ["--checkpoint-trigger", trigger]
    proc = subprocess.Popen(_selfhost_cmd("run", "--runtime", runtime, "--dir", "%s::/data" % data,
                                          "--snapshot", snap, "--stats", stats, *opts, APP,
                                          "/data/out.txt", steps),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=ROOT)
    row = {}
    t_trigger = written = None
    try:
        if runtime != "wasmer":
            line = proc.stdout.readline()            # step 0 is out: it is running
            if not line.startswith(b"step 0"):
                raise RuntimeError("%s did not start: %r" % (runtime, line + proc.stderr.read()))
            t_trigger = time.time()
            with open(trigger, "w"):
                pass
            while written is None:
                if snap.exists():
                    written = time.time()
                elif proc.poll() is not None or time.time() - t_trigger > 120:
                    break
                else:
                    time.sleep(0.002)
        _out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if proc.returncode != 75 or not snap.exists():
        raise RuntimeError("%s: no checkpoint (exit %s): %s" % (runtime, proc.returncode,
                                                               err.decode()[-400:]))
    s = read_stats(stats)
    work_s = _sum_stats(s, "checkpoint", CKPT_KEYS)
    row["checkpoint_work_s"] = work_s
    if written is not None:
        row["checkpoint_latency_s"] = written - t_trigger
        w = written_at(s)
        if w is not None and work_s is not None:
            row["trigger_latency_s"] = w - work_s - t_trigger
    row["snapshot_bytes"] = snap.stat().st_size
    row["memory_bytes"] = memory_size(snap)
    return snap, data, row


def measure_restore(runtime, snap, data, work):
    stats = work / "restore.json"
    t0 = time.time()
    proc = subprocess.run(_selfhost_cmd("restore", "--runtime", runtime, "--dir",
                                        "%s::/data" % data, "--stats", stats,
                                        "--snapshot", work / "again.snap",
                                        "--checkpoint-after", "0.001", snap, APP),
                          capture_output=True, env=_env(), cwd=ROOT, timeout=300)
    t1 = time.time()
    if proc.returncode not in (0, 75):
        raise RuntimeError("%s restore failed (exit %d): %s" % (runtime, proc.returncode,
                                                               proc.stderr.decode()[-400:]))
    s = read_stats(stats)
    r = resumed_at(s)
    return {"restore_launch_to_resumed_s": None if r is None else r - t0,
            "restore_work_s": _sum_stats(s, "restore", RESTORE_KEYS),
            "restore_process_s": t1 - t0}


def measure_migration(source, target, work, steps):
    data = work / "mig"
    data.mkdir()
    proc = subprocess.run(_selfhost_cmd("migrate", "--from", source, "--to", target, "--after",
                                        "0.5", "--dir", "%s::/data" % data, APP, "--",
                                        "/data/out.txt", steps),
                          capture_output=True, env=_env(), cwd=ROOT, timeout=600)
    err = proc.stderr.decode()
    m = re.search(r"downtime ([0-9.]+) s", err)
    if proc.returncode != 0 or not m:
        raise RuntimeError("migrate %s -> %s failed (exit %d): %s"
                           % (source, target, proc.returncode, err[-400:]))
    return {"migration": "%s -> %s" % (source, target), "migration_downtime_s": float(m.group(1))}


def bench_runtime(runtime, repeat, steps):
    rows = []
    for _ in range(repeat):
        work = Path(tempfile.mkdtemp(prefix="ckpt-bench-"))
        try:
            snap, data, row = measure_checkpoint(runtime, work, steps)
            row.update(measure_restore(runtime, snap, data, work))
            row.update(measure_migration(runtime, NEXT[runtime], work, steps))
            rows.append(row)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    merged = {}
    for key in rows[0]:
        vals = [r.get(key) for r in rows]
        nums = [v for v in vals if isinstance(v, (int, float))]
        merged[key] = statistics.median(nums) if nums and len(nums) == len(vals) else vals[0]
    return merged


def _s(v):
    return "n/a" if v is None else "%.3f s" % v if v >= 0.01 else "%.1f ms" % (v * 1000)


def _mib(v):
    return "n/a" if v is None else "%.2f MiB" % (v / 1048576.0)


def render(results, repeat):
    lines = ["# Checkpoint / restore / migration (stateful.c)", "",
             "`python -m bench.ckpt_bench`; median of %d run(s) per runtime. Checkpoint latency: "
             "trigger file created -> snapshot written (host clock). Trigger latency: trigger "
             "created -> checkpoint starts. Restore: `selfhost restore` launched -> app resumed "
             "(inside selfhost: read+decode+restore). Downtime: snapshot written -> resumed on "
             "the next runtime (`selfhost migrate --after 0.5`)." % repeat, "",
             "| runtime | checkpoint latency | trigger latency | checkpoint work | snapshot | "
             "memory | restore (launch->resumed) | restore work | migration | downtime |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for rt, r in results.items():
        if "error" in r:
            lines.append("| %s | error: %s |" % (rt, r["error"].replace("|", "/")[:200]))
            continue
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            rt, _s(r.get("checkpoint_latency_s")), _s(r.get("trigger_latency_s")),
            _s(r.get("checkpoint_work_s")), _mib(r.get("snapshot_bytes")),
            _mib(r.get("memory_bytes")), _s(r.get("restore_launch_to_resumed_s")),
            _s(r.get("restore_work_s")), r.get("migration"), _s(r.get("migration_downtime_s"))))
    lines += ["", "wasmer: no trigger latency (its sandbox file system is a copy made at start, "
              "so a trigger file created later is never seen); the checkpoint is taken with "
              "--checkpoint-after 0.5 instead.", ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.ckpt_bench", description=__doc__.split(
        "\n")[0])
    p.add_argument("--runtime", action="append", choices=RUNTIMES,
                   help="only these runtimes (default: all)")
    p.add_argument("--repeat", type=int, default=1, help="runs per runtime (median)")
    p.add_argument("--steps", type=int, default=30, help="app steps of each run")
    ns = p.parse_args(argv)
    build_app()
    results = {}
    for rt in ns.runtime or RUNTIMES:
        if rt != "native" and not launch.selfhost_wasm().is_file():
            results[rt] = {"error": "build/selfhost.wasm missing"}
            continue
        print("ckpt_bench: %s ..." % rt, file=sys.stderr, flush=True)
        try:
            results[rt] = bench_runtime(rt, ns.repeat, ns.steps)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
            results[rt] = {"error": str(e)}
        print("ckpt_bench: %s: %s" % (rt, results[rt]), file=sys.stderr, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ckpt.json").write_text(json.dumps(results, indent=1))
    text = render(results, ns.repeat)
    (RESULTS / "ckpt.md").write_text(text)
    print(text)
    return 0 if all("error" not in r for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
