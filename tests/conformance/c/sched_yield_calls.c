// sched_yield succeeds, many times over.
#include "common.h"

int main(void) {
    int bad = 0;
    for (int i = 0; i < 1000; i++) bad += __wasi_sched_yield() != 0;
    show("sched_yield", __wasi_sched_yield());
    printf("failures in 1000 calls: %d\n", bad);
    return 0;
}
