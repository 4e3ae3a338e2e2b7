// sock_* on stdin, stdout and a directory.
#include "common.h"

int main(void) {
    int out;
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    show("sock_accept stdin", __wasi_sock_accept(0, 0, &out));
    show("sock_send stdout", __wasi_sock_send(1, &ciov, 1, 0, &n));
    show("sock_shutdown stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR));
    show("sock_shutdown preopen", __wasi_sock_shutdown(SANDBOX, __WASI_SDFLAGS_RD));
    return 0;
}
