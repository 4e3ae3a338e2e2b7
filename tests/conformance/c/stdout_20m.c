// conformance: alone
// 20 MiB to stdout in 64 KiB writes: every byte arrives (the harness compares them all).
#include "common.h"

static uint8_t chunk[65536];

int main(void) {
    memset(chunk, 'a', sizeof chunk);
    for (size_t i = 63; i < sizeof chunk; i += 64) chunk[i] = '\n';
    chunk[sizeof chunk - 1] = '\n';
    size_t total = 0;
    for (int i = 0; i < 320; i++) {
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
    snprintf(msg, sizeof msg, "wrote %zu bytes\n", total);
    __wasi_size_t n;
    write_str(1, msg, &n);
    return 0;
}
