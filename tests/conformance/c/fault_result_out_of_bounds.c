// A result pointer past the end of memory given to clock_time_get.
#include "common.h"

WASI_IMPORT(clock_time_get) int32_t raw_clock_time_get(int32_t id, int64_t precision, int32_t out);

int main(void) {
    printf("before\n");
    fflush(stdout);
    int e = raw_clock_time_get(0, 1, (int32_t)0xFFFFFFFCu);
    printf("clock_time_get returned %s\n", errname(e));
    return 0;
}
