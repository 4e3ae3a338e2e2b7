"""Speed of the tier-0 machine on the C kernels: million Wasm instructions per second.

The instruction count of each run comes from wasmtime's fuel meter (1 fuel per Wasm operator;
wasmtime charges 0 for nop, drop, block, loop, end, else, so those are not counted).
Usage: python tests/kernels/bench.py [kernels.wasm]   (builds kernels.wasm when not given)
"""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import interp  # noqa: E402

# CPU time (process_time), best of 3: other processes share this machine.
KERNELS = [("fib", 20), ("loop_sum", 100000), ("sieve", 100000), ("mix64", 100000),
           ("matmul", 32)]


def build(out):
    cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-freestanding", "-nostdlib",
           "-O2", "-Wl,--no-entry"]
    subprocess.run(cmd + [os.path.join(HERE, "kernels.c"), "-o", out], check=True)
    return out


def fuel_counts(path):
    import wasmtime
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    module = wasmtime.Module.from_file(engine, path)
    counts = {}
    for name, arg in KERNELS:
        store = wasmtime.Store(engine)
        store.set_fuel(10 ** 12)
        inst = wasmtime.Instance(store, module, [])
        inst.exports(store)[name](store, arg)
        counts[name] = 10 ** 12 - store.get_fuel()
    return counts


def main(argv):
    path = argv[1] if len(argv) > 1 else build(os.path.join(tempfile.mkdtemp(), "kernels.wasm"))
    counts = fuel_counts(path)
    inst = interp.instantiate(interp.decode(open(path, "rb").read()))
    for name, arg in KERNELS:
        best = None
        for _ in range(3):
            t = time.process_time()
            inst.invoke(name, arg)
            dt = time.process_time() - t
            best = dt if best is None else min(best, dt)
        print("%-9s %9d instr  %6.3f s  %5.2f M instr/s"
              % (name, counts[name], best, counts[name] / best / 1e6))


if __name__ == "__main__":
    main(sys.argv)
