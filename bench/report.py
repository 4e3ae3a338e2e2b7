"""Turn the harness's results dict into results.md (markdown tables), results.png and the
README's "Performance" section (``readme_section``, written between README_START/README_END)."""
import math

PEER = "pywasm"
NATIVE = "wasmtime"
# fixed colours, so a runtime looks the same in every plot
COLOURS = {"interp": "C0", "interp-ckpt": "C9", "selfhost-wasmtime": "C1", "selfhost-wasmer": "C2",
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
    out.append("Times are seconds per kernel call, the best of several calls in one process "
               "(module load not included; the first call, which pays for warm-up, is listed "
               "below for our runtimes). selfhost-HOST runs build/selfhost.wasm under HOST with "
               "the kernel's WASI command build, which times each of its calls with the WASI "
               "monotonic clock; whole launches are listed below. Wasm instructions are counted "
               "with wasmtime's fuel meter (nop/drop/block/loop/end/else not counted).\n")

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
        row = ["**geomean**"]
        for rt in runtimes:
            g = geomean_ratio(results, rt, ref)
            row.append("–" if g is None else "**%s**" % _ratio(1 / g if invert else g))
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

    ours = [rt for rt in runtimes if rt.startswith("interp") or rt.startswith("selfhost-")]
    if ours:
        out.append("## Our runtimes: first call / best call, seconds\n\nThe best call runs "
                   "warmed-up code (lowered functions, tier 1); the first call pays for that "
                   "warm-up.\n")
        rows = []
        for k in kernels:
            row = [k]
            for rt in ours:
                cell = _cell(results, k, rt)
                row.append("%s / %s" % (_seconds(cell["times"][0]), _seconds(min(cell["times"])))
                           if cell and cell.get("times") else "–")
            rows.append(row)
        out.append(_table(["kernel"] + ours, rows))

    hosted = [rt for rt in runtimes if rt.startswith("selfhost-")]
    if hosted:
        out.append("## selfhost.wasm launches: startup (a launch at size 0) / the whole timed "
                   "launch, seconds\n")
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


def ratios(results, rt, ref):
    """{kernel: ref time / rt time} for the kernels where both have a clean time."""
    out = {}
    for k in results["kernels"]:
        t, base = _time(results, k, rt), _time(results, k, ref)
        if t is not None and base is not None:
            out[k] = base / t
    return out


def geomean_ratio(results, rt, ref):
    """Geometric mean of ref time / rt time over every kernel, or None when a kernel is missing
    (a mean over a subset would flatter)."""
    r = ratios(results, rt, ref)
    if not r or len(r) < len(results["kernels"]):
        return None
    return math.exp(sum(math.log(x) for x in r.values()) / len(r))


def startup(results, rt):
    """Median startup (a launch at size 0) of a selfhost-HOST runtime over the kernels."""
    values = sorted(row[rt]["startup_seconds"] for row in results["cells"].values()
                    if "startup_seconds" in row.get(rt, {}))
    return values[len(values) // 2] if values else None


README_START = "<!-- performance: generated by `python -m bench --readme README.md` -->"
README_END = "<!-- end of generated performance section -->"

TARGETS = (  # (runtime, reference, minimum geomean ratio, minimum per kernel, what it means)
    ("interp", PEER, 50, 20, "native CPython vs pywasm"),
    ("selfhost-wasmtime", PEER, 20, None, "inside selfhost.wasm on wasmtime vs pywasm native"),
)


def readme_section(results):
    """The README's Performance section (markdown, between the README markers)."""
    runtimes = [rt for rt in results["runtimes"] if rt not in results["unavailable"]]
    m = results["machine"]
    out = [README_START, "## Performance\n",
           "Measured %s by `python -m bench` (%s mode) on this project's development machine: "
           "%s CPUs, %s, Python %s, load average %s (shared and noisy: all numbers below come "
           "from one run, side by side). Full tables and a plot: "
           "[bench/results/results.md](bench/results/results.md).\n"
           % (results["date"], results["mode"], m["cpus"], m["platform"], m["python"],
              m.get("loadavg"))]
    header = ["kernel (size)", "Wasm instr"]
    cols = [rt for rt in runtimes if rt != PEER]
    header += ["%s ×pywasm" % rt for rt in cols]
    rows = []
    for k in results["kernels"]:
        row = ["%s(%s)" % (k, results["sizes"][k]), _count(results["instructions"].get(k))]
        for rt in cols:
            r = ratios(results, rt, PEER).get(k)
            row.append("–" if r is None else _ratio(r))
        rows.append(row)
    row = ["**geomean**", ""]
    for rt in cols:
        g = geomean_ratio(results, rt, PEER)
        row.append("–" if g is None else "**%s**" % _ratio(g))
    rows.append(row)
    out.append("Speed-up over pywasm 1.2.3 (pure Python, native CPython), per kernel call:\n")
    out.append(_table(header, rows))
    rows = []
    for rt in [rt for rt in runtimes if rt.startswith("interp") or rt.startswith("selfhost-")]:
        rates = [results["instructions"][k] / _time(results, k, rt) / 1e6
                 for k in results["kernels"]
                 if _time(results, k, rt) and results["instructions"].get(k)]
        if rates:
            g = math.exp(sum(math.log(x) for x in rates) / len(rates))
            rows.append([rt, "%.1f" % g, "%.1f–%.1f" % (min(rates), max(rates))])
    if rows:
        out.append("Million Wasm instructions per second (geomean, range over the kernels):\n")
        out.append(_table(["runtime", "geomean", "range"], rows))
    lines = []
    for rt in runtimes:
        s = startup(results, rt) if rt.startswith("selfhost-") else None
        if s is not None:
            lines.append("- Startup of selfhost.wasm on %s (launch to exit of an app doing "
                         "nothing, median): %.2f s" % (rt.split("-", 1)[1], s))
    if "interp-ckpt" in runtimes:
        shares = [(k, c["poll_seconds"] / c["seconds"], c["polls"])
                  for k in results["kernels"] for c in [_cell(results, k, "interp-ckpt")]
                  if c and c.get("seconds") and "poll_seconds" in c]
        if shares:
            worst = max(shares, key=lambda x: x[1])
            lines.append("- Cost of staying checkpointable: time inside the checkpoint trigger "
                         "poll (interp-ckpt, safe points every %s back-edges/calls) is %.2f%% of "
                         "a kernel call at most (%s: %d polls)"
                         % (results.get("safe_point_every", "2000"), 100 * worst[1], worst[0],
                            worst[2]))
        r = ratios(results, "interp-ckpt", "interp") if "interp" in runtimes else {}
        if r:
            cost = [100 * (1 / x - 1) for x in r.values()]
            lines.append("- interp-ckpt vs interp, whole calls: %+.1f%% mean (from %+.1f%% to "
                         "%+.1f%% per kernel: run-to-run noise of this machine included)"
                         % (sum(cost) / len(cost), min(cost), max(cost)))
    for rt, ref, geo, each, what in TARGETS:
        g = geomean_ratio(results, rt, ref)
        if g is None:
            lines.append("- Target %s ≥ %d× geomean: not measured in this run" % (what, geo))
            continue
        text = "- Target %s ≥ %d× geomean: %s (%s)" % (what, geo, _ratio(g),
                                                       "met" if g >= geo else "NOT met")
        if each is not None:
            worst = min(ratios(results, rt, ref).values())
            text += "; ≥ %d× on each kernel: lowest %s (%s)" % (
                each, _ratio(worst), "met" if worst >= each else "NOT met")
        lines.append(text)
    out.append("\n".join(lines) + "\n")
    out.append(README_END)
    return "\n".join(out) + "\n"


def update_readme(path, results):
    """Replace the generated section of the README at ``path`` (appended when missing)."""
    replace_section(path, README_START, README_END, readme_section(results))


def replace_section(path, start, end, section):
    """Put ``section`` (which begins with ``start`` and ends with ``end``) in place of the
    README's text between those markers, or append it when they are missing: every generated
    README section of bench/ goes through here."""
    from pathlib import Path
    p = Path(path)
    text = p.read_text()
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    p.write_text(text)


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
