"""Tier 2's instrumentation cost: `python -m bench.tier2_bench [--rounds N] [--quick]`.

Per benchmark kernel (bench/kernels, the freestanding builds), in wasmtime-py: the original
module against the same module with every function instrumented (interp/instrument.py, default
loop tick), both called directly from Python (tests/tier2_wasmtime.py wires the instrumented
module's helper imports):

* time per call, the best of ``--rounds`` interleaved calls of each, as thread CPU time (the
  machine is shared: wall time is noisier). Instrumented twice: the countdown that never runs
  out (``poll`` called once per call at most: the cost of the checks alone), and a host-like
  policy sizing each countdown for a poll about every POLL_INTERVAL (``poll`` is a Python
  function: the cost of polling at that rate, the checkpoint latency's bound);
* what one unwind costs (the poll answers 0 -> the call returns with every frame spilled) and
  one rewind (the call with the records -> the next poll), measured mid-call;
* code size: the code section, and the whole module, before and after.

Also the real programs of tests/real (when their sdists can be had): code size and the time to
instrument (decode + instrument + encode), the offloadable functions and all functions.
Writes bench/results/tier2.md (and tier2.json). Not a test: the numbers vary with the load.
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import wasmtime

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import interp                                          # noqa: E402
from bench import build as kbuild                      # noqa: E402
from interp.encode import encode_code_entry            # noqa: E402
from interp.instrument import instrument               # noqa: E402
from interp.offload import analyze                     # noqa: E402
from interp import tier2                               # noqa: E402
from tests.tier2_wasmtime import NativeT2              # noqa: E402

RESULTS = ROOT / "bench" / "results"
KERNELS = ("fib", "sieve", "matmul", "mix64", "vm", "nbody")
SIZES = {"fib": 30, "sieve": 3000000, "matmul": 128, "mix64": 20000000, "vm": 10000,
         "nbody": 300000}
QUICK_SIZES = {"fib": 25, "sieve": 300000, "matmul": 64, "mix64": 2000000, "vm": 1000,
               "nbody": 30000}
POLL_INTERVAL = 1e-3     # the polled column: a poll about every millisecond
NEVER = 1 << 30


def code_bytes(module):
    return sum(len(encode_code_entry(f)) for f in module.funcs)


def best_interleaved(calls, rounds):
    """Best thread CPU time of each callable, calling them in turn ``rounds`` times."""
    best = [float("inf")] * len(calls)
    for _ in range(rounds):
        for i, f in enumerate(calls):
            t0 = time.thread_time()
            f()
            best[i] = min(best[i], time.thread_time() - t0)
    return best


class AdaptivePoll:
    """A host's poll policy: the next countdown is sized so that polls come about every
    ``interval`` seconds (ticks differ: one per recursive call, one per LOOP_TICK loop
    headers). ``unwind_at``: answer 0 (unwind) at that poll; the clock is noted then."""

    def __init__(self, interval=1e-3, unwind_at=None):
        self.interval = interval
        self.budget = 1000
        self.last = time.perf_counter()
        self.polls = 0
        self.unwind_at = unwind_at
        self.asked = None

    def __call__(self):
        self.polls += 1
        now = time.perf_counter()
        if self.polls == self.unwind_at:
            self.asked = now
            return 0
        elapsed = max(now - self.last, 1e-7)
        self.budget = max(1, min(NEVER, int(self.budget * self.interval / elapsed)))
        self.last = now
        return self.budget


class TimedFeeder(tier2.RewindFeeder):
    """Notes the clock when the last value of the last record is read (the rewind is done:
    the innermost frame continues from there)."""
    done_at = None

    def _value(self):
        v = super()._value()
        if self.next == len(self.records) and self.pos == len(self.values):
            self.done_at = time.perf_counter()
        return v


def unwind_rewind(ins, index, n, engine, module):
    """(unwind seconds, rewind seconds, frames): one unwind in the middle of a call (at the
    middle poll of the adaptive policy), then its rewind in place (checkpoint-and-continue),
    timed from the poll's answer to the return, and from the rewinding call to the last
    record value read."""
    nat = NativeT2(ins, engine=engine, module=module)
    nat.poller = AdaptivePoll(interval=1e-4)
    nat.call(index, [n])
    total = nat.poller.polls
    if total < 2:
        return None
    nat = NativeT2(ins, engine=engine, module=module)
    nat.poller = policy = AdaptivePoll(interval=1e-4, unwind_at=total // 2)
    kind, records = nat.call(index, [n])
    t_unwound = time.perf_counter()
    if kind != "unwound":
        return None
    plan = tier2.continue_records(records, ins.funcs)
    nat.feeder = feeder = TimedFeeder(plan.records)
    nat.state_g.set_value(nat.store, 2)
    t0 = time.perf_counter()
    nat.call(plan.func, plan.args)
    return t_unwound - policy.asked, feeder.done_at - t0, len(records)


def kernel_rows(sizes, rounds):
    built = kbuild.build()
    engine = wasmtime.Engine()
    rows = {}
    for name in KERNELS:
        n = sizes[name]
        data = built[name]["freestanding"].read_bytes()
        m = interp.decode(data)
        nimp = len(m.imported("func"))
        ins = instrument(m, range(nimp, nimp + len(m.funcs)))
        index = [e.index for e in m.exports if e.name == name][0]
        store = wasmtime.Store(engine)
        orig = wasmtime.Instance(store, wasmtime.Module(engine, data), []).exports(store)[name]
        native_module = wasmtime.Module(engine, ins.data)
        quiet = NativeT2(ins, budget=NEVER, engine=engine, module=native_module)
        polled = NativeT2(ins, engine=engine, module=native_module)
        polled.poller = AdaptivePoll(POLL_INTERVAL)
        fq = quiet.exports[name]
        fp = polled.exports[name]
        want = orig(store, n)
        assert fq(quiet.store, n) == want and fp(polled.store, n) == want
        polled.poller.polls = 0
        t_orig, t_quiet, t_polled = best_interleaved(
            [lambda: orig(store, n), lambda: fq(quiet.store, n), lambda: fp(polled.store, n)],
            rounds)
        polls_per_call = polled.poller.polls / rounds
        ur = unwind_rewind(ins, index, n, engine, native_module)
        rows[name] = {
            "n": n, "original_s": t_orig, "instrumented_s": t_quiet,
            "polled_s": t_polled, "ratio": t_quiet / t_orig, "ratio_polled": t_polled / t_orig,
            "polls_per_call": polls_per_call,
            "unwind_s": ur[0] if ur else None, "rewind_s": ur[1] if ur else None,
            "frames": ur[2] if ur else None,
            "code_bytes": code_bytes(m), "code_bytes_instrumented": code_bytes(ins.module),
            "module_bytes": len(data), "module_bytes_instrumented": len(ins.data)}
        print("%-7s %.2f ms -> %.2f ms (%.2fx), polled %.2fx" % (
            name, t_orig * 1e3, t_quiet * 1e3, t_quiet / t_orig, t_polled / t_orig),
            flush=True)
    return rows


def program_rows():
    try:
        from tests.real.build import PROGRAMS, Unavailable, build_program
    except ImportError:
        return {}, "tests/real not importable"
    rows = {}
    for name in PROGRAMS:
        try:
            path = build_program(name)
        except Unavailable as e:
            return rows, str(e)
        data = Path(path).read_bytes()
        t0 = time.perf_counter()
        m = interp.decode(data)
        t_decode = time.perf_counter() - t0
        nimp = len(m.imported("func"))
        for label, funcs in (("offloadable", sorted(analyze(m).offloadable)),
                             ("all", range(nimp, nimp + len(m.funcs)))):
            t0 = time.perf_counter()
            ins = instrument(m, funcs)
            t_ins = time.perf_counter() - t0
            rows["%s (%s)" % (name, label)] = {
                "functions": len(m.funcs), "given": len(funcs),
                "with_safe_points": len(ins.funcs), "skipped": len(ins.skipped),
                "code_bytes": code_bytes(m), "code_bytes_instrumented": code_bytes(ins.module),
                "decode_s": t_decode, "instrument_s": t_ins,
                "points": sum(len(fp.points) for fp in ins.funcs.values())}
    return rows, None


def _ms(s):
    return "-" if s is None else ("%.2f ms" % (s * 1e3) if s >= 1e-3 else "%.0f us" % (s * 1e6))


def report(results):
    k = results["kernels"]
    lines = ["# Tier 2: instrumentation cost (wasmtime-py)", "",
             "`python -m bench.tier2_bench --rounds %d`%s, %s. Per kernel the best of %d "
             "interleaved calls (thread CPU time) of the original module and of the module with "
             "every function instrumented (interp/instrument.py, default loop tick), called "
             "from Python. *checks only*: the countdown never runs out; *polled*: `poll` (a "
             "Python function) sizes each countdown for a poll every %.0f ms. Unwind: from the "
             "poll's answer to the call's return with every frame spilled (the helper imports "
             "are wasmtime-py host calls); rewind: from the call with the records "
             "(tier2.continue_records) to the last value read." % (
                 results["rounds"], " --quick" if results["quick"] else "", results["date"],
                 results["rounds"], POLL_INTERVAL * 1e3), "",
             "| kernel | original | instrumented (checks only) | ratio | polled | ratio | "
             "polls / call | unwind | rewind | frames | code bytes | instrumented | growth |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    prod = prod_p = 1.0
    for name, r in k.items():
        prod *= r["ratio"]
        prod_p *= r["ratio_polled"]
        lines.append("| %s(%d) | %s | %s | %.2fx | %s | %.2fx | %.0f | %s | %s | %s | %d | %d | "
                     "%.2fx |" % (
                         name, r["n"], _ms(r["original_s"]), _ms(r["instrumented_s"]),
                         r["ratio"], _ms(r["polled_s"]), r["ratio_polled"],
                         r["polls_per_call"], _ms(r["unwind_s"]), _ms(r["rewind_s"]),
                         r["frames"] or "-", r["code_bytes"], r["code_bytes_instrumented"],
                         r["code_bytes_instrumented"] / r["code_bytes"]))
    g = len(k)
    lines.append("| geomean | | | %.2fx | | %.2fx | | | | | | | |" % (prod ** (1 / g),
                                                                       prod_p ** (1 / g)))
    lines += ["", "## Real programs (tests/real): size and instrumentation time", ""]
    if results.get("programs_note"):
        lines.append("Not measured: %s" % results["programs_note"])
    else:
        lines += ["| program (functions given) | functions | given | with safe points | "
                  "skipped | safe points | code bytes | instrumented | growth | decode | "
                  "instrument + encode |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, r in results["programs"].items():
            lines.append("| %s | %d | %d | %d | %d | %d | %d | %d | %.2fx | %.2f s | %.2f s |" % (
                name, r["functions"], r["given"], r["with_safe_points"], r["skipped"],
                r["points"], r["code_bytes"], r["code_bytes_instrumented"],
                r["code_bytes_instrumented"] / r["code_bytes"], r["decode_s"],
                r["instrument_s"]))
    lines += ["", "Machine: %s, Python %s, wasmtime-py %s; load average at the start %s." % (
        results["platform"], results["python"], results["wasmtime"], results["load"]), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.tier2_bench",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--no-programs", action="store_true")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        print("--rounds must be at least 1", file=sys.stderr)
        return 2
    load = " ".join("%.1f" % x for x in os.getloadavg())
    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "rounds": args.rounds,
               "quick": args.quick, "platform": platform.platform(),
               "python": platform.python_version(), "load": load,
               "wasmtime": getattr(wasmtime, "__version__", "50.0.1")}
    results["kernels"] = kernel_rows(QUICK_SIZES if args.quick else SIZES, args.rounds)
    if args.no_programs:
        results["programs"], results["programs_note"] = {}, "--no-programs"
    else:
        results["programs"], results["programs_note"] = program_rows()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tier2.json").write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / "tier2.md").write_text(report(results))
    print((RESULTS / "tier2.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
