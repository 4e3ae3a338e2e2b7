// A file opened without the fd_read right cannot be read (fd_read, fd_pread).
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK, 0);
    show_read("fd_read on write-only fd", fd, 5);
    char buf[8];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t n;
    show("fd_pread on write-only fd", __wasi_fd_pread(fd, &iov, 1, 0, &n));
    __wasi_fd_close(fd);
    fd = must_open("hello.txt", 0, __WASI_RIGHTS_FD_SEEK, 0);
    show_read("fd_read on fd with no read/write rights", fd, 5);
    show_write("fd_write on fd with no read/write rights", fd, "x");
    __wasi_fd_close(fd);
    show_file("hello.txt");
    return 0;
}
