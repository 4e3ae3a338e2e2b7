// random_get of 0, 1, 256 and 1 MiB bytes: success, and the bytes look random.
#include "common.h"

static uint8_t big[1 << 20];

int main(void) {
    uint8_t small[256];
    show("random_get 0", __wasi_random_get(small, 0));
    show("random_get 1", __wasi_random_get(small, 1));
    memset(small, 0, sizeof small);
    show("random_get 256", __wasi_random_get(small, sizeof small));
    int zeros = 0;
    for (int i = 0; i < 256; i++) zeros += small[i] == 0;
    printf("256 bytes: fewer than 16 zeros: %s\n", zeros < 16 ? "yes" : "no");
    show("random_get 1 MiB", __wasi_random_get(big, sizeof big));
    unsigned counts[256] = {0};
    for (size_t i = 0; i < sizeof big; i++) counts[big[i]]++;
    unsigned lo = ~0u, hi = 0;
    for (int i = 0; i < 256; i++) { if (counts[i] < lo) lo = counts[i]; if (counts[i] > hi) hi = counts[i]; }
    printf("1 MiB: every byte value between 3500 and 4700 times: %s\n",
           lo > 3500 && hi < 4700 ? "yes" : "no");
    uint8_t again[256];
    __wasi_random_get(again, sizeof again);
    printf("two draws differ: %s\n", memcmp(small, again, sizeof again) ? "yes" : "no");
    return 0;
}
