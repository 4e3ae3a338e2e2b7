// path_filestat_get with a lookupflags bit outside the set (0x2).
#include "common.h"

int main(void) {
    printf("before\n");
    fflush(stdout);
    __wasi_filestat_t st;
    show("lookupflags 0x2", __wasi_path_filestat_get(SANDBOX, 2, "hello.txt", &st));
    return 0;
}
