// fd_seek with every whence, negative offsets, past the end (a whence outside the enum:
// fd_seek_invalid_whence).
#include "common.h"

static void seek(int fd, int64_t off, int whence, const char *label) {
    __wasi_filesize_t pos = 12345;
    int e = __wasi_fd_seek(fd, off, whence, &pos);
    if (e == 0) printf("%s: ESUCCESS pos=%llu\n", label, (unsigned long long)pos);
    else printf("%s: %s\n", label, errname(e));
}

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    seek(fd, 4, __WASI_WHENCE_SET, "SET 4");
    seek(fd, 2, __WASI_WHENCE_CUR, "CUR +2");
    seek(fd, -3, __WASI_WHENCE_CUR, "CUR -3");
    seek(fd, 0, __WASI_WHENCE_END, "END 0");
    seek(fd, -5, __WASI_WHENCE_END, "END -5");
    show_read("read after END -5", fd, 10);
    seek(fd, 100, __WASI_WHENCE_END, "END +100");
    seek(fd, 1000, __WASI_WHENCE_SET, "SET 1000");
    seek(fd, -1, __WASI_WHENCE_SET, "SET -1");
    seek(fd, -2000, __WASI_WHENCE_CUR, "CUR -2000");
    seek(fd, -100, __WASI_WHENCE_END, "END -100");
    seek(fd, 0, __WASI_WHENCE_CUR, "CUR 0 (where are we)");
    seek(fd, INT64_MAX, __WASI_WHENCE_SET, "SET INT64_MAX");
    seek(fd, 1, __WASI_WHENCE_CUR, "CUR +1 past INT64_MAX");
    return 0;
}
