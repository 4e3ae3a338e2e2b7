// Zero-length writes to stdout and to a file succeed and write nothing.
#include "common.h"

int main(void) {
    __wasi_size_t n = 99;
    __wasi_ciovec_t iov = {(const uint8_t *)"", 0};
    show("write 0 bytes to stdout", __wasi_fd_write(1, &iov, 1, &n));
    printf("n=%u\n", (unsigned)n);
    int fd = must_open("empty.txt", 0, RIGHTS_RW, 0);
    show("write 0 bytes to file", __wasi_fd_write(fd, &iov, 1, &n));
    printf("n=%u\n", (unsigned)n);
    return 0;
}
