// poll_oneoff on a ready file together with a 3 s clock: it returns at once with the fd event.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    __wasi_subscription_t s[2] = {clock_sub(1, __WASI_CLOCKID_MONOTONIC, 3000000000ULL, 0),
                                  fd_sub(2, __WASI_EVENTTYPE_FD_READ, fd)};
    __wasi_event_t ev[2];
    __wasi_size_t n;
    uint64_t t0 = now_ns();
    show("poll", __wasi_poll_oneoff(s, ev, 2, &n));
    printf("returned within 2 s: %s\n", now_ns() - t0 < 2000000000ULL ? "yes" : "no");
    show_events(ev, n);
    return 0;
}
