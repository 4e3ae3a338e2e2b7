// fd_fdstat_set_flags with a bit outside the fdflags set (0x20).
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    printf("before\n");
    fflush(stdout);
    show("set 0x20", __wasi_fd_fdstat_set_flags(fd, 0x20));
    return 0;
}
