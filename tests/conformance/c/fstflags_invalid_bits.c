// fd_filestat_set_times with a bit outside the fstflags set (0x10).
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    printf("before\n");
    fflush(stdout);
    show("fstflags 0x10", __wasi_fd_filestat_set_times(fd, 1, 2, 0x10));
    return 0;
}
