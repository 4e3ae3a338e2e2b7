/* Shared by every benchmark kernel.

   Each kernel file defines `long long NAME(int n)`: it does work proportional to n and returns
   a checksum (floating-point results are returned as their exact IEEE-754 bit pattern, so every
   runtime must agree bit for bit). The same file is built two ways (see bench/build.py):
   - freestanding: the kernel function is exported, nothing else;
   - WASI command (-DBENCH_WASI): main(argc, argv) reads n from argv[1] and prints the checksum. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define KERNEL(name) __attribute__((export_name(#name))) long long name(int n)

static inline long long f64_bits(double d) {
    union { double d; long long i; } u;
    u.d = d;
    return u.i;
}

#ifdef BENCH_WASI
#include <stdio.h>
#include <stdlib.h>
#define BENCH_MAIN(name)                                                   \
    int main(int argc, char **argv) {                                      \
        if (argc < 2) {                                                    \
            fprintf(stderr, "usage: %s SIZE\n", argv[0]);                  \
            return 2;                                                      \
        }                                                                  \
        printf("%lld\n", name(atoi(argv[1])));                             \
        return 0;                                                          \
    }
#else
#define BENCH_MAIN(name)
#endif

#endif
