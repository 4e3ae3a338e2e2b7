// fd_readdir with cookies at and past the end of the listing, and a huge cookie.
#include "common.h"

int main(void) {
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0);
    static uint8_t buf[4096];
    static const __wasi_dircookie_t cookies[] = {0, 1, 2, 3, 4, 5, 6, 100, 0xFFFFFFFFULL,
                                                 0x7FFFFFFFFFFFFFFFULL, ~0ULL};
    for (size_t i = 0; i < sizeof cookies / sizeof cookies[0]; i++) {
        __wasi_size_t used = 9999;
        int e = __wasi_fd_readdir(dir, buf, sizeof buf, cookies[i], &used);
        int n = 0;
        for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used; n++) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            off += sizeof d + d.d_namlen;
        }
        printf("cookie %llu: %s entries=%d\n", (unsigned long long)cookies[i], errname(e), e ? 0 : n);
    }
    return 0;
}
