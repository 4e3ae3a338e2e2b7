// poll_oneoff with two clocks (20 ms and 5 s): it returns after the first, reporting only it.
#include "common.h"

int main(void) {
    __wasi_subscription_t s[2] = {clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5000000000ULL, 0),
                                  clock_sub(2, __WASI_CLOCKID_MONOTONIC, 20000000ULL, 0)};
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    uint64_t t0 = now_ns();
    show("poll", __wasi_poll_oneoff(s, ev, 2, &n));
    uint64_t ms = (now_ns() - t0) / 1000000;
    printf("nevents=%u waited>=20ms: %s, under 4 s: %s\n", (unsigned)n, ms >= 20 ? "yes" : "no",
           ms < 4000 ? "yes" : "no");
    show_events(ev, n);
    return 0;
}
