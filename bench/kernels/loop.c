/* A tight counted loop over locals only: the cost of instruction dispatch and nothing else.
   Used by the microbenchmarks (bench/test_micro.py), not by the harness's table. */
#include "common.h"

KERNEL(loop) {
    unsigned s = 0;
    for (int i = 0; i < n; i++) s = (s ^ (unsigned)i) + (s >> 3);
    return s;
}

BENCH_MAIN(loop)
