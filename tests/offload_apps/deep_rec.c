/* A pure recursion deeper than a native engine's stack (wasmtime 512 KiB, V8 ~1 MB) but well
 * within the interpreter's max_call_depth: offloaded at its first call, it must fall back to
 * the interpreter with the same output. It stores into memory on the way down, so a partial
 * state copied back from the aborted native call would change the checksum. */
#include <stdio.h>
#include <stdlib.h>

static unsigned slots[16384];

__attribute__((noinline)) unsigned rec(unsigned n) {
    if (n == 0)
        return 0;
    slots[n & 16383] = n;
    /* the load after the call keeps it a real (non-tail) recursion */
    return rec(n - 1) * 3u + slots[n & 16383];
}

int main(int argc, char **argv) {
    unsigned depth = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
    unsigned r = rec(depth);
    unsigned sum = 0;
    for (unsigned i = 0; i < 16384; i++)
        sum = sum * 31u + slots[i];
    printf("rec(%u)=%u checksum=%u\n", depth, r, sum);
    return 0;
}
