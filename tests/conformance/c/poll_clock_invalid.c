// poll_oneoff with invalid clocks: an unknown clock id, the CPU-time clocks.
#include "common.h"

int main(void) {
    __wasi_event_t ev[2];
    __wasi_size_t n = 99;
    for (int id = 2; id <= 4; id++) {
        __wasi_subscription_t s = clock_sub(10 + id, id, 1000000ULL, 0);
        char label[48];
        snprintf(label, sizeof label, "poll clock id %d", id);
        n = 99;
        show(label, __wasi_poll_oneoff(&s, ev, 1, &n));
        if (n <= 2) show_events(ev, n);
        __wasi_subscription_t two[2] = {clock_sub(20 + id, id, 1000000ULL, 0),
                                        clock_sub(30, __WASI_CLOCKID_MONOTONIC, 1000000ULL, 0)};
        snprintf(label, sizeof label, "poll clock id %d with a monotonic one", id);
        n = 99;
        show(label, __wasi_poll_oneoff(two, ev, 2, &n));
        if (n <= 2) show_events(ev, n);
    }
    return 0;
}
