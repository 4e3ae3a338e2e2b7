// conformance: stderr
// Closing stdout: later writes to fd 1 fail; stderr still works.
#include "common.h"

int main(void) {
    fflush(stdout);
    int e = __wasi_fd_close(1);
    __wasi_size_t n;
    int w = write_str(1, "lost\n", &n);
    char msg[128];
    snprintf(msg, sizeof msg, "close stdout: %s\nwrite to closed stdout: %s\n", errname(e),
             errname(w));
    write_str(2, msg, &n);
    __wasi_fdstat_t st;
    snprintf(msg, sizeof msg, "fdstat fd 1: %s\n", errname(__wasi_fd_fdstat_get(1, &st)));
    write_str(2, msg, &n);
    return 0;
}
