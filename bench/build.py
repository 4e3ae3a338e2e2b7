"""Build the benchmark kernels (bench/kernels/*.c) with `python -m ziglang cc`.

Each kernel is built two ways into the cache directory (bench/.cache/ by default, never
committed):
- NAME.wasm      freestanding: only the kernel function `long long NAME(int n)` is exported;
- NAME.cmd.wasm  a WASI command: `NAME.cmd.wasm SIZE` prints the checksum.

Both use -mcpu=mvp so that every peer (pywasm 1.2.3 and wasm3 included) can load them.
A build is redone only when the C source, common.h or the flags changed.

    python -m bench.build [--cache DIR] [KERNEL ...]
"""
import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
KERNEL_DIR = HERE / "kernels"
DEFAULT_CACHE = HERE / ".cache"

# name -> what the kernel stresses (the order is the report's order)
KERNELS = {
    "fib": "recursive calls",
    "sieve": "byte loads/stores",
    "matmul": "f64 loads, mul/add",
    "mix64": "64-bit integer mixing",
    "vm": "switch loop (br_table)",
    "nbody": "f64 arithmetic, sqrt",
}
# built on request only (the microbenchmarks use them; the harness's table does not)
EXTRA_KERNELS = {
    "loop": "tight loop over locals (dispatch cost)",
}

COMMON_FLAGS = ["-mcpu=mvp", "-O2", "-fno-sanitize=undefined"]


def freestanding_cmd(name, src, out):
    return ([sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-freestanding", "-nostdlib"]
            + COMMON_FLAGS + ["-Wl,--no-entry", "-Wl,--export=" + name, str(src), "-o", str(out)])


def command_cmd(name, src, out):
    return ([sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-wasi"] + COMMON_FLAGS
            + ["-s", "-DBENCH_WASI", str(src), "-o", str(out)])


class BuildError(Exception):
    pass


def _fingerprint(name, kind, cmd):
    digest = hashlib.sha256()
    for path in (KERNEL_DIR / (name + ".c"), KERNEL_DIR / "common.h"):
        digest.update(path.read_bytes())
    digest.update(kind.encode())
    # the command line minus the output path and the interpreter's location
    digest.update(" ".join(cmd[1:-2]).encode())
    return digest.hexdigest()


def _build_one(name, kind, cache):
    src = KERNEL_DIR / (name + ".c")
    out = cache / (name + (".wasm" if kind == "freestanding" else ".cmd.wasm"))
    maker = freestanding_cmd if kind == "freestanding" else command_cmd
    cmd = maker(name, src, out)
    stamp = out.with_name(out.name + ".sha256")
    fingerprint = _fingerprint(name, kind, cmd)
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == fingerprint:
        return out
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError("building %s (%s) failed:\n%s" % (name, kind, proc.stderr.strip()))
    stamp.write_text(fingerprint + "\n")
    return out


def build(names=None, cache=None):
    """Build the kernels; return {name: {"freestanding": Path, "command": Path}}."""
    cache = Path(cache) if cache else DEFAULT_CACHE
    cache.mkdir(parents=True, exist_ok=True)
    gitignore = cache / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")
    built = {}
    for name in names or KERNELS:
        if name not in KERNELS and name not in EXTRA_KERNELS:
            raise BuildError("unknown kernel %r (choose from %s)"
                             % (name, ", ".join(list(KERNELS) + list(EXTRA_KERNELS))))
        built[name] = {kind: _build_one(name, kind, cache)
                       for kind in ("freestanding", "command")}
    return built


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.build", description=__doc__.split("\n")[0])
    parser.add_argument("--cache", default=str(DEFAULT_CACHE))
    parser.add_argument("kernels", nargs="*")
    args = parser.parse_args(argv)
    try:
        for name, paths in build(args.kernels or None, args.cache).items():
            print(name, *(os.path.relpath(p) for p in paths.values()))
    except BuildError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
