"""Migration downtime per host pair: `python -m bench.downtime`.

    python -m bench.downtime [--hosts native,wasmtime,wasmtime-cli,node,wasmer] [--repeat N]

The app (bench/apps/state4m.c, built with zig at bench time) holds 4 MiB of non-zero memory
and asks for a checkpoint after its first step. For each ordered pair of hosts it runs
`selfhost migrate --from A --to B` with pre-copy (the default: the target is started with the
source and waits, ready, for the snapshot) and with --no-precopy, side by side in one run, and
takes the downtime migrate reports (the source's snapshot written -> the target resumed, both
from --stats on one wall clock) and the snapshot's size. Every run's stdout must equal an
uninterrupted run's. Target (issue 12): at most 0.5 s plus the snapshot's size at 100 MB/s.
Writes bench/results/downtime.md and downtime.json. Not a test: numbers vary with the load.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CACHE = ROOT / "bench" / ".cache"
HOSTS = ("native", "wasmtime", "wasmtime-cli", "node", "wasmer")
STEPS = "3"
_REPORT = re.compile(r"downtime ([0-9.]+) s .*snapshot (\d+) bytes")


def build_app():
    from tests.apps.build import CFLAGS, build_c
    return build_c(ROOT / "bench" / "apps" / "state4m.c", CACHE / "downtime-apps", CFLAGS)


def reference(app):
    from host import launch
    with tempfile.TemporaryDirectory() as d:
        res = launch.run_app_direct(app, [STEPS, "/data"], dirs=[(d, "/data")], timeout=300)
    if res.returncode != 0:
        raise SystemExit("the app failed under wasmtime itself: %r" % res.stderr[-500:])
    return res.stdout


def migrate(app, source, target, precopy):
    """One `selfhost migrate`: -> (downtime s, snapshot bytes, wall s, stdout)."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "host.cli", "migrate", "--from", source, "--to", target,
               "--dir", "%s::/data" % d, str(app), "--", STEPS, "/data"]
        if not precopy:
            cmd.insert(4, "--no-precopy")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=600,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        wall = time.perf_counter() - t0
    err = proc.stderr.decode(errors="replace")
    m = _REPORT.search(err)
    if proc.returncode != 0 or m is None:
        raise SystemExit("migrate %s -> %s failed (exit %d): %s" % (source, target,
                                                                   proc.returncode, err[-800:]))
    return float(m.group(1)), int(m.group(2)), wall, proc.stdout


def measure(hosts, repeat, log=print):
    from host import runtimes
    from host import launch
    app = build_app()
    ref = reference(app)
    for host in hosts:      # compile caches warm: a first launch compiles selfhost.wasm
        launch.run(host, ["--version"], timeout=900)
    rows = []
    for source in hosts:
        for target in hosts:
            if source == target:
                continue
            row = {"source": source, "target": target,
                   "precopy_applies": runtimes.get(target).live_files}
            for mode, precopy in (("precopy", True), ("no_precopy", False)):
                if precopy and not row["precopy_applies"]:
                    row[mode] = None
                    continue
                downs = []
                for _ in range(repeat):
                    down, size, wall, out = migrate(app, source, target, precopy)
                    if out != ref:
                        raise SystemExit("migrate %s -> %s (%s): output differs from the "
                                         "uninterrupted run" % (source, target, mode))
                    downs.append(down)
                    row["snapshot_bytes"] = size
                row[mode] = statistics.median(downs)
                log("%s -> %s %s: downtime %.3f s (snapshot %d bytes, run %.1f s)"
                    % (source, target, mode, row[mode], size, wall))
            row["target_s"] = 0.5 + row["snapshot_bytes"] / 100e6
            rows.append(row)
    return {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.platform(),
            "cpus": os.cpu_count(), "load": [round(x, 2) for x in os.getloadavg()],
            "app": "bench/apps/state4m.c (4 MiB of non-zero memory)", "repeat": repeat,
            "rows": rows}


def markdown(results):
    def s(v):
        return "–" if v is None else "%.3f" % v
    rows = results["rows"]
    lines = ["# Migration downtime per host pair", "",
             "Measured %s by `python -m bench.downtime --repeat %d` on %d CPUs, %s, load "
             "average %s (shared and noisy; one run, side by side). App: %s. Downtime = the "
             "source's snapshot written -> the target resumed (selfhost's --stats, one wall "
             "clock), median of the repeats; seconds. Target: 0.5 s + snapshot size at "
             "100 MB/s. Pre-copy does not apply onto Wasmer (its files are a copy made at "
             "start)." % (results["date"], results["repeat"], results["cpus"],
                          results["machine"], results["load"], results["app"]), "",
             "| from | to | snapshot | pre-copy | without pre-copy | target | met |",
             "|---|---|---|---|---|---|---|"]
    met = 0
    for r in rows:
        best = min(v for v in (r["precopy"], r["no_precopy"]) if v is not None)
        ok = best <= r["target_s"]
        met += ok
        lines.append("| %s | %s | %.2f MB | %s | %s | %.3f | %s |"
                     % (r["source"], r["target"], r["snapshot_bytes"] / 1e6, s(r["precopy"]),
                        s(r["no_precopy"]), r["target_s"], "yes" if ok else "**no**"))
    lines += ["", "%d of %d pairs within the target." % (met, len(rows))]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.downtime", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", default=",".join(HOSTS),
                        help="comma-separated runtimes (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per pair and mode")
    ns = parser.parse_args(argv)
    hosts = [h for h in ns.hosts.split(",") if h]
    unknown = [h for h in hosts if h not in HOSTS]
    if unknown or ns.repeat < 1:
        parser.error("unknown host %s" % unknown[0] if unknown else "--repeat must be >= 1")
    results = measure(hosts, ns.repeat, log=lambda m: print(m, file=sys.stderr))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "downtime.json").write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / "downtime.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
