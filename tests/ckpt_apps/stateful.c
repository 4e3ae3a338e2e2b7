/* A stateful WASI app for checkpoint / migration tests.

   usage: stateful OUT_FILE [STEPS] [CKPT_DIR]
   Each step mixes a 1 MiB static array, updates float state, appends a line to OUT_FILE (kept
   open the whole run), prints a line to stdout; every 5th step recurses 3000 deep; every 7th
   step mallocs (memory.grow). With CKPT_DIR, the app asks selfhost for a checkpoint after each
   step by writing to CKPT_DIR/.selfhost-checkpoint (the magic path; see README). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char mixed[1 << 20];
static double fstate[64];
static unsigned char *blocks[64];

static int deep(int n, double x) {
    if (n == 0) return (int)(x * 1000.0) & 0xffff;
    int r = deep(n - 1, x * 1.0000001 + 0.5);
    return (r * 31 + n) & 0xffffff;
}

int main(int argc, char **argv) {
    const char *out_path = argc > 1 ? argv[1] : "out.txt";
    int steps = argc > 2 ? atoi(argv[2]) : 20;
    const char *ckpt_dir = argc > 3 ? argv[3] : NULL;
    char magic[512];
    if (ckpt_dir) snprintf(magic, sizeof magic, "%s/.selfhost-checkpoint", ckpt_dir);
    FILE *out = fopen(out_path, "a");
    if (!out) { perror(out_path); return 2; }
    unsigned h = 2166136261u;
    double acc = 1.0;
    for (int k = 0; k < 64; k++) fstate[k] = k * 0.25;
    for (int step = 0; step < steps && step < 64; step++) {
        for (int i = 0; i < 6000; i++) {
            unsigned j = (unsigned)(i * 7919 + step * 104729) & ((1u << 20) - 1);
            mixed[j] ^= (unsigned char)(h >> 8);
            h = (h ^ mixed[j]) * 16777619u;
        }
        for (int k = 0; k < 64; k++) {
            fstate[k] = fstate[k] * 0.999 + sin(k + step) * 0.5 + sqrtf((float)k) * 0.125f;
            acc += fstate[k] / (1.0 + k);
        }
        int d = (step % 5 == 4) ? deep(3000, acc) : 0;
        if (step % 7 == 3) {
            blocks[step] = malloc(300000);
            memset(blocks[step], step + 1, 300000);
        }
        unsigned blocksum = 0;
        for (int s = 0; s <= step; s++)
            if (blocks[s]) blocksum += blocks[s][s * 1000] + blocks[s][299999];
        printf("step %d h=%08x acc=%.6f deep=%d blocks=%u\n", step, h, acc, d, blocksum);
        fflush(stdout);
        fprintf(out, "step %d %08x %.17g\n", step, h, acc);
        fflush(out);
        if (ckpt_dir) {
            FILE *c = fopen(magic, "w");
            if (c) { fputs("checkpoint", c); fclose(c); }
        }
    }
    fclose(out);
    printf("done h=%08x acc=%.17g\n", h, acc);
    return 0;
}
