// A path pointer past the end of memory given to path_open.
#include "common.h"

int main(void) {
    printf("before\n");
    fflush(stdout);
    int32_t fd;
    int e = raw_path_open(SANDBOX, 1, (const char *)0xFFFFFFF0u, 64, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    printf("path_open returned %s\n", errname(e));
    return 0;
}
