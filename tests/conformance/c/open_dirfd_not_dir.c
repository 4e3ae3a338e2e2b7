// path_open relative to an fd that is not a directory: a file, stdio, a closed and a bad fd.
#include "common.h"

int main(void) {
    int file = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    int fd;
    show("dirfd = a file", open_at(file, "x", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("dirfd = a file, empty path", open_at(file, "", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("dirfd = stdin", open_at(0, "hello.txt", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("dirfd = stdout", open_at(1, "hello.txt", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("dirfd = 77", open_at(77, "hello.txt", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    __wasi_fd_close(file);
    show("dirfd = closed file", open_at(file, "x", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("dirfd = -1", open_at(-1, "hello.txt", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    return 0;
}
