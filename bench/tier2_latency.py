"""Checkpoint latency inside native code, per host, and the native resume on another host.

One long pure call (kernels_cmd's mix, issue 13's case) under `selfhost run --runtime H
--checkpoint-after S` with `--offload tier2` (safe points in the native code) and with plain
offload (`auto`: a request waits for the call to end). Latency: from the request (the run's
start + S) to the snapshot written, less its write time (the run's --stats). Each tier-2
snapshot is then restored with `--offload tier2` on the next host of the list: its wall time
against the uninterrupted run's, and the output checked against it.

    python -m bench.tier2_latency [--hosts native,wasmtime,node] [--after 1] [--rounds 9e8]
        -> bench/results/tier2_latency.md
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import machine_line  # noqa: E402
from tests.apps.build import build_c  # noqa: E402

CFLAGS = ["-target", "wasm32-wasi", "-O2", "-fno-sanitize=undefined",
          "-Wl,-z,stack-size=65536"]
OUT = ROOT / "bench" / "results" / "tier2_latency.md"


def _app():
    return build_c(ROOT / "tests" / "offload_apps" / "kernels_cmd.c",
                   ROOT / "tests" / ".cache" / "offload_apps", CFLAGS)


def selfhost(*args, timeout=1800):
    """`python -m host.cli ARGS` -> (returncode, stdout, stderr, wall seconds)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "host.cli", *map(str, args)], capture_output=True,
                       env=env, cwd=ROOT, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode(), time.perf_counter() - t0


def top_function(snap, app):
    import interp
    from checkpoint.store import read_snapshot
    frames = read_snapshot(snap).frames
    return interp.decode(Path(app).read_bytes()).func_names.get(frames[-1].func, "?")


def measure(hosts, after, rounds):
    app = _app()
    args = [1, 18, int(rounds)]
    work = Path(tempfile.mkdtemp(prefix="tier2-latency-"))
    rows = []
    full = {}
    for host in hosts:     # the uninterrupted run, with tier 2 (what a restore should match)
        rc, out, err, wall = selfhost("run", "--runtime", host, "--offload", "tier2", app, *args)
        if rc != 0:
            raise SystemExit("%s: the uninterrupted run failed: %s" % (host, err.strip()))
        full[host] = (out, wall)
    for i, host in enumerate(hosts):
        for mode in ("tier2", "auto"):
            snap, stats = work / ("%s-%s.snap" % (host, mode)), work / ("%s-%s.json" % (host, mode))
            rc, first, err, wall = selfhost("run", "--runtime", host, "--offload", mode,
                                            "--snapshot", snap, "--stats", stats,
                                            "--checkpoint-after", after, app, *args)
            row = {"host": host, "mode": mode, "wall": wall, "rc": rc}
            if rc == 75 and snap.is_file():
                st = json.loads(stats.read_text())
                row["capture"], row["write"] = st["capture_seconds"], st["write_seconds"]
                row["latency"] = (st["checkpointed_at"] - row["write"] - row["capture"]
                                  - st["started_at"] - after)
                row["top"] = top_function(snap, app)
                if mode == "tier2":
                    target = hosts[(i + 1) % len(hosts)]
                    rc2, rest, err2, wall2 = selfhost("run", "--runtime", target, "--offload",
                                                      "tier2", "--profile", "--restore", snap,
                                                      app, *args)
                    row.update(target=target, restore_wall=wall2,
                               same=(rc2 == 0 and first + rest == full[target][0]),
                               rewound=" 1 rewinds" in err2, full_wall=full[target][1])
            rows.append(row)
            print(row, file=sys.stderr)
    return app, args, rows


def write_table(app, args, rows, after, hosts):
    lines = ["# Tier 2: checkpoint latency inside native code", "",
             "`python -m bench.tier2_latency --hosts %s --after %g --rounds %d`, %s. App: %s %s "
             "(one pure call, mix, runs natively). `--checkpoint-after %g`; latency: from the "
             "request to the native code stopped and its frames in the interpreter (the "
             "snapshot written, less its capture and write: the run's --stats). tier2: `--offload tier2`; "
             "auto: plain offload, the request waits for the native call to end (no snapshot "
             "if the app ends first). Restore: the tier-2 snapshot resumed with `--offload "
             "tier2` on the next host; its wall time (process start included) against the "
             "uninterrupted run's on that host." % (",".join(hosts), after, args[2],
                                                   time.strftime("%Y-%m-%d %H:%M"),
                                                   Path(app).name, " ".join(map(str, args)),
                                                   after), "",
             "| host | offload | exit | latency | capture | write | top frame | restored on | "
             "restore wall | uninterrupted wall | same output | rewound natively |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ms = lambda v: "%.1f ms" % (v * 1e3)   # noqa: E731
        lat = ms(r["latency"]) if "latency" in r else "no snapshot (ran %.1f s)" % r["wall"]
        lines.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["host"], r["mode"], r["rc"], lat, ms(r["capture"]) if "capture" in r else "-",
            ms(r["write"]) if "write" in r else "-",
            r.get("top", "-"), r.get("target", "-"),
            "%.2f s" % r["restore_wall"] if "restore_wall" in r else "-",
            "%.2f s" % r["full_wall"] if "full_wall" in r else "-",
            {True: "yes", False: "NO"}.get(r.get("same"), "-"),
            {True: "yes", False: "no"}.get(r.get("rewound"), "-")))
    lines += ["", machine_line()]
    OUT.write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.tier2_latency",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", default="native,wasmtime,node")
    ap.add_argument("--after", type=float, default=1.0)
    ap.add_argument("--rounds", type=float, default=9e8, help="mix's rounds (default 9e8)")
    ns = ap.parse_args(argv)
    hosts = ns.hosts.split(",")
    app, args, rows = measure(hosts, ns.after, ns.rounds)
    write_table(app, args, rows, ns.after, hosts)
    print(OUT.read_text())


if __name__ == "__main__":
    main()
