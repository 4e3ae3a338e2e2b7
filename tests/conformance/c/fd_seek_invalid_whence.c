// conformance: alone
// fd_seek with a whence outside the enum (3).
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    printf("before\n");
    fflush(stdout);
    __wasi_filesize_t pos;
    show("whence 3", __wasi_fd_seek(fd, 0, 3, &pos));
    return 0;
}
