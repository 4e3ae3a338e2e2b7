// fd_sync and fd_datasync on a file, a read-only file, a directory, the preopen, stdio.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    show("sync file", __wasi_fd_sync(fd));
    show("datasync file", __wasi_fd_datasync(fd));
    int ro = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    show("sync read-only file", __wasi_fd_sync(ro));
    show("datasync read-only file", __wasi_fd_datasync(ro));
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, 0, 0);
    show("sync dir", __wasi_fd_sync(dir));
    show("datasync dir", __wasi_fd_datasync(dir));
    show("sync preopen", __wasi_fd_sync(SANDBOX));
    show("sync stdout", __wasi_fd_sync(1));
    show("datasync stderr", __wasi_fd_datasync(2));
    show("sync stdin", __wasi_fd_sync(0));
    show("sync fd 60", __wasi_fd_sync(60));
    return 0;
}
