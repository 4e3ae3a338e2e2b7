// fd_write with several iovecs (writev) to a file: how many bytes each call writes.
#include "common.h"

int main(void) {
    int fd = must_open("out.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    __wasi_ciovec_t iovs[4] = {{(const uint8_t *)"one ", 4}, {(const uint8_t *)"", 0},
                               {(const uint8_t *)"two ", 4}, {(const uint8_t *)"three", 5}};
    __wasi_size_t n = 0;
    show("writev 4+0+4+5", __wasi_fd_write(fd, iovs, 4, &n));
    printf("nwritten=%u\n", (unsigned)n);
    __wasi_ciovec_t empty[1] = {{(const uint8_t *)"", 0}};
    show("writev one empty iovec", __wasi_fd_write(fd, empty, 1, &n));
    printf("nwritten=%u\n", (unsigned)n);
    show("writev 0 iovecs", __wasi_fd_write(fd, iovs, 0, &n));
    printf("nwritten=%u\n", (unsigned)n);
    __wasi_fd_close(fd);
    show_file("out.txt");
    return 0;
}
