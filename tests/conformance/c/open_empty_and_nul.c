// An empty path, a path with a NUL byte inside, and a path of only slashes.
#include "common.h"

int main(void) {
    int32_t fd;
    show("empty path", raw_path_open(SANDBOX, 1, "", 0, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("empty path O_CREAT", raw_path_open(SANDBOX, 1, "", 0, __WASI_OFLAGS_CREAT, RIGHTS_RW,
                                             0, 0, &fd));
    show("empty path O_DIRECTORY", raw_path_open(SANDBOX, 1, "", 0, __WASI_OFLAGS_DIRECTORY,
                                                 __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("\"hello.txt\\0x\"", raw_path_open(SANDBOX, 1, "hello.txt\0x", 11, 0,
                                            __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("\"hello.txt\\0\"", raw_path_open(SANDBOX, 1, "hello.txt\0", 10, 0,
                                           __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("\"\\0\"", raw_path_open(SANDBOX, 1, "\0", 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("\"new\\0.txt\" O_CREAT", raw_path_open(SANDBOX, 1, "new\0.txt", 8,
                                                 __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, 0, &fd));
    return 0;
}
