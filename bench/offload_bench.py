"""Hot-function offload per host runtime: `python -m bench.offload_bench`.

The app is bench/offload/driver.c linked with the benchmark kernels (bench/kernels/NAME.c,
unchanged), built with zig into bench/.cache/ (never committed): a WASI command that calls
each kernel ROUNDS times with a size that takes >= 1 ms natively in wasmtime, printing every
checksum (stdout) and the guest-clock time of every call (stderr).

Per host (native = selfhost's Python on this CPython with wasmtime-py as the native side;
wasmtime = selfhost.wasm under wasmtime-py; node = selfhost.wasm under node:wasi):
- the whole run, process launched -> exited, with `--offload auto` and with `--offload off`,
  and the ratio; the outputs must be identical;
- per kernel, the steady-state time of one offloaded call (median over rounds 2..N, as seen
  by the guest: doorbell, memory sync and native call included) against the same call in
  native wasmtime (the driver run directly by wasmtime-py, median over its rounds 2..N): the
  ratio (the target is <= 3x).
Wasmer (wasmer-sdk) cannot provide a native side: see NO_NATIVE_SIDE.
Writes bench/results/offload.md (and offload.json). Not a test: numbers vary with the load.
"""
import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "bench" / "offload" / "driver.c"
KERNEL_DIR = ROOT / "bench" / "kernels"
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"
KERNELS = ("fib", "sieve", "matmul", "mix64", "vm", "nbody")
# >= 1 ms per call in native wasmtime on the reference machine (see the report's native column)
SIZES = {"fib": 27, "sieve": 300000, "matmul": 104, "mix64": 500000, "vm": 2000,
         "nbody": 15000}
# a 64 KiB stack (zig's default is 16 MiB): offload copies the whole memory when it must
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-fno-sanitize=undefined",
          "-Wl,-z,stack-size=65536"]
RUNTIMES = ("native", "wasmtime", "node")
NO_NATIVE_SIDE = ("wasmer: no native side. wasmer-sdk (0.5) only runs whole WASI packages in "
                  "a sandbox (packages.load / sandboxes.create / command.spawn): it can neither "
                  "define a host function (the fd_advise doorbell) nor reach the guest's "
                  "memory, and it has no API to instantiate a second module. selfhost.wasm on "
                  "Wasmer finds no doorbell, so --offload auto interprets everything (= off).")


def build():
    """The driver, built when its sources or flags changed."""
    sources = [DRIVER] + [KERNEL_DIR / (k + ".c") for k in KERNELS]
    digest = hashlib.sha256(repr(CFLAGS).encode())
    for p in sources + [KERNEL_DIR / "common.h"]:
        digest.update(p.read_bytes())
    out = CACHE / "offload_driver.wasm"
    stamp = CACHE / "offload_driver.sha256"
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == digest.hexdigest():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = CACHE / ("offload_driver.%d.tmp.wasm" % os.getpid())
    subprocess.run([sys.executable, "-m", "ziglang", "cc", *CFLAGS, *map(str, sources),
                    "-o", str(tmp)], check=True, capture_output=True)
    os.replace(tmp, out)
    stamp.write_text(digest.hexdigest() + "\n")
    return out


def app_args(rounds, sizes):
    return [str(rounds)] + ["%s=%d" % (k, sizes[k]) for k in KERNELS if k in sizes]


def parse_times(stderr):
    """{kernel: [ns of round 0, round 1, ...]} from the driver's "time NAME ROUND NS" lines."""
    out = {}
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "time":
            out.setdefault(parts[1], []).append(int(parts[3]))
    return out


def steady(times):
    """Median of the calls after the first (the steady state), in seconds."""
    rest = times[1:] or times
    return statistics.median(rest) * 1e-9


_NATIVE_SCRIPT = r"""
import sys, wasmtime
eng = wasmtime.Engine(); store = wasmtime.Store(eng)
w = wasmtime.WasiConfig(); w.argv = ["driver"] + sys.argv[2:]
w.inherit_stdout(); w.inherit_stderr(); store.set_wasi(w)
linker = wasmtime.Linker(eng); linker.define_wasi()
inst = linker.instantiate(store, wasmtime.Module.from_file(eng, sys.argv[1]))
try:
    inst.exports(store)["_start"](store)
except wasmtime.ExitTrap as e:
    if e.code:
        sys.exit(e.code)
sys.stderr.write("memory %d\n" % inst.exports(store)["memory"].data_len(store))
"""


