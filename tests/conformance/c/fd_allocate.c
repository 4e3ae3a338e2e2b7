// fd_allocate on a file, a directory, stdout, a bad fd.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    show("allocate 0..100 on file", __wasi_fd_allocate(fd, 0, 100));
    __wasi_filestat_t st;
    __wasi_fd_filestat_get(fd, &st);
    printf("size after: %llu\n", (unsigned long long)st.size);
    show("allocate 0..0 on file", __wasi_fd_allocate(fd, 0, 0));
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, 0, 0);
    show("allocate on dir", __wasi_fd_allocate(dir, 0, 10));
    show("allocate on stdout", __wasi_fd_allocate(1, 0, 10));
    show("allocate on fd 50", __wasi_fd_allocate(50, 0, 10));
    return 0;
}
