// sock_accept, sock_recv, sock_send, sock_shutdown on a regular file: not a socket.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    int out;
    char buf[8];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    __wasi_roflags_t ro;
    show("sock_accept", __wasi_sock_accept(fd, 0, &out));
    show("sock_recv", __wasi_sock_recv(fd, &iov, 1, 0, &n, &ro));
    show("sock_send", __wasi_sock_send(fd, &ciov, 1, 0, &n));
    show("sock_shutdown", __wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR));
    show_file("hello.txt");
    return 0;
}
