// fd_read with several iovecs (readv), some of them empty; how many bytes each call fills.
#include "common.h"

int main(void) {
    int fd = must_open("data.bin", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0);
    uint8_t a[4], b[8], c[16];
    __wasi_iovec_t iovs[4] = {{a, sizeof a}, {b, 0}, {b, sizeof b}, {c, sizeof c}};
    __wasi_size_t n = 0;
    show("readv 4+0+8+16", __wasi_fd_read(fd, iovs, 4, &n));
    printf("nread=%u a[0]=%u b[0]=%u c[0]=%u\n", (unsigned)n, a[0], n > 4 ? b[0] : 0,
           n > 12 ? c[0] : 0);
    __wasi_iovec_t empty[2] = {{a, 0}, {b, 0}};
    show("readv of only empty iovecs", __wasi_fd_read(fd, empty, 2, &n));
    printf("nread=%u\n", (unsigned)n);
    __wasi_iovec_t first_empty[2] = {{a, 0}, {c, sizeof c}};
    show("readv empty then 16", __wasi_fd_read(fd, first_empty, 2, &n));
    printf("nread=%u c[0]=%u\n", (unsigned)n, c[0]);
    show("readv with 0 iovecs", __wasi_fd_read(fd, iovs, 0, &n));
    printf("nread=%u\n", (unsigned)n);
    __wasi_filesize_t pos;
    __wasi_fd_tell(fd, &pos);
    printf("position now %llu\n", (unsigned long long)pos);
    return 0;
}
