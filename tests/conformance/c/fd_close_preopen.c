// Closing the preopen: it is gone for every later call (open, prestat, fdstat, readdir).
#include "common.h"

int main(void) {
    show("close preopen", __wasi_fd_close(SANDBOX));
    int fd;
    show("open via it", open_sb("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    __wasi_prestat_t pre;
    show("prestat", __wasi_fd_prestat_get(SANDBOX, &pre));
    __wasi_fdstat_t st;
    show("fdstat", __wasi_fd_fdstat_get(SANDBOX, &st));
    char buf[64];
    __wasi_size_t used;
    show("readdir", __wasi_fd_readdir(SANDBOX, (uint8_t *)buf, sizeof buf, 0, &used));
    show("close again", __wasi_fd_close(SANDBOX));
    return 0;
}
