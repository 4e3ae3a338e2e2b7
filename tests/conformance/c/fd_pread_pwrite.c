// fd_pread/fd_pwrite use the given offset and leave the fd's position alone; a pwrite past the
// end fills the gap with zeros.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    char buf[32];
    __wasi_iovec_t iov = {(uint8_t *)buf, 5};
    __wasi_size_t n;
    show("pread 5 at 6", __wasi_fd_pread(fd, &iov, 1, 6, &n));
    printf("  n=%u data=\"%.*s\"\n", (unsigned)n, (int)n, buf);
    __wasi_filesize_t pos;
    __wasi_fd_tell(fd, &pos);
    printf("position after pread: %llu\n", (unsigned long long)pos);
    __wasi_ciovec_t w = {(const uint8_t *)"HELLO", 5};
    show("pwrite HELLO at 0", __wasi_fd_pwrite(fd, &w, 1, 0, &n));
    __wasi_fd_tell(fd, &pos);
    printf("position after pwrite: %llu\n", (unsigned long long)pos);
    __wasi_ciovec_t far = {(const uint8_t *)"END", 3};
    show("pwrite END at 20", __wasi_fd_pwrite(fd, &far, 1, 20, &n));
    __wasi_filestat_t st;
    __wasi_fd_filestat_get(fd, &st);
    printf("size now %llu\n", (unsigned long long)st.size);
    iov.buf_len = 32;
    show("pread 32 at 10", __wasi_fd_pread(fd, &iov, 1, 10, &n));
    printf("  n=%u bytes:", (unsigned)n);
    for (unsigned i = 0; i < n; i++) printf(" %02x", (unsigned char)buf[i]);
    printf("\n");
    show("pread at 1000 (past end)", __wasi_fd_pread(fd, &iov, 1, 1000, &n));
    printf("  n=%u\n", (unsigned)n);
    show_read("fd_read from position 0", fd, 5);
    return 0;
}
