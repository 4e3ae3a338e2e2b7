/* Sieve of Eratosthenes over a byte array: memory loads/stores in tight loops.
   Returns the number of primes <= n (n is capped at MAX_N). */
#include "common.h"

#define MAX_N 1000000
static unsigned char composite[MAX_N + 1];

KERNEL(sieve) {
    if (n > MAX_N) n = MAX_N;
    int count = 0;
    /* clear with a step of 1 written so the compiler does not turn it into memset */
    for (int i = 0; i <= n; i++) composite[i] = (unsigned char)(i & 0);
    for (int i = 2; i <= n; i++) {
        if (!composite[i]) {
            count++;
            for (int j = i + i; j <= n; j += i) composite[j] = 1;
        }
    }
    return count;
}

BENCH_MAIN(sieve)
