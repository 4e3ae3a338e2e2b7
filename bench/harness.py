"""`python -m bench`: run every kernel on every runtime in one run, check the checksums agree,
write results.json, results.md and results.png.

Runtimes:
- interp              selfhost's interpreter on this CPython (embedding API, in a child process)
- interp-ckpt         the same with checkpoint trigger polling on (the cost of checkpointability)
- selfhost-wasmtime   build/selfhost.wasm on wasmtime  } through host.launch.run, running the
- selfhost-wasmer     build/selfhost.wasm on Wasmer    } kernel's WASI command build, which
- selfhost-node       build/selfhost.wasm on Node      } times each of its calls itself
- pywasm              pywasm 1.2.3, pure Python
- wasm3               wasm3 (PyPI pywasm3)
- wasmtime            native wasmtime (wasmtime-py)
A runtime that cannot run here is skipped with a note; a timeout or an error costs one cell.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from . import build as kbuild
from . import peers
from . import report

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path(__file__).resolve().parent / "results"

IN_PROCESS = ("interp", "interp-ckpt", "pywasm", "wasm3", "wasmtime")
HOSTED = ("selfhost-wasmtime", "selfhost-wasmer", "selfhost-node")
RUNTIMES = ("interp", "interp-ckpt") + HOSTED + ("pywasm", "wasm3", "wasmtime")

# Full sizes follow the design notes' table (fib(20), sieve(100000), matmul(32), mix 100000
# rounds); vm and nbody are sized to a similar 3-4 million Wasm instructions.
SIZES = {"fib": 20, "sieve": 100000, "matmul": 32, "mix64": 100000, "vm": 300, "nbody": 2000}
# --quick: about a tenth of the work per kernel.
QUICK_SIZES = {"fib": 15, "sieve": 10000, "matmul": 16, "mix64": 10000, "vm": 30, "nbody": 200}

# Seconds per measurement (one child process, or one selfhost launch) before giving up.
TIMEOUTS = {"interp": 300, "interp-ckpt": 300, "pywasm": 300, "wasm3": 60, "wasmtime": 60,
            "selfhost-wasmtime": 600, "selfhost-wasmer": 600, "selfhost-node": 600}

GUEST_DIR = "/kernels"


def _child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def run_peer(runtime, wasm, name, size, min_time, max_reps, timeout):
    """One in-process measurement in a child process; returns the cell dict."""
    cmd = [sys.executable, "-m", "bench.peers", runtime, str(wasm), name, str(size),
           "--min-time", str(min_time), "--max-reps", str(max_reps)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=str(ROOT), env=_child_env())
    except subprocess.TimeoutExpired:
        return {"error": "timeout after %d s" % timeout}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["exit code %d" % proc.returncode])[-1]
        return {"error": tail[:200]}
    return json.loads(lines[-1])


def hosted_available(runtime):
    """None when selfhost.wasm can run under this host, else the reason it cannot."""
    try:
        from host import launch
    except ImportError as e:
        return "host.launch not importable: %s" % e
    if not launch.selfhost_wasm().is_file():
        return "%s not built (./build.sh)" % os.path.relpath(launch.selfhost_wasm(), ROOT)
    host = runtime.split("-", 1)[1]
    if host == "node" and not shutil_which("node"):
        return "node not on PATH"
    if host == "wasmer":
        try:
            import wasmer_sdk  # noqa: F401
        except ImportError:
            return "wasmer-sdk not installed"
    # one launch of `selfhost --version` first: a broken build costs one launch, not one per kernel
    try:
        result = launch.run(host, ["--version"], timeout=TIMEOUTS[runtime])
    except subprocess.TimeoutExpired:
        return "`selfhost --version` timed out"
    except Exception as e:
        return "`selfhost --version` failed: %s: %s" % (type(e).__name__, e)
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines() or [""]
        last = [line for line in lines if "trap" in line or "error" in line] or lines
        return "`selfhost --version` exits with %d: %s" % (result.returncode, last[-1].strip()[:120])
    return None


def _safe_point_every():
    from selfhost.session import SAFE_POINT_EVERY
    return SAFE_POINT_EVERY


def shutil_which(name):
    import shutil
    return shutil.which(name)


def _launch_once(runtime, command_wasm, size, calls, timeout):
    """One launch of the kernel's WASI command: (seconds, per-call seconds, checksum)."""
    from host import launch
    host = runtime.split("-", 1)[1]
    # --offload off: this table measures the interpreter (offload has its own benchmark)
    argv = ["--offload", "off", GUEST_DIR + "/" + command_wasm.name, str(size), str(calls)]
    t0 = time.perf_counter()
    result = launch.run(host, argv, dirs=[(str(command_wasm.parent), GUEST_DIR)],
                        timeout=timeout)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        err = result.stderr.decode(errors="replace").strip().splitlines() or [""]
        raise RuntimeError("exit code %d: %s" % (result.returncode, err[-1][:200]))
    lines = result.stdout.decode().split("\n")
    per_call = [int(line.split()[1]) / 1e9 for line in lines if line.startswith("ns ")]
    return elapsed, per_call, int(lines[-2] if lines[-1] == "" else lines[-1])


