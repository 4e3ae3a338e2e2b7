// O_TRUNC with and without write rights, and O_CREAT|O_TRUNC on a new file.
#include "common.h"

int main(void) {
    int fd;
    if (show("O_TRUNC hello.txt rw", open_sb("hello.txt", __WASI_OFLAGS_TRUNC, RIGHTS_RW, 0,
                                             &fd)) == 0) {
        show_read("read after trunc", fd, 100);
        __wasi_fd_close(fd);
    }
    show_file("hello.txt");
    if (show("O_TRUNC sub/nested.txt read-only rights",
             open_sb("sub/nested.txt", __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_READ, 0, &fd)) == 0)
        __wasi_fd_close(fd);
    show_file("sub/nested.txt");
    if (show("O_CREAT|O_TRUNC fresh.txt", open_sb("fresh.txt", __WASI_OFLAGS_CREAT |
                                                  __WASI_OFLAGS_TRUNC, RIGHTS_RW, 0, &fd)) == 0) {
        show_write("write", fd, "abc");
        __wasi_fd_close(fd);
    }
    show_file("fresh.txt");
    if (show("O_TRUNC empty.txt", open_sb("empty.txt", __WASI_OFLAGS_TRUNC, RIGHTS_RW, 0,
                                          &fd)) == 0)
        __wasi_fd_close(fd);
    return 0;
}
