"""Generate, build and cache the big test module (issue 12): a C program of many functions with
varied bodies, compiled to wasm32-wasi, about 24 MB. Nothing binary is committed.

    python tests/bigmodule/gen.py          # build (if needed), print the path and size
    from tests.bigmodule.gen import build_big; build_big() -> Path to big.wasm

Every function is reachable through a table of function pointers indexed at run time, so the
linker keeps them all; main calls a few named by argv and prints a checksum that
``expected_output`` computes in Python from the same recipe.
"""
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
from tests.apps.build import build_c  # noqa: E402

CACHE_DIR = HERE.parent / ".cache" / "bigmodule"
NFUNCS = 22900          # functions in the table (a module of about 24 MB)
CASES = 12              # switch arms per function (the body's size)
CFLAGS = ["-target", "wasm32-wasi", "-O1", "-s", "-fno-sanitize=undefined"]
SEED = 12
M32 = 0xFFFFFFFF

_OPS = ["+", "-", "*", "^", "|", "&"]


def _recipe(rng):
    """One function: per switch arm a list of (op, constant, shift) steps."""
    return [[(rng.choice(_OPS), rng.randrange(1, 1 << 31), rng.randrange(1, 31))
             for _ in range(rng.randrange(3, 8))] for _ in range(CASES)]


def _recipes(nfuncs=NFUNCS):
    rng = random.Random(SEED)
    return [_recipe(rng) for _ in range(nfuncs)]


def c_source(nfuncs=NFUNCS):
    out = ["#include <stdio.h>", "#include <stdlib.h>", "typedef unsigned int u32;", ""]
    for i, arms in enumerate(_recipes(nfuncs)):
        out.append("__attribute__((noinline)) u32 f%d(u32 x, u32 n) {" % i)
        out.append("  u32 acc = x ^ %du;" % (i * 2654435761 & M32))
        out.append("  for (u32 k = 0; k < n; k++) {")
        out.append("    switch ((acc ^ k) %% %d) {" % CASES)
        for c, steps in enumerate(arms):
            out.append("    case %d:" % c)
            for op, const, sh in steps:
                out.append("      acc = (acc %s %uu) + (acc >> %d);" % (op, const, sh))
            out.append("      break;")
        out.append("    }")
        out.append("  }")
        out.append("  return acc;")
        out.append("}")
    out.append("typedef u32 (*fn)(u32, u32);")
    out.append("static fn table[%d] = {%s};" % (nfuncs, ",".join("f%d" % i for i in range(nfuncs))))
    out.append("int main(int argc, char **argv) {")
    out.append("  u32 sum = 0;")
    out.append("  for (int a = 1; a < argc; a++) {")
    out.append("    u32 i = (u32)strtoul(argv[a], 0, 10) %% %du;" % nfuncs)
    out.append("    u32 r = table[i](i, 1000);")
    out.append('    printf("f%u %u\\n", i, r);')
    out.append("    sum ^= r;")
    out.append("  }")
    out.append('  printf("sum %u\\n", sum);')
    out.append("  return 0;")
    out.append("}")
    return "\n".join(out) + "\n"


def _run(i, x, n):
    """What f<i>(x, n) returns, from its recipe (the C semantics on u32); the recipes are a
    prefix of one random stream, so f<i> is the same function in every size."""
    arms = _recipes_cached()[i]
    acc = (x ^ (i * 2654435761 & M32)) & M32
    for k in range(n):
        for op, const, sh in arms[(acc ^ k) % CASES]:
            if op == "+":
                v = acc + const
            elif op == "-":
                v = acc - const
            elif op == "*":
                v = acc * const
            elif op == "^":
                v = acc ^ const
            elif op == "|":
                v = acc | const
            else:
                v = acc & const
            acc = ((v & M32) + (acc >> sh)) & M32
    return acc


_CACHE = []


def _recipes_cached():
    if not _CACHE:
        _CACHE.append(_recipes())
    return _CACHE[0]


def expected_output(args, nfuncs=NFUNCS):
    """The program's stdout for the given argv numbers."""
    lines, total = [], 0
    for a in args:
        i = int(a) % nfuncs
        r = _run(i, i, 1000)
        lines.append("f%d %d" % (i, r))
        total ^= r
    lines.append("sum %d" % total)
    return "\n".join(lines) + "\n"


def build_big(nfuncs=NFUNCS):
    """Write big.c (big-N.c for another size) if changed and compile it into
    tests/.cache/bigmodule/; return the .wasm's path."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    src = CACHE_DIR / ("big.c" if nfuncs == NFUNCS else "big-%d.c" % nfuncs)
    text = c_source(nfuncs)
    if not src.is_file() or src.read_text() != text:
        src.write_text(text)
    return build_c(src, CACHE_DIR, CFLAGS)


if __name__ == "__main__":
    path = build_big()
    print(path, path.stat().st_size)
