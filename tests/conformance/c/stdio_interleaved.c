// conformance: stderr
// Alternating unbuffered writes to stdout and stderr: each stream gets its own lines in order.
#include "common.h"

int main(void) {
    for (int i = 0; i < 200; i++) {
        char line[64];
        __wasi_size_t n;
        snprintf(line, sizeof line, "out %d\n", i);
        write_str(1, line, &n);
        snprintf(line, sizeof line, "err %d\n", i);
        write_str(2, line, &n);
    }
    return 0;
}
