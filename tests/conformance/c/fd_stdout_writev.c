// conformance: stderr
// fd_write with several iovecs to stdout and stderr, checked by what arrives.
#include "common.h"

int main(void) {
    __wasi_ciovec_t iovs[3] = {{(const uint8_t *)"alpha ", 6}, {(const uint8_t *)"", 0},
                               {(const uint8_t *)"beta\n", 5}};
    __wasi_size_t n1 = 0, n2 = 0;
    int e1 = __wasi_fd_write(1, iovs, 3, &n1);
    int e2 = __wasi_fd_write(2, iovs, 3, &n2);
    printf("\nstdout writev: %s n=%u\nstderr writev: %s n=%u\n", errname(e1), (unsigned)n1,
           errname(e2), (unsigned)n2);
    return 0;
}
