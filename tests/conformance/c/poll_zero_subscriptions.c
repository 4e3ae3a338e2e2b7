// poll_oneoff with no subscriptions.
#include "common.h"

int main(void) {
    __wasi_subscription_t s;
    __wasi_event_t ev[1];
    __wasi_size_t n = 77;
    show("poll 0 subscriptions", __wasi_poll_oneoff(&s, ev, 0, &n));
    printf("nevents=%u\n", (unsigned)n);
    return 0;
}
