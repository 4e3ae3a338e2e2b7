// poll_oneoff with an fd subscription on a bad fd, on a directory, on stdout for reading.
#include "common.h"

static void one(const char *label, __wasi_subscription_t s) {
    __wasi_subscription_t subs[2] = {s, clock_sub(99, __WASI_CLOCKID_MONOTONIC, 1000000ULL, 0)};
    __wasi_event_t ev[2];
    __wasi_size_t n = 77;
    int e = __wasi_poll_oneoff(subs, ev, 2, &n);
    printf("%s: %s nevents=%u\n", label, errname(e), e ? 0 : (unsigned)n);
    if (e == 0) show_events(ev, n);
}

int main(void) {
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, 0, 0);
    one("read fd 55", fd_sub(1, __WASI_EVENTTYPE_FD_READ, 55));
    one("write fd 55", fd_sub(1, __WASI_EVENTTYPE_FD_WRITE, 55));
    one("read dir", fd_sub(1, __WASI_EVENTTYPE_FD_READ, dir));
    one("read preopen", fd_sub(1, __WASI_EVENTTYPE_FD_READ, SANDBOX));
    one("read stdout", fd_sub(1, __WASI_EVENTTYPE_FD_READ, 1));
    one("write stdin", fd_sub(1, __WASI_EVENTTYPE_FD_WRITE, 0));
    __wasi_subscription_t bad = clock_sub(1, 0, 0, 0);
    bad.u.tag = 7;
    one("unknown tag 7", bad);
    return 0;
}
