// poll_oneoff with one relative monotonic clock of 50 ms: it waits at least that long and
// reports one clock event.
#include "common.h"

int main(void) {
    __wasi_subscription_t s = clock_sub(42, __WASI_CLOCKID_MONOTONIC, 50000000ULL, 0);
    __wasi_event_t ev[1];
    __wasi_size_t n = 0;
    uint64_t t0 = now_ns();
    show("poll", __wasi_poll_oneoff(&s, ev, 1, &n));
    uint64_t ms = (now_ns() - t0) / 1000000;
    printf("nevents=%u waited>=50ms: %s (under 5 s: %s)\n", (unsigned)n, ms >= 50 ? "yes" : "no",
           ms < 5000 ? "yes" : "no");
    show_events(ev, n);
    return 0;
}
