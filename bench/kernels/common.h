/* Shared by every benchmark kernel.

   Each kernel file defines `long long NAME(int n)`: it does work proportional to n and returns
   a checksum (floating-point results are returned as their exact IEEE-754 bit pattern, so every
   runtime must agree bit for bit). The same file is built two ways (see bench/build.py):
   - freestanding: the kernel function is exported, nothing else;
   - WASI command (-DBENCH_WASI): main(argc, argv) reads n from argv[1] and prints the checksum
     (see BENCH_MAIN for timing several calls in one run). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

/* noinline: the WASI command calls the kernel from a loop in main; inlined there, it would be
   timed as part of main, not as calls of the kernel the way the in-process runtimes time it */
#define KERNEL(name) __attribute__((export_name(#name), noinline)) long long name(int n)

static inline long long f64_bits(double d) {
    union { double d; long long i; } u;
    u.d = d;
    return u.i;
}

#ifdef BENCH_WASI
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static long long bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
/* NAME.cmd.wasm SIZE [CALLS]: calls the kernel CALLS times (default 1), prints "ns T" per call
   (T: the call's time in nanoseconds, read from the WASI monotonic clock, so that a runtime
   hosted in another runtime is timed per call like an in-process one) and the checksum last. */
#define BENCH_MAIN(name)                                                   \
    int main(int argc, char **argv) {                                      \
        if (argc < 2) {                                                    \
            fprintf(stderr, "usage: %s SIZE [CALLS]\n", argv[0]);          \
            return 2;                                                      \
        }                                                                  \
        int size = atoi(argv[1]), calls = argc > 2 ? atoi(argv[2]) : 1;    \
        long long sum = 0;                                                 \
        for (int i = 0; i < calls; i++) {                                  \
            long long t0 = bench_now_ns();                                 \
            sum = name(size);                                              \
            if (calls > 1) printf("ns %lld\n", bench_now_ns() - t0);       \
        }                                                                  \
        printf("%lld\n", sum);                                             \
        return 0;                                                          \
    }
#else
#define BENCH_MAIN(name)
#endif

#endif
