// fd_readdir into buffers smaller than one entry: bufused equals the buffer size when the
// listing is cut, and the bytes that fit are the start of the first entry.
#include "common.h"

int main(void) {
    int dir = must_open("emptydir", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0);
    static const size_t sizes[] = {0, 1, 10, 23, 24, 25, 26, 48, 49, 50, 51, 52, 100};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t buf[128];
        memset(buf, 0xAA, sizeof buf);
        __wasi_size_t used = 9999;
        int e = __wasi_fd_readdir(dir, buf, sizes[i], 0, &used);
        printf("buf %3zu: %s used=%u first byte=%02x byte after=%02x\n", sizes[i], errname(e),
               (unsigned)used, buf[0], buf[sizes[i]]);
    }
    return 0;
}
