"""A big module's start-up and memory (issue 12): `python -m bench.bigmodule`.

    python -m bench.bigmodule [--repeat N] [--hosts native,wasmtime] [--module SELFHOST.wasm]
                              [--engine DIR] [--out bench/results/bigmodule.md]

The module: tests/bigmodule/gen.py's big.wasm (C, many functions with varied bodies, built with
zig at bench time, about 24 MB). Measured, each in a fresh process:

    first instruction   launch -> the app instantiated (selfhost --stats' "instantiated" mark:
                        its first instruction follows), median of --repeat launches; natively
                        `python -m selfhost`, and selfhost.wasm on wasmtime-py through
                        host.launch as `selfhost run --runtime wasmtime` does
    decode+validate     interp.decode alone: seconds, and the process's peak RSS (VmHWM from
                        /proc/self/status) before the module is read and after, over the module's size

--engine DIR measures the native rows with the interp/ of another checkout (a before/after
comparison); the wasmtime row always uses --module. Writes bench/results/bigmodule.md and
bigmodule.json. Not a test: numbers vary with the machine's load.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GUEST_DIR = "/big"


def _args():
    """The app's argv: two small function numbers and the last one."""
    from tests.bigmodule.gen import NFUNCS
    return ["3", "17", str(NFUNCS - 1)]


ARGS = _args()

_DECODE = r"""
import sys, time
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
import interp
before = hwm()                      # before the module is read: its own bytes count too
data = open(sys.argv[1], "rb").read()
t0 = time.perf_counter()
m = interp.decode(data)
t1 = time.perf_counter()
print(t1 - t0, before, hwm(), len(m.funcs))
"""


def measure_decode(app, engine):
    out = subprocess.run([sys.executable, "-c", _DECODE, str(app)], cwd=engine,
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=str(engine))).stdout.split()
    secs, before, peak, nfuncs = float(out[0]), int(out[1]), int(out[2]), int(out[3])
    return {"seconds": secs, "hwm_before": before, "hwm": peak, "functions": nfuncs}


def launch_native(app, engine, work):
    stats = work / "stats.json"
    stats.unlink(missing_ok=True)
    t0 = time.time()
    p = subprocess.run([sys.executable, "-m", "selfhost", "--stats", str(stats), str(app)]
                       + ARGS, cwd=engine, capture_output=True, text=True, timeout=900,
                       env=dict(os.environ, PYTHONPATH=str(engine)))
    t1 = time.time()
    return _row(p.returncode, p.stdout, p.stderr, t0, t1, stats)


def launch_wasmtime(app, module, work):
    from host import launch
    stats = work / "stats.json"
    stats.unlink(missing_ok=True)
    argv = ["--stats", GUEST_DIR + "/stats.json", GUEST_DIR + "/" + app.name] + ARGS
    os.link(app, work / app.name) if not (work / app.name).exists() else None
    t0 = time.time()
    p = launch.run("wasmtime", argv, dirs=[(str(work), GUEST_DIR)], module=module, timeout=900)
    t1 = time.time()
    return _row(p.returncode, p.stdout.decode(), p.stderr.decode(errors="replace"), t0, t1,
                stats)


def _row(rc, stdout, stderr, t0, t1, stats):
    from tests.bigmodule.gen import expected_output
    if rc != 0:
        raise RuntimeError("exit %d: %s" % (rc, stderr[-500:]))
    if stdout != expected_output(ARGS):
        raise RuntimeError("wrong output: %r" % stdout[:300])
    marks = json.loads(stats.read_text())["startup"]
    return {"first": marks["instantiated"] - t0, "decoded": marks["decoded"] - t0,
            "total": t1 - t0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--hosts", default="native,wasmtime")
    ap.add_argument("--module", default=str(ROOT / "build" / "selfhost.wasm"))
    ap.add_argument("--engine", default=str(ROOT))
    ap.add_argument("--out", default=str(RESULTS / "bigmodule.md"))
    ns = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.bigmodule.gen import NFUNCS, build_big
    app = build_big()
    size = app.stat().st_size
    engine = Path(ns.engine).resolve()
    hosts = ns.hosts.split(",")
    res = {"module": "tests/bigmodule/gen.py big.wasm (%d table functions)" % NFUNCS,
           "size": size, "engine": str(engine), "machine": platform.machine(),
           "python": platform.python_version()}
    dec = [measure_decode(app, engine) for _ in range(ns.repeat)]
    res["decode_seconds"] = statistics.median(d["seconds"] for d in dec)
    res["hwm_before"] = min(d["hwm_before"] for d in dec)
    res["hwm"] = max(d["hwm"] for d in dec)
    res["functions"] = dec[0]["functions"]
    print("decode+validate: %.2f s, peak RSS %.1f MB (%.1f MB before)" % (
        res["decode_seconds"], res["hwm"] / 1e6, res["hwm_before"] / 1e6), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "native" in hosts:
            rows = [launch_native(app, engine, work) for _ in range(ns.repeat)]
            res["native"] = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
            print("native:", res["native"], flush=True)
        if "wasmtime" in hosts:
            launch_wasmtime(app, ns.module, work)     # warm the compile cache: not counted
            rows = [launch_wasmtime(app, ns.module, work) for _ in range(ns.repeat)]
            res["wasmtime"] = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
            print("wasmtime:", res["wasmtime"], flush=True)
    out = Path(ns.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(res, indent=1) + "\n")
    out.write_text(report(res))
    print(out)


def report(res):
    mb = 1e6
    lines = ["# Big module: start-up and decode memory", "",
             "Module: %s, %.1f MB, %d defined functions. Engine: %s. Python %s, %s." % (
                 res["module"], res["size"] / mb, res["functions"], res["engine"],
                 res["python"], res["machine"]),
             "Generated by `python -m bench.bigmodule` (medians; see its docstring).", "",
             "| measure | value |", "|---|---|",
             "| interp.decode (decode + validate), native | %.2f s |" % res["decode_seconds"],
             "| peak RSS of that process (VmHWM) | %.1f MB = %.2f x module |" % (
                 res["hwm"] / mb, res["hwm"] / res["size"]),
             "| peak RSS growth over the process before decode | %.1f MB = %.2f x module |" % (
                 (res["hwm"] - res["hwm_before"]) / mb,
                 (res["hwm"] - res["hwm_before"]) / res["size"])]
    for host, label in (("native", "`python -m selfhost`"),
                        ("wasmtime", "selfhost.wasm on wasmtime-py")):
        if host in res:
            r = res[host]
            lines.append("| first instruction, %s | %.2f s (decoded at %.2f s; run ends %.2f s)"
                         " |" % (label, r["first"], r["decoded"], r["total"]))
    if "native" in res and "wasmtime" in res:
        lines.append("| wasmtime / native, first instruction | %.2f x |" % (
            res["wasmtime"]["first"] / res["native"]["first"]))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
