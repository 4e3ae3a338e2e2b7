// Truncating without the right: fd_filestat_set_size on a read-only fd, on a write fd,
// O_TRUNC with read-only rights, and on a directory.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    show("set_size(3) on read-only fd", __wasi_fd_filestat_set_size(fd, 3));
    __wasi_fd_close(fd);
    show_file("hello.txt");
    fd = must_open("hello.txt", 0, __WASI_RIGHTS_FD_WRITE, 0);
    show("set_size(5) on write-only fd", __wasi_fd_filestat_set_size(fd, 5));
    show("set_size(8) grows", __wasi_fd_filestat_set_size(fd, 8));
    __wasi_fd_close(fd);
    fd = must_open("sub/nested.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0);
    show("set_size(0)", __wasi_fd_filestat_set_size(fd, 0));
    __wasi_fd_close(fd);
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, 0, 0);
    show("set_size on a dir", __wasi_fd_filestat_set_size(dir, 0));
    show("set_size on the preopen", __wasi_fd_filestat_set_size(SANDBOX, 0));
    show("set_size on stdout", __wasi_fd_filestat_set_size(1, 0));
    show_file("hello.txt");
    show_file("sub/nested.txt");
    return 0;
}
