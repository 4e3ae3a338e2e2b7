// fd_seek and fd_tell on stdin, stdout and stderr.
#include "common.h"

int main(void) {
    __wasi_filesize_t pos;
    for (int fd = 0; fd < 3; fd++) {
        char label[64];
        snprintf(label, sizeof label, "seek fd %d", fd);
        show(label, __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos));
        snprintf(label, sizeof label, "tell fd %d", fd);
        show(label, __wasi_fd_tell(fd, &pos));
    }
    return 0;
}
