// path_link: a hard link shares content and raises nlink; onto an existing name; of a
// directory; from a missing file; escaping.
#include "common.h"

int main(void) {
    show("link hello.txt -> hard.txt", __wasi_path_link(SANDBOX, 0, "hello.txt", SANDBOX, "hard.txt"));
    __wasi_filestat_t a, b;
    __wasi_path_filestat_get(SANDBOX, 0, "hello.txt", &a);
    __wasi_path_filestat_get(SANDBOX, 0, "hard.txt", &b);
    printf("nlink %llu, same inode: %s\n", (unsigned long long)a.nlink, a.ino == b.ino ? "yes" : "no");
    int fd = must_open("hard.txt", 0, RIGHTS_RW, __WASI_FDFLAGS_APPEND);
    __wasi_size_t n;
    write_str(fd, "via hard link\n", &n);
    __wasi_fd_close(fd);
    show_file("hello.txt");
    show("link hello.txt -> empty.txt (exists)", __wasi_path_link(SANDBOX, 0, "hello.txt", SANDBOX, "empty.txt"));
    show("link sub -> subhard (a dir)", __wasi_path_link(SANDBOX, 0, "sub", SANDBOX, "subhard"));
    show("link missing -> x", __wasi_path_link(SANDBOX, 0, "missing", SANDBOX, "x"));
    show("link hello.txt -> ../out_hard", __wasi_path_link(SANDBOX, 0, "hello.txt", SANDBOX, "../out_hard"));
    show("link ../outside.txt -> in_hard", __wasi_path_link(SANDBOX, 0, "../outside.txt", SANDBOX, "in_hard"));
    show("link hello.txt -> nodir/x", __wasi_path_link(SANDBOX, 0, "hello.txt", SANDBOX, "nodir/x"));
    return 0;
}
