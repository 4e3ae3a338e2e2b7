/* Offload test app: a WASI command that calls pure kernels (no imports reachable) many times.
 *
 *   kernels_cmd.wasm [ROUNDS] [FIB_N] [LOOP_N]
 *
 * Each round calls fib(FIB_N) (recursive), sieve(LOOP_N) (a loop writing a global array and
 * a stack array: memory and the stack pointer global cross the offload boundary) and mix(),
 * whose result is printed through report() (reaches fd_write: never offloaded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char marks[1 << 20];
static unsigned long long total;   /* a mutable global in memory, updated by the kernels */

__attribute__((noinline)) int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noinline)) int sieve(int n) {
    if (n > (int)sizeof(marks)) n = sizeof(marks);
    volatile int small[64];        /* a stack array: uses __stack_pointer */
    memset(marks, 1, n);
    int count = 0;
    for (int i = 2; i < n; i++) {
        if (!marks[i]) continue;
        count++;
        small[count & 63] = i;
        for (long long j = (long long)i * i; j < n; j += i) marks[j] = 0;
    }
    total += count + small[count & 63];
    return count;
}

__attribute__((noinline)) unsigned long long mix(unsigned long long x, int rounds) {
    for (int i = 0; i < rounds; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        x += (unsigned long long)marks[(x >> 3) % 4096];
    }
    return x;
}

__attribute__((noinline)) void report(int round, int f, int s, unsigned long long m) {
    printf("round %d: fib=%d primes=%d mix=%llu total=%llu\n", round, f, s, m, total);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    int fn = argc > 2 ? atoi(argv[2]) : 18;
    int ln = argc > 3 ? atoi(argv[3]) : 20000;
    unsigned long long m = 88172645463325252ULL;
    for (int r = 0; r < rounds; r++) {
        int f = fib(fn);
        int s = sieve(ln);
        m = mix(m, ln);
        report(r, f, s, m);
    }
    return 0;
}
