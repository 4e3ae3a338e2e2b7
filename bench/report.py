"""Turn the harness's results dict into results.md (markdown tables) and results.png."""

PEER = "pywasm"
NATIVE = "wasmtime"
# fixed colours, so a runtime looks the same in every plot
COLOURS = {"interp": "C0", "selfhost-wasmtime": "C1", "selfhost-wasmer": "C2",
           "selfhost-node": "C3", "pywasm": "C4", "wasm3": "C5", "wasmtime": "C7"}


def _seconds(s):
    if s >= 100:
        return "%.0f" % s
    if s >= 1:
        return "%.2f" % s
    if s >= 0.001:
        return "%.4f" % s
    return "%.2e" % s


def _ratio(x):
    return "%.0f×" % x if x >= 100 else "%.1f×" % x if x >= 1 else "%.2f×" % x


def _count(n):
    return "?" if n is None else "%.2f M" % (n / 1e6) if n >= 1e6 else "%.0f k" % (n / 1e3)


def _cell(results, kernel, rt):
    return results["cells"].get(kernel, {}).get(rt)


def _time(results, kernel, rt):
    cell = _cell(results, kernel, rt)
    if (cell and "seconds" in cell and not cell.get("mismatch") and not cell.get("noisy")
            and cell["seconds"] > 0):
        return cell["seconds"]
    return None


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def markdown(results):
    runtimes = [rt for rt in results["runtimes"] if rt not in results["unavailable"]]
    kernels = results["kernels"]
    m = results["machine"]
    out = ["# selfhost benchmarks\n",
           "Mode: **%s**, %s. Python %s, %s, %s CPUs, load average %s at the start, %s at the end "
           "(the machine is shared: compare numbers within one run only).\n"
           % (results["mode"], results["date"], m["python"], m["platform"], m["cpus"],
              m.get("loadavg"), m.get("loadavg_end"))]
    if results["mode"] == "quick":
        out.append("Quick mode: every kernel runs at about a tenth of the full size "
                   "(the sizes column); the full run uses fib(20), sieve(100000), matmul(32), "
                   "mix64(100000), vm(300), nbody(2000).\n")
    out.append("Times are seconds per kernel call, best of several calls (in-process runtimes: "
               "module load not included). selfhost-HOST runs build/selfhost.wasm under HOST "
               "with the kernel's WASI command build; its time is a launch at the size minus a "
               "launch at size 0 (startup, listed below), each the best of 2 launches; when "
               "that difference is under a quarter of the startup time it is shown in "
               "parentheses and left out of the ratios. Wasm instructions are counted with "
               "wasmtime's fuel meter (nop/drop/block/loop/end/else not counted).\n")

    out.append("## Seconds\n")
    rows = []
    for k in kernels:
        row = [k, str(results["sizes"][k]), _count(results["instructions"].get(k))]
        for rt in runtimes:
            cell = _cell(results, k, rt)
            if cell is None:
                row.append("–")
            elif "error" in cell:
                row.append("error: " + cell["error"].replace("|", "/")[:60])
            else:
                text = _seconds(cell["seconds"])
                if cell.get("noisy"):
                    text = "(%s: within startup noise)" % text
                row.append(text + (" MISMATCH" if cell.get("mismatch") else ""))
        rows.append(row)
    out.append(_table(["kernel", "size", "Wasm instr"] + runtimes, rows))

    for title, ref, invert in (("Speed-up over pywasm 1.2.3 (pywasm time / time)", PEER, False),
                               ("Slowdown against native wasmtime (time / wasmtime time)", NATIVE,
                                True)):
        if ref not in runtimes:
            out.append("## %s\n\n%s did not run: no ratios.\n" % (title, ref))
            continue
        out.append("## %s\n" % title)
        rows = []
        for k in kernels:
            base = _time(results, k, ref)
            row = [k]
            for rt in runtimes:
                t = _time(results, k, rt)
                row.append("–" if base is None or t is None else _ratio(t / base if invert else base / t))
            rows.append(row)
        out.append(_table(["kernel"] + runtimes, rows))

    out.append("## Million Wasm instructions per second\n")
    rows = []
    for k in kernels:
        n = results["instructions"].get(k)
        row = [k]
        for rt in runtimes:
            t = _time(results, k, rt)
            row.append("–" if n is None or t is None else "%.2f" % (n / t / 1e6))
        rows.append(row)
    out.append(_table(["kernel"] + runtimes, rows))

    if "interp" in runtimes:
        out.append("## interp: first call and best call, seconds\n\nThe best call may run "
                   "warmed-up code (lowered functions, any higher tier); the first call pays "
                   "for that warm-up.\n")
        rows = []
        for k in kernels:
            cell = _cell(results, k, "interp")
            if cell and cell.get("times"):
                rows.append([k, _seconds(cell["times"][0]), _seconds(min(cell["times"])),
                             str(len(cell["times"])), _seconds(cell.get("load_seconds", 0))])
            else:
                rows.append([k, "–", "–", "–", "–"])
        out.append(_table(["kernel", "first call", "best call", "calls", "decode+instantiate"],
                          rows))

    hosted = [rt for rt in runtimes if rt.startswith("selfhost-")]
    if hosted:
        out.append("## selfhost.wasm launches: startup (size 0) and total, seconds\n")
        rows = []
        for k in kernels:
            row = [k]
            for rt in hosted:
                cell = _cell(results, k, rt)
                row.append("%.2f / %.2f" % (cell["startup_seconds"], cell["total_seconds"])
                           if cell and "startup_seconds" in cell else "–")
            rows.append(row)
        out.append(_table(["kernel"] + hosted, rows))

    notes = ["- %s: skipped (%s)" % (rt, why) for rt, why in results["unavailable"].items()]
    for rt in runtimes:
        empties = [results["cells"][k][rt]["empty_call_seconds"] for k in kernels
                   if "empty_call_seconds" in results["cells"].get(k, {}).get(rt, {})]
        if empties:
            notes.append("- %s: a call at size 0 takes %s s (call overhead, included in the "
                         "times above)" % (rt, _seconds(min(empties))))
    notes += ["- checksum MISMATCH: %s" % p for p in results.get("mismatches", [])]
    if not results.get("mismatches"):
        notes.append("- All runtimes that ran agree on every checksum.")
    out.append("## Notes\n\n" + "\n".join(notes) + "\n")
    return "\n".join(out)


def plot(results, path):
    """Grouped bar chart of seconds per kernel and runtime, log scale. Returns a note when
    matplotlib is missing (the other outputs are still written)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not installed: no plot (pip install matplotlib)"
    runtimes = [rt for rt in results["runtimes"] if rt not in results["unavailable"]]
    kernels = results["kernels"]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(kernels)), 4.5))
    width = 0.8 / max(1, len(runtimes))
    for i, rt in enumerate(runtimes):
        xs, ys = [], []
        for j, k in enumerate(kernels):
            t = _time(results, k, rt)
            if t is not None:
                xs.append(j + (i - (len(runtimes) - 1) / 2) * width)
                ys.append(t)
        ax.bar(xs, ys, width, label=rt, color=COLOURS.get(rt))
    ax.set_yscale("log")
    ax.set_xticks(range(len(kernels)))
    ax.set_xticklabels(["%s(%s)" % (k, results["sizes"][k]) for k in kernels])
    ax.set_ylabel("seconds per call (log scale)")
    ax.set_title("selfhost benchmarks (%s mode, %s)" % (results["mode"], results["date"]))
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None
