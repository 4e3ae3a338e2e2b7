// conformance: alone
// conformance: stdin='some input\n'
// poll_oneoff for reading stdin when input is there, and for writing stdout/stderr.
#include "common.h"

int main(void) {
    __wasi_subscription_t s[3] = {fd_sub(1, __WASI_EVENTTYPE_FD_READ, 0),
                                  fd_sub(2, __WASI_EVENTTYPE_FD_WRITE, 1),
                                  fd_sub(3, __WASI_EVENTTYPE_FD_WRITE, 2)};
    __wasi_event_t ev[3];
    __wasi_size_t n;
    show("poll stdin read + stdout/stderr write", __wasi_poll_oneoff(s, ev, 3, &n));
    printf("nevents=%u\n", (unsigned)n);
    show_events(ev, n);
    show_read("read stdin", 0, 64);
    return 0;
}
