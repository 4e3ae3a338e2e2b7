/* Tier 2 test app: a hot loop that calls WASI now and then (the "counter").
 *
 *   counter.wasm [ROUNDS] [STEPS]
 *
 * Each round runs STEPS xorshift steps over a table (inline in main's loop: main reaches
 * fd_write, so only tier 2's import round trips can run it natively) and writes one line
 * with write(2)-style output, flushed at once (every line is its own fd_write). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned int table[4096];

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    int steps = argc > 2 ? atoi(argv[2]) : 100000;
    unsigned long long x = 88172645463325252ULL;
    for (int i = 0; i < 4096; i++) table[i] = i * 2654435761u;
    for (int r = 0; r < rounds; r++) {
        for (int s = 0; s < steps; s++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            table[x & 4095] += (unsigned int)(x >> 32);
        }
        unsigned int sum = 0;
        for (int i = 0; i < 4096; i++) sum ^= table[i] + i;
        char line[96];
        int n = snprintf(line, sizeof line, "round %d: x=%llu sum=%u\n", r, x, sum);
        write(1, line, n);
    }
    return 0;
}
