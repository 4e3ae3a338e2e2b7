// fd_advise with an advice outside the enum (6).
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    printf("before\n");
    fflush(stdout);
    show("advice 6", __wasi_fd_advise(fd, 0, 10, 6));
    return 0;
}
