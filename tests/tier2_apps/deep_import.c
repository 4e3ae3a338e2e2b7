/* An import call (printf) at the bottom of a recursion N deep, three times: with
 * `--offload imports` the whole recursion runs natively and each printf unwinds N frames to
 * selfhost's WASI (tests/test_tier2_doorbell.py, tests/test_tier2_hosts.py). */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int rec(int n, int depth) {
    if (n == 0) {
        printf("deep %d\n", depth);
        return 1;
    }
    volatile int pad[4] = {n, n + 1, n + 2, n + 3};
    return rec(n - 1, depth) + pad[n & 3];
}

int main(int argc, char **argv) {
    int d = argc > 1 ? atoi(argv[1]) : 10;
    int h = 0;
    for (int i = 0; i < 3; i++) h += rec(d, d);
    printf("done %d\n", h);
    return 0;
}
