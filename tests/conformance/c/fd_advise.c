// fd_advise with every advice on a file, and on non-files (advice 6: fd_advise_invalid).
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    for (int advice = 0; advice <= 5; advice++) {
        char label[32];
        snprintf(label, sizeof label, "advice %d on file", advice);
        show(label, __wasi_fd_advise(fd, 0, 10, advice));
    }
    show("advice 0 huge range", __wasi_fd_advise(fd, 0, UINT64_MAX, 0));
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, 0, 0);
    show("advice 0 on dir", __wasi_fd_advise(dir, 0, 10, 0));
    show("advice 0 on stdout", __wasi_fd_advise(1, 0, 10, 0));
    show("advice 0 on fd 50", __wasi_fd_advise(50, 0, 10, 0));
    return 0;
}
