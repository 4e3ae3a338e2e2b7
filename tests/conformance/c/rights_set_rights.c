// fd_fdstat_set_rights: narrowing, then using the removed right, then widening again.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                       __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL, 0);
    show("narrow to fd_write|fd_seek", __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_WRITE |
                                                                  __WASI_RIGHTS_FD_SEEK, 0));
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(fd, &st);
    printf("fd_read right after narrowing: %s\n",
           st.fs_rights_base & __WASI_RIGHTS_FD_READ ? "yes" : "no");
    show_read("read after narrowing", fd, 5);
    show("widen to all", __wasi_fd_fdstat_set_rights(fd, ALL_RIGHTS, ALL_RIGHTS));
    show_read("read after widening", fd, 5);
    show("set rights on stdout", __wasi_fd_fdstat_set_rights(1, 0, 0));
    show_write("write to stdout after that", 1, "(stdout still writable)\n");
    show("set rights on preopen", __wasi_fd_fdstat_set_rights(SANDBOX, 0, 0));
    int f2;
    show("open via preopen after that", open_sb("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, &f2));
    show("set rights on fd 99", __wasi_fd_fdstat_set_rights(99, 0, 0));
    return 0;
}
