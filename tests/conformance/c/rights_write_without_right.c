// A file opened without the fd_write right cannot be written (fd_write, fd_pwrite).
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0);
    show_write("fd_write on read-only fd", fd, "XXXX");
    __wasi_ciovec_t iov = {(const uint8_t *)"YY", 2};
    __wasi_size_t n;
    show("fd_pwrite on read-only fd", __wasi_fd_pwrite(fd, &iov, 1, 3, &n));
    show_read("fd_read still works", fd, 5);
    __wasi_fd_close(fd);
    show_file("hello.txt");
    return 0;
}
