// Reading stdout, writing stdin, pread/pwrite on stdio.
// conformance: stdin='abc'
#include "common.h"

int main(void) {
    char buf[16];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)"", 0};
    __wasi_size_t n;
    show("fd_read stdout", __wasi_fd_read(1, &iov, 1, &n));
    show("fd_read stderr", __wasi_fd_read(2, &iov, 1, &n));
    show("fd_write stdin", __wasi_fd_write(0, &ciov, 1, &n));
    show("fd_pread stdin", __wasi_fd_pread(0, &iov, 1, 0, &n));
    show("fd_pwrite stdout", __wasi_fd_pwrite(1, &ciov, 1, 0, &n));
    show("fd_pread stdout", __wasi_fd_pread(1, &iov, 1, 0, &n));
    show_read("fd_read stdin", 0, 16);
    return 0;
}
