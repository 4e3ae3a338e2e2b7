// A pointer past the end of memory given to fd_write: wasmtime traps (witx: an out-of-bounds
// pointer the function must dereference traps), it does not return EFAULT.
#include "common.h"

int main(void) {
    printf("before\n");
    fflush(stdout);
    __wasi_ciovec_t iov = {(const uint8_t *)0xFFFFFF00u, 1024};
    __wasi_size_t n;
    int e = __wasi_fd_write(1, &iov, 1, &n);
    printf("fd_write returned %s\n", errname(e));
    return 0;
}
