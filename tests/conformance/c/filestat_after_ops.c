// Sizes and link counts reported after writes, truncation, hard links and unlinks.
#include "common.h"

static void st(const char *path) {
    __wasi_filestat_t s;
    int e = __wasi_path_filestat_get(SANDBOX, 0, path, &s);
    if (e) show(path, e);
    else printf("%s: size=%llu nlink=%llu\n", path, (unsigned long long)s.size, (unsigned long long)s.nlink);
}

int main(void) {
    int fd = must_open("f.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    st("f.txt");
    __wasi_size_t n;
    write_str(fd, "0123456789", &n);
    st("f.txt");
    __wasi_path_link(SANDBOX, 0, "f.txt", SANDBOX, "g.txt");
    st("f.txt");
    __wasi_fd_filestat_set_size(fd, 4);
    st("g.txt");
    __wasi_path_unlink_file(SANDBOX, "f.txt");
    st("g.txt");
    __wasi_filestat_t s;
    __wasi_fd_filestat_get(fd, &s);
    printf("open fd after unlink: size=%llu nlink=%llu\n", (unsigned long long)s.size, (unsigned long long)s.nlink);
    show_write("write via fd after unlink", fd, "AB");
    __wasi_fd_close(fd);
    show_file("g.txt");
    return 0;
}
