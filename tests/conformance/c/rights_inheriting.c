// Inheriting rights: a directory opened with narrow inheriting rights, then a file opened from
// it asking for more (read/write).
#include "common.h"

int main(void) {
    int dir;
    if (show("open sub inheriting=fd_read", open_at(SANDBOX, "sub", 1, __WASI_OFLAGS_DIRECTORY,
             ALL_RIGHTS & ~__WASI_RIGHTS_FD_WRITE, __WASI_RIGHTS_FD_READ, 0, &dir)) != 0)
        return 2;
    int fd;
    if (show("open nested.txt read|write from it", open_at(dir, "nested.txt", 1, 0,
             __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &fd)) == 0) {
        __wasi_fdstat_t st;
        __wasi_fd_fdstat_get(fd, &st);
        printf("write right: %s\n", st.fs_rights_base & __WASI_RIGHTS_FD_WRITE ? "yes" : "no");
        show_write("write", fd, "NEW");
        __wasi_fd_close(fd);
    }
    show("open with O_CREAT from it", open_at(dir, "created.txt", 1, __WASI_OFLAGS_CREAT,
                                              __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show_file("sub/nested.txt");
    return 0;
}
