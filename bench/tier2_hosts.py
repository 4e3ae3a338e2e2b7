"""Whole apps under selfhost.wasm with each offload mode, per host, against the real wasmtime CLI.

Modes: off (interpreted), auto (plain offload: import-free hot functions natively, no safe
point inside them), tier2 (the same, instrumented: checkpoints inside native code), imports
(tier 2, and functions that call imports natively too: each import call a round trip to
selfhost's WASI). Wall time of `python -m host.cli run --runtime H --offload M APP ARGS`
(process start included), best of --rounds interleaved rounds; outputs checked against the
wasmtime CLI's. Apps: the counter (a loop with an fprintf every tenth of the run), kernels_cmd,
and the real programs of tests/real when their sdists are at hand.

    python -m bench.tier2_hosts [--hosts wasmtime,node] [--rounds 1]
        -> bench/results/tier2_hosts.md
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import machine_line  # noqa: E402
from tests.apps.build import build_c  # noqa: E402

OUT = ROOT / "bench" / "results" / "tier2_hosts.md"
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-fno-sanitize=undefined",
          "-Wl,-z,stack-size=65536"]
MODES = ("off", "auto", "tier2", "imports")


def _c(name):
    return build_c(ROOT / "tests" / name, ROOT / "tests" / ".cache" / "offload_apps", CFLAGS)


def cases():
    """(label, app, args, modes): the modes left out would take minutes (interpreted)."""
    out = [("counter", _c("tier2_apps/counter.c"), ["5", "200000"], MODES),
           ("kernels_cmd", _c("offload_apps/kernels_cmd.c"), ["2", "27", "3000000"],
            ("auto", "tier2", "imports"))]
    try:
        from tests.real.build import Unavailable, build_program
        for name in ("lz4_roundtrip", "zstd_roundtrip"):
            out.append((name, build_program(name), ["/data/input.bin", "/data"], MODES))
    except (ImportError, Unavailable) as e:    # offline: no sdists
        print("real programs skipped: %s" % e, file=sys.stderr)
    return out


def _input(d):
    d.mkdir(parents=True, exist_ok=True)
    words = [b"selfhost", b"wasm", b"checkpoint", b"restore", b"native", b"tier", b"offload"]
    x, chunks = 12345, []
    for _ in range(3_000):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        chunks.append(words[x % len(words)] + (b"\n" if x & 64 else b" "))
    (d / "input.bin").write_bytes(b"".join(chunks))


def wasmtime_cli():
    import wasmtime_cli
    return str(Path(wasmtime_cli.__file__).parent / "wasmtime")


def timed(argv, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, env=env, cwd=cwd, timeout=3600)
    return time.perf_counter() - t0, p.returncode, p.stdout


def measure(hosts, rounds):
    rows = []
    hello = build_c(ROOT / "tests" / "apps" / "hello.c", ROOT / "tests" / ".cache" / "apps",
                    CFLAGS)
    startup = {}           # a host's start-up: the best wall time of a hello app
    for host in hosts:     # (the first run is a warm-up: it may compile selfhost.wasm)
        for _ in range(1 + max(1, rounds)):
            wall, _rc, _out = timed([sys.executable, "-m", "host.cli", "run", "--runtime",
                                     host, str(hello)], ROOT)
            startup[host] = min(startup.get(host, wall), wall)
    for label, app, args, modes in cases():
        work = Path(tempfile.mkdtemp(prefix="tier2-hosts-"))
        data = work / "data"
        _input(data)
        best = {}
        outs = {}
        for _ in range(rounds):
            runs = [("wasmtime-cli", None, [wasmtime_cli(), "run", "--dir", "%s::/data" % data,
                                            str(app), *args])]
            for host in hosts:
                for mode in modes:
                    runs.append((host, mode, [sys.executable, "-m", "host.cli", "run",
                                              "--runtime", host, "--offload", mode, "--dir",
                                              "%s::/data" % data, str(app), *args]))
            for host, mode, argv in runs:
                wall, rc, out = timed(argv, ROOT)
                key = (host, mode)
                best[key] = min(best.get(key, wall), wall) if rc == 0 else float("nan")
                outs[key] = out
                print(label, " ".join(args), host, mode, "%.2f s" % wall, "rc", rc,
                      file=sys.stderr)
        ref = outs[("wasmtime-cli", None)]
        rows.append((label, args, modes, best,
                     {k: outs[k] == ref for k in outs if k[1] is not None}))
        shutil.rmtree(work, ignore_errors=True)
    return rows, startup


def write_table(rows, startup, hosts, rounds):
    lines = ["# Tier 2 inside selfhost.wasm: whole apps per host and offload mode", "",
             "`python -m bench.tier2_hosts --hosts %s --rounds %d`, %s. %s" % (
                 ",".join(hosts), rounds, time.strftime("%Y-%m-%d %H:%M"),
                 __doc__.split("\n\n")[0].replace("\n", " ")), "",
             "Wall time, process start included (best of %d); `-`: not run (minutes "
             "interpreted); a `!` marks an output that differs from the wasmtime CLI's. "
             "Start-up (a hello app): %s. The last column is issue 13's target for whole "
             "apps: imports within 3x the wasmtime CLI plus start-up." % (rounds, ", ".join(
                 "%s %.2f s" % (h, startup[h]) for h in hosts)),
             "", "| app | args | wasmtime CLI | host | off | auto | tier2 | imports | tier2 / off "
             "| tier2 / auto | imports <= 3 x CLI + start-up |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, args, modes, best, same in rows:
        cli = best[("wasmtime-cli", None)]
        for host in hosts:
            cells = []
            for mode in MODES:
                v = best.get((host, mode))
                cells.append("-" if v is None else "%.2f s%s" % (
                    v, "" if same.get((host, mode)) else " !"))
            auto, t2, off, imp = (best.get((host, m)) for m in ("auto", "tier2", "off", "imports"))
            lines.append("| %s | %s | %.2f s | %s | %s | %s | %s | %s |" % (
                label, " ".join(args), cli, host, " | ".join(cells),
                "%.2fx" % (t2 / off) if t2 and off else "-",
                "%.2fx" % (t2 / auto) if t2 and auto else "-",
                "-" if not imp else "%s (%.2f s vs %.2f s)" % (
                    "met" if imp <= 3 * cli + startup[host] else "not met", imp,
                    3 * cli + startup[host])))
    lines += ["", machine_line()]
    OUT.write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.tier2_hosts",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", default="wasmtime,node")
    ap.add_argument("--rounds", type=int, default=1)
    ns = ap.parse_args(argv)
    hosts = ns.hosts.split(",")
    rows, startup = measure(hosts, ns.rounds)
    write_table(rows, startup, hosts, ns.rounds)
    print(OUT.read_text())


if __name__ == "__main__":
    main()
