// path_open with an oflags bit outside the set (0x10).
#include "common.h"

int main(void) {
    printf("before\n");
    fflush(stdout);
    int fd;
    show("oflags 0x10", open_sb("hello.txt", 0x10, __WASI_RIGHTS_FD_READ, 0, &fd));
    return 0;
}
