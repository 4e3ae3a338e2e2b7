// fd_readdir on a file, stdio, a bad fd.
#include "common.h"

int main(void) {
    uint8_t buf[256];
    __wasi_size_t used;
    int f = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0);
    show("readdir file", __wasi_fd_readdir(f, buf, sizeof buf, 0, &used));
    show("readdir stdin", __wasi_fd_readdir(0, buf, sizeof buf, 0, &used));
    show("readdir stdout", __wasi_fd_readdir(1, buf, sizeof buf, 0, &used));
    show("readdir fd 70", __wasi_fd_readdir(70, buf, sizeof buf, 0, &used));
    return 0;
}
