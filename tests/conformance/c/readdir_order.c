// The raw order of fd_readdir entries (not sorted) and their cookies, for a directory the
// fixture created in a known order.
#include "common.h"

int main(void) {
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0);
    static uint8_t buf[4096];
    __wasi_size_t used;
    show("readdir", __wasi_fd_readdir(dir, buf, sizeof buf, 0, &used));
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        off += sizeof d;
        printf("%.*s d_next=%llu\n", (int)d.d_namlen, buf + off, (unsigned long long)d.d_next);
        off += d.d_namlen;
    }
    return 0;
}
