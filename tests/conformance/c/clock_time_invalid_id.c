// clock_time_get with a clock id outside the enum (99).
#include "common.h"

int main(void) {
    printf("before\n");
    fflush(stdout);
    __wasi_timestamp_t t;
    show("clock 99", __wasi_clock_time_get(99, 1, &t));
    return 0;
}
