// path_rename between two directory fds (an opened subdirectory and the preopen).
#include "common.h"

int main(void) {
    int sub = must_open("sub", __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS & ~__WASI_RIGHTS_FD_WRITE, 0);
    show("rename sub:nested.txt -> preopen:moved.txt", __wasi_path_rename(sub, "nested.txt", SANDBOX, "moved.txt"));
    show("rename preopen:hello.txt -> sub:h.txt", __wasi_path_rename(SANDBOX, "hello.txt", sub, "h.txt"));
    show("rename sub:../data.bin -> sub:d", __wasi_path_rename(sub, "../data.bin", sub, "d"));
    int file = must_open("empty.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    show("rename with a file as new dirfd", __wasi_path_rename(SANDBOX, "moved.txt", file, "x"));
    return 0;
}
