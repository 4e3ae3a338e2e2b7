/* wasm3_driver.wasm MODULE.wasm FUNC REPEAT ARG...   (built by bench/wasm3_selfhosted.py)
 * wasm3, itself running as Wasm, loads MODULE and calls its export FUNC REPEAT times with the
 * integer ARGs (i32 or i64, as FUNC's signature says). It prints the result as wasm3 hands it
 * back and the call times taken here, so the host's start-up and wasm3's load are not in them:
 *   result 6765 per_call_s 0.0021 first_call_s 0.0030      (per_call_s: the best call) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "wasm3.h"

static void check(M3Result r, const char *what) {
    if (r) { fprintf(stderr, "wasm3_driver: %s: %s\n", what, r); exit(1); }
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int repeat = argc < 4 ? 0 : atoi(argv[3]);
    if (repeat < 1) {
        fprintf(stderr, "usage: wasm3_driver MODULE.wasm FUNC REPEAT(>0) ARG...\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f || fseek(f, 0, SEEK_END)) { perror(argv[1]); return 1; }
    long size = ftell(f);
    uint8_t *bytes = malloc(size);
    rewind(f);
    if (fread(bytes, 1, size, f) != (size_t)size) { perror(argv[1]); return 1; }
    IM3Environment env = m3_NewEnvironment();
    IM3Runtime rt = m3_NewRuntime(env, 1 << 20, NULL);     /* wasm3's value stack: 1 MiB */
    IM3Module mod;
    IM3Function fn;
    check(m3_ParseModule(env, &mod, bytes, size), "parse");
    check(m3_LoadModule(rt, mod), "load");
    check(m3_FindFunction(&fn, rt, argv[2]), argv[2]);
    uint32_t nargs = argc - 4, nres = m3_GetRetCount(fn);
    if (nargs != m3_GetArgCount(fn) || nargs > 16 || nres > 8) {
        fprintf(stderr, "wasm3_driver: %s takes %u args, %u given\n", argv[2],
                m3_GetArgCount(fn), nargs);
        return 2;
    }
    int64_t args[16], res[8] = {0};       /* a 64-bit slot per value; an i32 is its low half */
    const void *argp[16], *resp[8];
    for (uint32_t i = 0; i < nargs; i++) {
        M3ValueType t = m3_GetArgType(fn, i);
        if (t != c_m3Type_i32 && t != c_m3Type_i64) {
            fprintf(stderr, "wasm3_driver: argument %u is not an integer\n", i);
            return 2;
        }
        args[i] = strtoll(argv[4 + i], NULL, 0);
        argp[i] = &args[i];
    }
    for (uint32_t i = 0; i < nres; i++) resp[i] = &res[i];
    double best = 1e300, first = 0;
    for (int k = 0; k < repeat; k++) {
        double t0 = now();
        check(m3_Call(fn, nargs, argp), "call");
        double dt = now() - t0;
        if (k == 0) first = dt;
        if (dt < best) best = dt;
    }
    check(m3_GetResults(fn, nres, resp), "results");
    printf("result");
    for (uint32_t i = 0; i < nres; i++) {
        M3ValueType t = m3_GetRetType(fn, i);
        if (t == c_m3Type_i32) printf(" %" PRId32, *(int32_t *)&res[i]);
        else if (t == c_m3Type_i64) printf(" %" PRId64, res[i]);
        else printf(" %.17g", t == c_m3Type_f32 ? *(float *)&res[i] : *(double *)&res[i]);
    }
    printf(" per_call_s %.9f first_call_s %.9f\n", best, first);
    return 0;
}
