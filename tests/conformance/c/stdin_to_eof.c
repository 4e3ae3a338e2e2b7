// conformance: stdin=@stdin_lines
// Reading stdin to EOF with fd_read in 1000-byte reads: byte count, line count, a checksum, and
// what a read at EOF returns (several times).
#include "common.h"

int main(void) {
    char buf[1000];
    size_t total = 0, lines = 0;
    unsigned sum = 0;
    int reads = 0;
    for (;;) {
        __wasi_size_t n;
        int e = read_buf(0, buf, sizeof buf, &n);
        if (e) { show("read", e); return 1; }
        reads++;
        if (n == 0) break;
        for (__wasi_size_t i = 0; i < n; i++) {
            sum = sum * 33 + (unsigned char)buf[i];
            lines += buf[i] == '\n';
        }
        total += n;
    }
    printf("bytes=%zu lines=%zu sum=%08x\n", total, lines, sum);
    for (int i = 0; i < 3; i++) show_read("read at EOF", 0, 10);
    return 0;
}
