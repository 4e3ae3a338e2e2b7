// fd_tell follows reads, writes and seeks.
#include "common.h"

static void tell(int fd, const char *label) {
    __wasi_filesize_t pos;
    int e = __wasi_fd_tell(fd, &pos);
    if (e == 0) printf("%s: %llu\n", label, (unsigned long long)pos);
    else show(label, e);
}

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    tell(fd, "after open");
    char buf[4];
    __wasi_size_t n;
    read_buf(fd, buf, 4, &n);
    tell(fd, "after read 4");
    write_str(fd, "XY", &n);
    tell(fd, "after write 2");
    __wasi_filesize_t pos;
    __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos);
    tell(fd, "after seek end");
    write_str(fd, "tail", &n);
    tell(fd, "after write at end");
    __wasi_fd_close(fd);
    show_file("hello.txt");
    return 0;
}
