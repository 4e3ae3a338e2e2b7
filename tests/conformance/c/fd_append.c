// FDFLAGS_APPEND: every write goes to the end, whatever the position; fd_tell after it.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, __WASI_FDFLAGS_APPEND);
    __wasi_filesize_t pos;
    __wasi_fd_tell(fd, &pos);
    printf("tell after open: %llu\n", (unsigned long long)pos);
    show_write("write A", fd, "A");
    __wasi_fd_tell(fd, &pos);
    printf("tell after write: %llu\n", (unsigned long long)pos);
    show("seek 0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    show_write("write B", fd, "B");
    __wasi_fd_tell(fd, &pos);
    printf("tell after write: %llu\n", (unsigned long long)pos);
    show("seek 2", __wasi_fd_seek(fd, 2, __WASI_WHENCE_SET, &pos));
    show_read("read at 2", fd, 3);
    __wasi_ciovec_t w = {(const uint8_t *)"P", 1};
    __wasi_size_t n;
    show("pwrite P at 0", __wasi_fd_pwrite(fd, &w, 1, 0, &n));
    __wasi_fd_close(fd);
    show_file("hello.txt");
    return 0;
}