def run_native_wasmtime(app, args):
    """The driver run directly by wasmtime-py: the reference per-call times."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _NATIVE_SCRIPT, str(app), *args],
                          capture_output=True, timeout=600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError("native wasmtime run failed: %s" % proc.stderr.decode()[-400:])
    err = proc.stderr.decode()
    mem = [int(line.split()[1]) for line in err.splitlines() if line.startswith("memory ")]
    return wall, proc.stdout.decode(), parse_times(err), (mem[0] if mem else None)


def run_selfhost(runtime, app, mode, args, timeout):
    cmd = [sys.executable, "-m", "host.cli", "run", "--runtime", runtime, "--offload", mode,
           "--profile", str(app), *args]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    err = proc.stderr.decode()
    if proc.returncode != 0:
        raise RuntimeError("%s --offload %s failed (exit %d): %s"
                           % (runtime, mode, proc.returncode, err[-600:]))
    profile = [line for line in err.splitlines() if not line.startswith("time ")]
    return wall, proc.stdout.decode(), parse_times(err), profile


def warm_up(runtime, app):
    """One tiny run first, so that the timed runs start from the compiled-module cache
    (wasmtime's first compile of a new selfhost.wasm takes ~20 s) and warm file caches."""
    run_selfhost(runtime, app, "off", ["1", "fib=2"], 900)


def bench_runtime(runtime, app, args, ref, timeout):
    row = {}
    warm_up(runtime, app)
    wall_on, out_on, times_on, prof_on = run_selfhost(runtime, app, "auto", args, timeout)
    print("offload_bench: %s auto %.2f s" % (runtime, wall_on), file=sys.stderr, flush=True)
    wall_off, out_off, times_off, _prof = run_selfhost(runtime, app, "off", args, timeout)
    print("offload_bench: %s off %.2f s" % (runtime, wall_off), file=sys.stderr, flush=True)
    row["auto_s"] = wall_on
    row["off_s"] = wall_off
    row["speedup"] = wall_off / wall_on
    row["identical"] = out_on == out_off == ref["stdout"]
    row["kernels"] = {}
    for k, ts in times_on.items():
        per_call = steady(ts)
        row["kernels"][k] = {"first_call_s": ts[0] * 1e-9, "steady_call_s": per_call,
                             "ratio_vs_native": per_call / ref["kernels"][k]["steady_call_s"],
                             "off_steady_call_s": steady(times_off[k]) if k in times_off
                             else None}
    row["profile"] = prof_on
    return row


def _ms(v):
    return "n/a" if v is None else "%.2f ms" % (v * 1e3) if v < 1 else "%.2f s" % v


def render(res):
    rounds, sizes = res["rounds"], res["sizes"]
    ref = res["native_wasmtime"]
    lines = ["# Hot-function offload (bench/offload/driver.c + bench/kernels)", "",
             "`python -m bench.offload_bench --rounds %d`: the driver calls each kernel %d "
             "times (%s). Whole run: process launched -> exited (after one untimed warm-up "
             "run per host, so selfhost.wasm is in the compiled-module cache), real runs, no "
             "extrapolation. "
             "Per call: the guest's clock around one kernel call, median over rounds 2..%d "
             "(an offloaded call includes the doorbell, the memory sync and the native call); "
             "native = the same driver run directly by wasmtime-py (median over its rounds "
             "2..%d). Hosts: native = selfhost's Python on CPython with wasmtime-py as the "
             "native side; wasmtime = selfhost.wasm under wasmtime-py (host/runtimes/wasmtime_py_child.py); "
             "node = selfhost.wasm under node:wasi (host/node_launcher.mjs)."
             % (rounds, rounds, ", ".join("%s(%d)" % kv for kv in sizes.items()), rounds,
                rounds), "",
             "## Whole run, offload auto vs off", "",
             "| host | offload auto | offload off | off / auto | output identical |",
             "|---|---|---|---|---|"]
    for rt, r in res["hosts"].items():
        if "error" in r:
            lines.append("| %s | error: %s | | | |" % (rt, r["error"].replace("|", "/")[:300]))
            continue
        lines.append("| %s | %.2f s | %.2f s | %.1fx | %s |" % (
            rt, r["auto_s"], r["off_s"], r["speedup"], "yes" if r["identical"] else "NO"))
    lines.append("| wasmer | (= off) | | 1x | |")
    lines += ["", NO_NATIVE_SIDE, "",
              "Native wasmtime runs the whole driver in %.2f s (process, incl. compile)."
              % ref["wall_s"], "",
              "## Steady-state time per call: offloaded vs native wasmtime", "",
              "Ratio = offloaded call / the same call in native wasmtime (target <= 3x). "
              "First call: the first call of the run (offloaded at its first call under the "
              "cost model; includes one-time table sync). Interpreted: the same call with "
              "offload off, for scale.", ""]
    hosts = [rt for rt, r in res["hosts"].items() if "error" not in r]
    head = "| kernel | native wasmtime |"
    sep = "|---|---|"
    for rt in hosts:
        head += " %s offloaded | ratio | %s first call | %s interpreted |" % (rt, rt, rt)
        sep += "---|---|---|---|"
    lines += [head, sep]
    for k in ref["kernels"]:
        line = "| %s | %s |" % (k, _ms(ref["kernels"][k]["steady_call_s"]))
        for rt in hosts:
            kr = res["hosts"][rt]["kernels"].get(k)
            if kr is None:
                line += " n/a | | | |"
                continue
            line += " %s | %.2fx | %s | %s |" % (_ms(kr["steady_call_s"]), kr["ratio_vs_native"],
                                                 _ms(kr["first_call_s"]),
                                                 _ms(kr["off_steady_call_s"]))
        lines.append(line)
    lines += ["", "An offloaded call = the native call + the memory copy in and back (only for "
              "functions that can touch / write memory, from the static analysis: fib and "
              "mix64 copy nothing; the driver's memory is %s) + the doorbell (selfhost.wasm -> "
              "host) + the guest's own bookkeeping. See interp/offload.py for the cost model."
              % res.get("memory", "?"), ""]
    for rt in hosts:
        prof = res["hosts"][rt].get("profile") or []
        if prof:
            lines += ["%s, offload auto, `--profile`:" % rt, "", "```"] + prof + ["```", ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.offload_bench",
                                description=__doc__.split("\n")[0])
    p.add_argument("--runtime", action="append", choices=RUNTIMES,
                   help="only these hosts (default: all)")
    p.add_argument("--rounds", type=int, default=5, help="calls of each kernel (default 5)")
    p.add_argument("--timeout", type=float, default=1800, help="per run, seconds")
    p.add_argument("--size", action="append", default=[], metavar="KERNEL=N",
                   help="override a kernel's size")
    ns = p.parse_args(argv)
    sizes = dict(SIZES)
    for s in ns.size:
        k, _, v = s.partition("=")
        sizes[k] = int(v)
    app = build()
    args = app_args(ns.rounds, sizes)
    wall, stdout, times, memory = run_native_wasmtime(app, args)
    ref = {"wall_s": wall, "stdout": stdout,
           "kernels": {k: {"steady_call_s": steady(ts), "first_call_s": ts[0] * 1e-9}
                       for k, ts in times.items()}}
    print("offload_bench: native wasmtime %s" % {k: _ms(v["steady_call_s"])
                                                 for k, v in ref["kernels"].items()},
          file=sys.stderr, flush=True)
    sys.path.insert(0, str(ROOT))
    from host import launch
    res = {"rounds": ns.rounds, "sizes": sizes, "native_wasmtime": ref, "hosts": {},
           "memory": "%.2f MiB" % (memory / 1048576.0) if memory else "?",
           "wasmer": NO_NATIVE_SIDE}
    for rt in ns.runtime or RUNTIMES:
        if rt != "native" and not launch.selfhost_wasm().is_file():
            res["hosts"][rt] = {"error": "build/selfhost.wasm missing"}
            continue
        try:
            res["hosts"][rt] = bench_runtime(rt, app, args, ref, ns.timeout)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
            res["hosts"][rt] = {"error": str(e)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "offload.json").write_text(json.dumps(res, indent=1))
    text = render(res)
    (RESULTS / "offload.md").write_text(text)
    print(text)
    return 0 if all("error" not in r for r in res["hosts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
