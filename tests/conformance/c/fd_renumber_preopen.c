// fd_renumber with preopens: moving a file onto the preopen's number, and moving the preopen.
#include "common.h"

int main(void) {
    int sub = must_open("sub", __WASI_OFLAGS_DIRECTORY, 0, 0);
    show("renumber preopen 3 -> 20", __wasi_fd_renumber(SANDBOX, 20));
    __wasi_prestat_t pre;
    show("prestat 20", __wasi_fd_prestat_get(20, &pre));
    show("prestat 3", __wasi_fd_prestat_get(3, &pre));
    int fd;
    show("open hello.txt via 20", open_at(20, "hello.txt", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("open hello.txt via 3", open_at(3, "hello.txt", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    int file;
    open_at(20, "hello.txt", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &file);
    show("renumber file -> 20 (onto the preopen)", __wasi_fd_renumber(file, 20));
    show("open via 20 now", open_at(20, "hello.txt", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show_read("read via 20", 20, 5);
    show("open nested.txt via sub", open_at(sub, "nested.txt", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    return 0;
}
