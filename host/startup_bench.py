"""Measure how long selfhost.wasm takes to start under each host (`selfhost --version`).

    python -m host.startup_bench [--runtimes wasmtime,wasmer,node,native] [--repeat N]

wasmtime is measured twice: cold (empty compile cache, so Cranelift compiles the module) and
cached (the serialized module from the first run). Each time is the wall clock of one whole
launch, as a user of `selfhost run` sees it.
"""
import argparse
import os
import sys
import tempfile
import time

from . import launch


def timed_run(runtime, env=None):
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        start = time.perf_counter()
        result = launch.run(runtime, ["--version"], timeout=600)
        elapsed = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(old)
    if result.returncode != 0:
        raise SystemExit("%s: --version failed (exit %d): %s"
                         % (runtime, result.returncode, result.stderr.decode(errors="replace")))
    return elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m host.startup_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runtimes", default="wasmtime,wasmer,node,native")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cached measurement")
    args = parser.parse_args(argv)
    runtimes = [r for r in args.runtimes.split(",") if r]
    for r in runtimes:
        if r not in launch.RUNTIMES:
            parser.error("unknown runtime %r" % r)
    try:
        module = launch.require_build()
    except launch.BuildMissing as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    print("selfhost.wasm: %s (%.1f MB)" % (module, module.stat().st_size / 1e6))
    with tempfile.TemporaryDirectory() as cache:
        env = {"SELFHOST_CACHE": cache}
        for runtime in runtimes:
            first = timed_run(runtime, env)
            rest = [timed_run(runtime, env) for _ in range(args.repeat)]
            label = {"wasmtime": "cold compile", "wasmer": "cold compile"}.get(runtime, "first")
            print("%-9s %s %.2f s; then best %.2f s, median %.2f s"
                  % (runtime, label, first, min(rest), sorted(rest)[len(rest) // 2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
