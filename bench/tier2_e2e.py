"""Tier 2 end to end on CPython: whole apps under selfhost's native runtime with the plain
offload native side, the instrumented one (tier 2), tier 2 with import round trips
(``--offload imports``), the interpreter alone, and the real wasmtime CLI, side by side in one
run (interleaved rounds, best wall time of each).

    python -m bench.tier2_e2e [--rounds N]      -> bench/results/tier2_e2e.md
"""
import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.apps.build import build_c  # noqa: E402

CACHE = ROOT / "tests" / ".cache" / "offload_apps"
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-fno-sanitize=undefined",
          "-Wl,-z,stack-size=65536"]
CASES = [   # (app source, args, modes)
    ("tests/offload_apps/kernels_cmd.c", [2, 30, 3_000_000], ("plain", "tier2", "imports",
                                                              "wasmtime")),
    ("tests/tier2_apps/counter.c", [5, 20_000], ("off", "plain", "tier2", "imports",
                                                 "wasmtime")),
    ("tests/tier2_apps/counter.c", [20, 5_000_000], ("imports", "wasmtime")),
]


def _selfhost(mode, app, args):
    """One in-process run of the selfhost program (stdout to /dev/null); CPU seconds of
    this process (the native code runs in it too)."""
    from host.offload import native, tier2_native
    from selfhost import cli
    opts = {"off": ["--offload", "off"], "imports": ["--offload", "imports"]}.get(mode, [])
    side = {"plain": native.make_offloader}.get(mode)
    if side is None:
        def side(module, threshold, imports=False, tier2=True):
            return tier2_native.make_offloader(module, threshold, imports=imports)
    fd = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        t0 = time.process_time()
        rc = cli.main(opts + [str(app)] + [str(a) for a in args], native_side=side)
        dt = time.process_time() - t0
    finally:
        os.dup2(fd, 1)
        os.close(fd)
        os.close(null)
    assert rc == 0, (mode, rc)
    return dt


def _wasmtime(app, args):
    """CPU seconds (user + system) of one `wasmtime run` process."""
    exe = shutil.which("wasmtime")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([exe, "run", str(app)] + [str(a) for a in args], check=True,
                   stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "tier2_e2e.md"))
    ns = ap.parse_args(argv)
    load = os.getloadavg()
    rows = []
    for src, args, modes in CASES:
        app = build_c(ROOT / src, CACHE, CFLAGS)
        best = {m: float("inf") for m in modes}
        for _ in range(ns.rounds):
            for m in modes:
                dt = _wasmtime(app, args) if m == "wasmtime" else _selfhost(m, app, args)
                best[m] = min(best[m], dt)
        rows.append((Path(src).stem, args, best))
        print(Path(src).stem, args, {m: round(v, 3) for m, v in best.items()}, flush=True)
    cols = ["off", "plain", "tier2", "imports", "wasmtime"]
    lines = ["# Tier 2 end to end (selfhost on CPython, wasmtime-py native side)", "",
             "`python -m bench.tier2_e2e --rounds %d`, %s. Best CPU time (user + system: the "
             "machine is shared and loaded) of %d interleaved rounds per mode, start-up included (decode, instrumentation, wasmtime compile). "
             "off: `--offload off` (tiers 0/1 only); plain: offload with the uninstrumented "
             "native module (no safe point in native code); tier2: the instrumented native "
             "module (default now); imports: tier 2 with `--offload imports` (functions that "
             "call imports run natively, each import call a round trip to selfhost's WASI); "
             "wasmtime: the real wasmtime CLI (process start included)."
             % (ns.rounds, time.strftime("%Y-%m-%d %H:%M"), ns.rounds), "",
             "| app | args | " + " | ".join(cols) + " | tier2 / plain | imports / wasmtime |",
             "|---|---|" + "---|" * (len(cols) + 2)]
    for name, args, best in rows:
        cells = ["%.3f s" % best[c] if c in best else "-" for c in cols]
        r1 = "%.2fx" % (best["tier2"] / best["plain"]) if "tier2" in best and "plain" in best \
            else "-"
        r2 = "%.2fx" % (best["imports"] / best["wasmtime"]) if "imports" in best else "-"
        lines.append("| %s | %s | %s | %s | %s |" % (name, " ".join(map(str, args)),
                                                     " | ".join(cells), r1, r2))
    lines += ["", "Machine: %s, Python %s; load average at the start %.1f %.1f %.1f."
              % (platform.platform(), platform.python_version(), *load)]
    Path(ns.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
