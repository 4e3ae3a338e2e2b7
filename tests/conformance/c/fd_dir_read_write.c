// fd_read, fd_write, fd_pread, fd_pwrite on a directory fd and on the preopen.
#include "common.h"

int main(void) {
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0);
    char buf[16];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    show("fd_read dir", __wasi_fd_read(dir, &iov, 1, &n));
    show("fd_write dir", __wasi_fd_write(dir, &ciov, 1, &n));
    show("fd_pread dir", __wasi_fd_pread(dir, &iov, 1, 0, &n));
    show("fd_pwrite dir", __wasi_fd_pwrite(dir, &ciov, 1, 0, &n));
    show("fd_read preopen", __wasi_fd_read(SANDBOX, &iov, 1, &n));
    show("fd_write preopen", __wasi_fd_write(SANDBOX, &ciov, 1, &n));
    return 0;
}
