// path_open of a directory with O_DIRECTORY and every right, and with every right but the
// write ones (what Rust std asks for read_dir); the fd then lists the directory and opens
// files relative to it.
#include "common.h"

int main(void) {
    int fd;
    if (show("open sub O_DIRECTORY all rights", open_sb("sub", __WASI_OFLAGS_DIRECTORY,
                                                        ALL_RIGHTS, 0, &fd)) == 0)
        __wasi_fd_close(fd);
    show("open sub O_DIRECTORY all rights but fd_write", open_sb("sub", __WASI_OFLAGS_DIRECTORY,
         ALL_RIGHTS & ~__WASI_RIGHTS_FD_WRITE, 0, &fd));
    if (show("open sub O_DIRECTORY all rights but write ones", open_sb("sub",
             __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS & ~(__WASI_RIGHTS_FD_WRITE |
             __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_ALLOCATE |
             __WASI_RIGHTS_FD_FILESTAT_SET_SIZE), 0, &fd)) != 0)
        return 2;
    __wasi_fdstat_t st;
    show("fdstat", __wasi_fd_fdstat_get(fd, &st));
    printf("filetype: %s\n", filetype_name(st.fs_filetype));
    char buf[512];
    __wasi_size_t used = 0;
    show("readdir", __wasi_fd_readdir(fd, (uint8_t *)buf, sizeof buf, 0, &used));
    printf("readdir filled something: %s\n", used > 0 ? "yes" : "no");
    int inner;
    show("open nested.txt relative to it", open_at(fd, "nested.txt", 0, 0,
                                                   __WASI_RIGHTS_FD_READ, 0, 0, &inner));
    show_read("read nested.txt", inner, 100);
    show("close", __wasi_fd_close(fd));
    return 0;
}
