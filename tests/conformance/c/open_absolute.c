// Absolute paths in path_open are not capabilities: every one fails (errno as wasmtime).
#include "common.h"

int main(void) {
    int fd;
    show("open /sandbox/hello.txt", open_sb("/sandbox/hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    show("open /etc/passwd", open_sb("/etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    show("open /", open_sb("/", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    show("open //hello.txt", open_sb("//hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    show("O_CREAT /tmp/conformance-x", open_sb("/tmp/conformance-x", __WASI_OFLAGS_CREAT,
                                               RIGHTS_RW, 0, &fd));
    return 0;
}
