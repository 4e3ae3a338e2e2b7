// sock_* on an fd that is not open.
#include "common.h"

int main(void) {
    int out;
    char buf[8];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    __wasi_roflags_t ro;
    show("sock_accept 88", __wasi_sock_accept(88, 0, &out));
    show("sock_recv 88", __wasi_sock_recv(88, &iov, 1, 0, &n, &ro));
    show("sock_send 88", __wasi_sock_send(88, &ciov, 1, 0, &n));
    show("sock_shutdown 88", __wasi_sock_shutdown(88, __WASI_SDFLAGS_WR));
    return 0;
}