def run_hosted(runtime, command_wasm, size, reps, timeout):
    """selfhost.wasm running the kernel's WASI command under one host. The command calls the
    kernel ``reps`` times and times each call with the WASI monotonic clock (through selfhost
    and the host): "seconds" is the best call, as for the in-process runtimes, "times" all of
    them (the first pays for warm-up: lowering, tier-1 compilation). "startup_seconds" is a
    whole launch at size 0 (the host's load of selfhost.wasm, Python's start-up inside it,
    decoding the kernel, libc start-up), "total_seconds" the whole launch at the size."""
    try:
        startup = min(_launch_once(runtime, command_wasm, 0, 1, timeout)[0] for _ in range(2))
        total, times, checksum = _launch_once(runtime, command_wasm, size, max(reps, 2), timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timeout after %d s" % timeout}
    except Exception as e:
        return {"error": "%s: %s" % (type(e).__name__, e)}
    if not times:
        return {"error": "the command printed no call times (stale kernel build?)"}
    return {"seconds": min(times), "first_call_seconds": times[0], "total_seconds": total,
            "startup_seconds": startup, "times": times, "checksum": peers.signed64(checksum)}


def count_instructions(wasm, name, size):
    cell = run_peer("count", wasm, name, size, 0, 1, 300)
    return cell.get("instructions")


def check_agreement(results):
    """Mark cells whose checksum differs from native wasmtime's (or, without it, from the
    most common one). Returns the list of mismatch descriptions."""
    problems = []
    for kernel, row in results["cells"].items():
        sums = {rt: c["checksum"] for rt, c in row.items() if "checksum" in c}
        if not sums:
            continue
        if "wasmtime" in sums:
            expected = sums["wasmtime"]
        else:
            values = list(sums.values())
            expected = max(set(values), key=values.count)
        results["checksums"][kernel] = expected
        for rt, value in sums.items():
            if value != expected:
                row[rt]["mismatch"] = True
                problems.append("%s on %s: checksum %d, expected %d" % (kernel, rt, value, expected))
    return problems


def machine_info():
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count()}
    try:
        info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


def machine_line(when="at the end"):
    """machine_info() as a results file's last line."""
    info = machine_info()
    load = " ".join("%.1f" % x for x in info.get("loadavg", ())) or "unknown"
    return "Machine: %s, Python %s; load average %s %s." % (info["platform"], info["python"],
                                                         when, load)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="about a tenth of the work per kernel, fewer repetitions")
    parser.add_argument("--kernels", nargs="+", choices=list(kbuild.KERNELS),
                        default=list(kbuild.KERNELS))
    parser.add_argument("--runtimes", nargs="+", choices=list(RUNTIMES), default=list(RUNTIMES))
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="results directory")
    parser.add_argument("--cache", default=str(kbuild.DEFAULT_CACHE),
                        help="where the kernels are built")
    parser.add_argument("--readme", metavar="README.md", default=None,
                        help="also rewrite the generated Performance section of this README")
    parser.add_argument("--from-json", metavar="RESULTS.json", default=None,
                        help="measure nothing: rewrite the reports from an earlier results.json")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per measurement for every runtime (default: per runtime)")
    args = parser.parse_args(argv)

    if args.from_json:
        try:
            results = json.loads(Path(args.from_json).read_text())
        except (OSError, ValueError) as e:
            print("bench: cannot read %s: %s" % (args.from_json, e), file=sys.stderr)
            return 1
        return write_reports(results, Path(args.out), args.readme)

    sizes = QUICK_SIZES if args.quick else SIZES
    min_time, max_reps, hosted_reps = (0.3, 3, 2) if args.quick else (2.0, 5, 3)
    try:
        built = kbuild.build(args.kernels, args.cache)
    except kbuild.BuildError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 1

    results = {"mode": "quick" if args.quick else "full", "date": time.strftime("%Y-%m-%d %H:%M"),
               "machine": machine_info(), "runtimes": list(args.runtimes),
               "kernels": list(args.kernels), "sizes": {k: sizes[k] for k in args.kernels},
               "instructions": {}, "cells": {}, "checksums": {}, "unavailable": {},
               "safe_point_every": _safe_point_every()}
    for rt in args.runtimes:
        if rt in HOSTED:
            print("bench: checking %s" % rt, flush=True)
            reason = hosted_available(rt)
            if reason:
                results["unavailable"][rt] = reason

    for kernel in args.kernels:
        size = sizes[kernel]
        paths = built[kernel]
        results["instructions"][kernel] = count_instructions(paths["freestanding"], kernel, size)
        row = results["cells"][kernel] = {}
        for rt in args.runtimes:
            if rt in results["unavailable"]:
                continue
            timeout = args.timeout or TIMEOUTS[rt]
            print("bench: %-7s %-18s" % (kernel, rt), end=" ", flush=True)
            if rt in HOSTED:
                cell = run_hosted(rt, paths["command"], size, hosted_reps, timeout)
            else:
                cell = run_peer(rt, paths["freestanding"], kernel, size, min_time, max_reps,
                                timeout)
            if "unavailable" in cell:
                results["unavailable"][rt] = cell["unavailable"]
                print("unavailable:", cell["unavailable"])
                continue
            row[rt] = cell
            print("%.4f s" % cell["seconds"] if "seconds" in cell else cell.get("error"))
    results["machine"]["loadavg_end"] = machine_info().get("loadavg")
    results["mismatches"] = check_agreement(results)

    return write_reports(results, Path(args.out), args.readme)


def write_reports(results, out, readme=None):
    """results.json/.md/.png in ``out``, and the README section when asked."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "results.md").write_text(report.markdown(results))
    plot_note = report.plot(results, out / "results.png")
    print("bench: wrote %s" % ", ".join(os.path.relpath(out / n) for n in
                                         ("results.json", "results.md", "results.png")))
    if plot_note:
        print("bench: %s" % plot_note)
    if readme:
        report.update_readme(readme, results)
        print("bench: updated the Performance section of %s" % readme)
    for problem in results["mismatches"]:
        print("bench: MISMATCH %s" % problem, file=sys.stderr)
    return 1 if results["mismatches"] else 0
