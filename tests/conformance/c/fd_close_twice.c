// Closing an fd twice gives EBADF; so does using it after the close.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    show("close", __wasi_fd_close(fd));
    show("close again", __wasi_fd_close(fd));
    show_read("read after close", fd, 5);
    __wasi_filestat_t st;
    show("filestat after close", __wasi_fd_filestat_get(fd, &st));
    show("close 9999", __wasi_fd_close(9999));
    show("close -1", __wasi_fd_close(-1));
    return 0;
}
