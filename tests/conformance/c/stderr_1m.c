// conformance: alone
// conformance: stderr
// 1 MiB to stderr: every byte arrives.
#include "common.h"

static char buf[1 << 20];

int main(void) {
    memset(buf, '7', sizeof buf);
    for (size_t i = 79; i < sizeof buf; i += 80) buf[i] = '\n';
    size_t off = 0;
    while (off < sizeof buf) {
        __wasi_ciovec_t iov = {(const uint8_t *)buf + off, sizeof buf - off};
        __wasi_size_t n;
        if (__wasi_fd_write(2, &iov, 1, &n)) return 1;
        off += n;
    }
    printf("done\n");
    return 0;
}
