// conformance: alone
// poll_oneoff for reading stdin at end of input (empty stdin), with a 2 s clock as a bound.
#include "common.h"

int main(void) {
    __wasi_subscription_t s[2] = {fd_sub(1, __WASI_EVENTTYPE_FD_READ, 0),
                                  clock_sub(2, __WASI_CLOCKID_MONOTONIC, 2000000000ULL, 0)};
    __wasi_event_t ev[2];
    __wasi_size_t n;
    uint64_t t0 = now_ns();
    show("poll", __wasi_poll_oneoff(s, ev, 2, &n));
    printf("returned within 1 s: %s\n", now_ns() - t0 < 1000000000ULL ? "yes" : "no");
    show_events(ev, n);
    return 0;
}
