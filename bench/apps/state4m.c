/* The app of the migration-downtime bench: 4 MiB of non-zero state, then a few steps.

   usage: state4m STEPS CKPT_DIR
   Fills a 4 MiB array (pseudo-random: the snapshot's zero-run codec cannot shrink it), asks
   for a checkpoint after step 0 (CKPT_DIR/.selfhost-checkpoint, the magic path), mixes the
   array each step and prints a hash of it, so a wrong restore shows in the output. */
#include <stdio.h>
#include <stdlib.h>

#define N (4u << 20)
static unsigned char state[N];

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 3;
    char magic[512];
    snprintf(magic, sizeof magic, "%s/.selfhost-checkpoint", argc > 2 ? argv[2] : ".");
    unsigned x = 12345u;
    for (unsigned i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        state[i] = (unsigned char)(x >> 16) | 1;
    }
    for (int step = 0; step < steps; step++) {
        unsigned h = 2166136261u;
        for (unsigned i = step; i < N; i += 4099) {
            state[i] ^= (unsigned char)h;
            h = (h ^ state[i]) * 16777619u;
        }
        printf("step %d h=%08x\n", step, h);
        fflush(stdout);
        if (step == 0) {
            FILE *c = fopen(magic, "w");
            if (c) { fputs("now", c); fclose(c); }
        }
    }
    return 0;
}
