/* The offload benchmark's WASI command: calls the benchmark kernels (bench/kernels/NAME.c, linked
   in unchanged) many times each, so that a runtime that offloads hot functions reaches its
   steady state.

     driver.wasm ROUNDS NAME=SIZE [NAME=SIZE ...]

   Each round calls every named kernel once with its SIZE. stdout: one line per call,
   "NAME ROUND CHECKSUM" (identical on every runtime, offload on or off). stderr: one line per
   call, "time NAME ROUND NANOSECONDS" (the guest's monotonic clock around the call: for an
   offloaded call this includes the whole round trip, memory sync included). main, the clock
   and printf reach WASI imports, so only the kernels can be offloaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

long long fib(int n);
long long sieve(int n);
long long matmul(int n);
long long mix64(int n);
long long vm(int n);
long long nbody(int n);

static const struct { const char *name; long long (*fn)(int); } kernels[] = {
    {"fib", fib}, {"sieve", sieve}, {"matmul", matmul},
    {"mix64", mix64}, {"vm", vm}, {"nbody", nbody},
};
#define NKERNELS (sizeof(kernels) / sizeof(kernels[0]))

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ROUNDS NAME=SIZE [NAME=SIZE ...]\n", argv[0]);
        return 2;
    }
    int rounds = atoi(argv[1]);
    int njobs = argc - 2;
    long long (*fns[64])(int);
    const char *names[64];
    int sizes[64];
    if (njobs > 64) njobs = 64;
    for (int j = 0; j < njobs; j++) {
        const char *arg = argv[2 + j];
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        fns[j] = 0;
        for (size_t k = 0; k < NKERNELS; k++)
            if (strlen(kernels[k].name) == len && !strncmp(kernels[k].name, arg, len)) {
                fns[j] = kernels[k].fn;
                names[j] = kernels[k].name;
            }
        if (!fns[j] || !eq) {
            fprintf(stderr, "unknown kernel or missing size: %s\n", arg);
            return 2;
        }
        sizes[j] = atoi(eq + 1);
    }
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < njobs; j++) {
            long long t0 = now_ns();
            long long v = fns[j](sizes[j]);
            long long t1 = now_ns();
            printf("%s %d %lld\n", names[j], r, v);
            fprintf(stderr, "time %s %d %lld\n", names[j], r, t1 - t0);
        }
    return 0;
}
