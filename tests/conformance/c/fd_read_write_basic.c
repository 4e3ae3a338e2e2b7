// fd_read/fd_write on a file: positions advance, short reads at EOF, read of 0 bytes at EOF.
#include "common.h"

int main(void) {
    int fd = must_open("new.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    show_write("write abc", fd, "abc");
    show_write("write defgh", fd, "defgh");
    __wasi_filesize_t pos;
    show("seek 0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    show_read("read 4", fd, 4);
    show_read("read 10 (short)", fd, 10);
    show_read("read at EOF", fd, 10);
    show_read("read 0 bytes", fd, 0);
    __wasi_fd_close(fd);
    show_file("new.txt");
    return 0;
}
