/* A WASI command over tier 2's kernels (kernels.c: recursion, float state with NaN payloads,
 * memory.grow inside a loop, call_indirect, nested loops), for checkpoints at random moments of
 * native code (tests/test_tier2_matrix.py). argv: NAME N [NAME N ...]; each kernel's checksum is
 * printed as it ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.c"

/* through pointers: each kernel stays a function of its own (offloaded as a whole), never
 * inlined into main (which calls imports and stays in the interpreter) */
static const char *const names[] = {"fib", "sieve", "floats", "grow", "indirect", "nested",
                                    "matmul"};
static long long (*volatile kernels[])(int) = {fib, sieve, floats, grow, indirect, nested,
                                               matmul};

static long long run(const char *name, int n) {
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(name, names[i])) return kernels[i](n);
    fprintf(stderr, "unknown kernel %s\n", name);
    exit(2);
}

int main(int argc, char **argv) {
    long long total = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        long long r = run(argv[i], atoi(argv[i + 1]));
        total = total * 31 + r;
        printf("%s(%s) = %lld\n", argv[i], argv[i + 1], r);
        fflush(stdout);
    }
    printf("total %lld\n", total);
    return 0;
}
