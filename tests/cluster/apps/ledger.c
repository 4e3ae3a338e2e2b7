/* A stateful WASI app for the cluster tests: memory state, an output file it appends to, stdout.

   usage: ledger DIR STEPS SLEEP_MS [EXIT_CODE [WORK]]
   Reads DIR/seed.txt (staged with the app), keeps DIR/ledger.txt open in append mode for the
   whole run, and per step: mixes WORK (default 4000) bytes of a 64 KiB table (state that
   lives only in memory), sleeps
   SLEEP_MS (so that a long run costs little CPU), prints a line to stdout, appends one to the
   ledger; every 10th step a line to stderr. At the end it writes DIR/summary.txt and exits
   with EXIT_CODE (default 0). The output depends only on the seed and STEPS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char table[1 << 16];

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: ledger DIR STEPS SLEEP_MS [EXIT_CODE [WORK]]\n");
        return 2;
    }
    const char *dir = argv[1];
    int steps = atoi(argv[2]), sleep_ms = atoi(argv[3]);
    int code = argc > 4 ? atoi(argv[4]) : 0;
    int work = argc > 5 ? atoi(argv[5]) : 4000;
    char path[512];
    unsigned h = 2166136261u;
    snprintf(path, sizeof path, "%s/seed.txt", dir);
    FILE *seed = fopen(path, "r");
    if (!seed) { perror(path); return 2; }
    int c;
    while ((c = fgetc(seed)) != EOF) h = (h ^ (unsigned char)c) * 16777619u;
    fclose(seed);
    snprintf(path, sizeof path, "%s/ledger.txt", dir);
    FILE *ledger = fopen(path, "a");
    if (!ledger) { perror(path); return 2; }
    for (unsigned i = 0; i < sizeof table; i++) table[i] = (unsigned char)(i * 131 + h);
    struct timespec pause = {sleep_ms / 1000, (long)(sleep_ms % 1000) * 1000000L};
    for (int step = 0; step < steps; step++) {
        for (int i = 0; i < work; i++) {
            unsigned j = (unsigned)(i * 7919 + step * 104729 + (h >> 7)) & (sizeof table - 1);
            table[j] ^= (unsigned char)(h >> 9);
            h = (h ^ table[j]) * 16777619u;
        }
        if (sleep_ms > 0) nanosleep(&pause, NULL);
        printf("step %d h=%08x\n", step, h);
        fflush(stdout);
        fprintf(ledger, "%d %08x %02x\n", step, h, table[step & (sizeof table - 1)]);
        fflush(ledger);
        if (step % 10 == 9) { fprintf(stderr, "ledger: %d steps\n", step + 1); fflush(stderr); }
    }
    fclose(ledger);
    snprintf(path, sizeof path, "%s/summary.txt", dir);
    FILE *summary = fopen(path, "w");
    if (!summary) { perror(path); return 2; }
    fprintf(summary, "steps %d final %08x\n", steps, h);
    fclose(summary);
    printf("done h=%08x\n", h);
    return code;
}
