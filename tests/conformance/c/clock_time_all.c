// clock_time_get for every clock id: realtime is after 2020, monotonic never goes back, the
// CPU-time clocks as wasmtime answers (an id outside the enum is clock_time_invalid_id).
#include "common.h"

int main(void) {
    for (int id = 0; id <= 3; id++) {
        __wasi_timestamp_t t = 0;
        int e = __wasi_clock_time_get(id, 1, &t);
        printf("clock %d: %s nonzero=%s\n", id, errname(e), e == 0 && t ? "yes" : "no");
    }
    __wasi_timestamp_t t;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t);
    printf("realtime after 2020: %s\n", t > 1577836800ULL * 1000000000ULL ? "yes" : "no");
    __wasi_timestamp_t prev = 0;
    int backwards = 0;
    for (int i = 0; i < 1000; i++) {
        __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t);
        if (t < prev) backwards++;
        prev = t;
    }
    printf("monotonic went backwards: %d times\n", backwards);
    show("precision huge", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, UINT64_MAX, &t));
    return 0;
}
