// poll_oneoff with realtime clocks: relative 30 ms, absolute 40 ms ahead.
#include "common.h"

int main(void) {
    __wasi_event_t ev[1];
    __wasi_size_t n = 0;
    uint64_t t0 = now_ns();
    __wasi_subscription_t s = clock_sub(1, __WASI_CLOCKID_REALTIME, 30000000ULL, 0);
    show("poll realtime relative", __wasi_poll_oneoff(&s, ev, 1, &n));
    printf("waited>=30ms: %s\n", now_ns() - t0 >= 30000000ULL ? "yes" : "no");
    show_events(ev, n);
    __wasi_timestamp_t rt;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &rt);
    t0 = now_ns();
    s = clock_sub(2, __WASI_CLOCKID_REALTIME, rt + 40000000ULL,
                  __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    show("poll realtime absolute", __wasi_poll_oneoff(&s, ev, 1, &n));
    printf("returned within 2 s: %s\n", now_ns() - t0 < 2000000000ULL ? "yes" : "no");
    show_events(ev, n);
    return 0;
}
