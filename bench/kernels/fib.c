/* Recursive Fibonacci: call-heavy, tiny frames. */
#include "common.h"

static int fib_rec(int n) { return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2); }

KERNEL(fib) { return fib_rec(n); }

BENCH_MAIN(fib)
