// poll_oneoff with an absolute monotonic deadline 60 ms ahead, and one already in the past.
#include "common.h"

int main(void) {
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    uint64_t t0 = now_ns();
    __wasi_subscription_t s = clock_sub(7, __WASI_CLOCKID_MONOTONIC, t0 + 60000000ULL,
                                        __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    show("poll absolute +60ms", __wasi_poll_oneoff(&s, ev, 1, &n));
    uint64_t ms = (now_ns() - t0) / 1000000;
    printf("nevents=%u waited>=60ms: %s\n", (unsigned)n, ms >= 60 ? "yes" : "no");
    show_events(ev, n);
    t0 = now_ns();
    s = clock_sub(8, __WASI_CLOCKID_MONOTONIC, 1000, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    show("poll absolute in the past", __wasi_poll_oneoff(&s, ev, 1, &n));
    printf("nevents=%u returned within 1 s: %s\n", (unsigned)n, now_ns() - t0 < 1000000000ULL ? "yes" : "no");
    show_events(ev, n);
    return 0;
}
