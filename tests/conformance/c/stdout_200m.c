// conformance: alone
// conformance: slow timeout=900
// 200 MiB to stdout in 1 MiB writes: every byte arrives (issue 15: Node lost most of them).
#include "common.h"

static uint8_t chunk[1 << 20];

int main(void) {
    memset(chunk, 'A', sizeof chunk);
    for (size_t i = 63; i < sizeof chunk; i += 64) chunk[i] = '\n';
    size_t total = 0;
    for (int i = 0; i < 200; i++) {
        chunk[0] = '0' + i % 10;
        size_t off = 0;
        while (off < sizeof chunk) {
            __wasi_ciovec_t iov = {chunk + off, sizeof chunk - off};
            __wasi_size_t n;
            if (__wasi_fd_write(1, &iov, 1, &n)) return 1;
            off += n;
        }
        total += off;
    }
    char msg[64];
    snprintf(msg, sizeof msg, "\nwrote %zu bytes\n", total);
    __wasi_size_t n;
    write_str(1, msg, &n);
    return 0;
}
