"""A cheap always-on-able profiler and a debugging tracer for the machine.

Profile (``--profile``): attached to a module as ``module.codemap.profile``; the machine calls
``at_safe_point`` at every safe point (every ``check_every`` calls + loop back-edges), so it
costs nothing between safe points. Per function it reports:

* ``heat``: tier-0 calls + loop back-edges (back-edges sampled in steps of check_every), the
  machine's own tiering counter; it stops growing once the function runs in tier 1 or native;
* ``samples``: safe points reached while the function was the running frame, times
  check_every: an estimate of the calls + back-edges executed in it, in every tier;
* ``tier``: "tier0", "tier1" or "native" (offloaded), and offloaded calls / seconds.

Executed instructions are estimated from that (no per-instruction counting: tier 1 has none).

Tracer (``--trace PATH``): JSON lines, one event per call / loop iteration / return, for
debugging. It needs every call and back-edge to be a safe point, so the CLI runs with tier 1 off
and check_every 1 while tracing (slow). Events: {"ev": "call", "func": i, "name": ..., "depth":
d}, {"ev": "loop", "func": i, "pc": wasm offset, "depth": d}, {"ev": "return", "func": i,
"depth": d}. Returns are seen late (at the next event), in the right order.
"""
import json
import os


class Profile:
    def __init__(self, module):
        self.module = module
        self.samples = {}     # function index -> safe points seen in it

    def attach(self):
        self.module.codemap.profile = self
        return self

    def at_safe_point(self, machine, code, pc):
        i = code.func_index
        self.samples[i] = self.samples.get(i, 0) + machine.check_every

    def rows(self, check_every=None):
        """Rows sorted hottest first: dicts with func, name, heat, samples, tier, and the
        offloaded calls/seconds when the function was offloaded."""
        module = self.module
        off = module.codemap.offload
        nimp = len(module.imported("func"))
        rows = []
        for k, code in list(module.codemap.lowered.items()):
            i = nimp + k
            row = {"func": i, "name": module.func_names.get(i, "f%d" % i), "heat": code.heat,
                   "samples": self.samples.get(i, 0),
                   "tier": "tier1" if code.t1 not in (None, False) else "tier0"}
            if off is not None and i in off.calls:
                row["tier"] = "revert" if i in off.reverted else "native"
                row["offloaded_calls"] = off.calls[i]
                row["offloaded_seconds"] = round(off.seconds[i], 6)
            rows.append(row)
        rows.sort(key=lambda r: (-(r["samples"] + r["heat"]
                                   + 1000 * r.get("offloaded_calls", 0)), r["func"]))
        return rows

    def stats(self, top=10):
        """For a snapshot's stats / --stats: the top rows plus offload totals."""
        off = self.module.codemap.offload
        out = {"top": self.rows()[:top]}
        if off is not None:
            out["offload"] = off.stats()
        return out

    def report(self, out, top=15):
        rows = self.rows()[:top]
        out.write("selfhost profile: hottest functions (heat = tier-0 calls + back-edges; "
                  "samples = est. calls + back-edges in any tier)\n")
        out.write("%6s  %-28s %6s %12s %12s %10s %10s\n"
                  % ("func", "name", "tier", "heat", "samples", "offl.calls", "offl.sec"))
        for r in rows:
            out.write("%6d  %-28s %6s %12d %12d %10s %10s\n"
                      % (r["func"], r["name"][:28], r["tier"], r["heat"], r["samples"],
                         r.get("offloaded_calls", ""), r.get("offloaded_seconds", "")))
        off = self.module.codemap.offload
        if off is not None:
            s = off.stats()
            out.write("offload: %d offloadable functions, %d calls offloaded, %.3f s in them "
                      "(%.3f s native), %d reverted, memory synced %d bytes in, %d back\n"
                      % (s["offloadable"], s["calls"], s["seconds"],
                         sum(f["native_seconds"] for f in s["functions"].values()),
                         s["reverted"], s["bytes_in"] or 0, s["bytes_out"] or 0))
            if s.get("instrumented"):
                out.write("tier 2: instrumented native (%s), %d unwinds, %d rewinds, %d polls, "
                          "%d import round trips\n"
                          % (s.get("instrumented_by") or "by the host", s["unwinds"],
                             s["rewinds"], s["polls"], s["import_calls"]))


def profile_stats(module, top=10):
    """The profile entries for a checkpoint's stats (None when not profiling)."""
    stats = getattr(module.codemap.profile, "stats", None)  # (a Tracer has none)
    return stats(top) if stats is not None else None


class Tracer:
    """Writes JSON-lines events; attach as ``module.codemap.profile`` (it uses the same hook)."""

    def __init__(self, module, path):
        self.module = module
        # opened before the guest runs; a symlink planted at PATH (by the app in an earlier
        # run, in a directory it can write) is refused, not followed
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        self.out = os.fdopen(os.open(path, flags, 0o644), "w")
        self.open = []        # (depth, function index) of the frames seen, innermost last

    def attach(self):
        self.module.codemap.profile = self
        return self

    def _emit(self, ev):
        self.out.write(json.dumps(ev, separators=(",", ":")) + "\n")

    def at_safe_point(self, machine, code, pc):
        depth = len(machine.frames)
        inner = depth if pc == 0 else depth + 1   # frames at or beyond this depth returned
        while self.open and self.open[-1][0] >= inner:
            d, f = self.open.pop()
            self._emit({"ev": "return", "func": f, "depth": d})
        i = code.func_index
        if pc == 0:
            self.open.append((depth, i))
            self._emit({"ev": "call", "func": i, "depth": depth,
                        "name": self.module.func_names.get(i, "f%d" % i)})
        elif pc > 0:
            self._emit({"ev": "loop", "func": i, "pc": code.offsets[pc], "depth": depth})

    def close(self):
        while self.open:
            d, f = self.open.pop()
            self._emit({"ev": "return", "func": f, "depth": d})
        self.out.close()
