"""`python -m bench.compare OLD_TREE [NEW_TREE]`: the interpreter of two checkouts side by side.

A refactoring must keep the engine's speed; on a shared, noisy machine only measurements taken
in turns in one run compare. Each round times every kernel once under each tree (the tree's own
``bench.peers interp``, in a child process with that tree first on sys.path), alternating which
tree goes first; the report gives each tree's median and the ratio NEW / OLD per kernel.

    python -m bench.compare /path/to/old/checkout --rounds 5 --out bench/results/compare.md
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from . import build as kbuild
from .harness import SIZES

ROOT = Path(__file__).resolve().parent.parent


def measure(tree, wasm, name, size):
    """(seconds per call, checksum) of kernel ``name`` under the interpreter of ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.run([sys.executable, "-m", "bench.peers", "interp", str(wasm), name,
                           str(size), "--min-time", "0.5", "--max-reps", "3"],
                          capture_output=True, text=True, cwd=str(tree), env=env, timeout=900)
    try:
        cell = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit("%s: bench.peers failed: %s" % (tree, proc.stderr.strip()[-500:]))
    if "seconds" not in cell:
        raise SystemExit("%s: %s: %s" % (tree, name, cell))
    return cell["seconds"], cell.get("checksum")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("old", help="the checkout to compare against")
    parser.add_argument("new", nargs="?", default=str(ROOT), help="default: this checkout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kernels", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--out", help="also write the report (Markdown) here")
    ns = parser.parse_args(argv)
    trees = {"old": Path(ns.old).resolve(), "new": Path(ns.new).resolve()}
    wasms = {k: paths["freestanding"] for k, paths in kbuild.build(ns.kernels).items()}
    times = {(t, k): [] for t in trees for k in ns.kernels}
    sums = {}
    for r in range(ns.rounds):
        order = ["old", "new"] if r % 2 == 0 else ["new", "old"]
        for k in ns.kernels:
            for t in order:
                seconds, checksum = measure(trees[t], wasms[k], k, SIZES[k])
                times[t, k].append(seconds)
                if sums.setdefault(k, checksum) != checksum:
                    raise SystemExit("%s: the trees disagree on the checksum" % k)
        print("round %d of %d done" % (r + 1, ns.rounds), file=sys.stderr)
    lines = ["Interpreter, old = %s, new = %s; %d rounds taken in turns, median seconds per call."
             % (trees["old"], trees["new"], ns.rounds), "",
             "| kernel | old | new | new / old |", "|---|---|---|---|"]
    for k in ns.kernels:
        old, new = (statistics.median(times[t, k]) for t in ("old", "new"))
        lines.append("| %s | %.4f | %.4f | %.2f |" % (k, old, new, new / old))
    report = "\n".join(lines) + "\n"
    print(report)
    if ns.out:
        Path(ns.out).write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
