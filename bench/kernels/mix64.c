/* 64-bit integer mixing: a splitmix64 stream folded into a rotate-multiply hash.
   Exercises i64 add/mul/xor/shift/rotate. */
#include "common.h"

static inline unsigned long long rotl(unsigned long long x, int k) {
    return (x << k) | (x >> (64 - k));
}

KERNEL(mix64) {
    unsigned long long state = 0x9E3779B97F4A7C15ULL;
    unsigned long long h = 0xCBF29CE484222325ULL;
    for (int i = 0; i < n; i++) {
        unsigned long long z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        h = rotl(h ^ z, 27) * 0x100000001B3ULL + (unsigned long long)i;
    }
    return (long long)h;
}

BENCH_MAIN(mix64)
