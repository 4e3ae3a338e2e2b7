// path_open of a directory WITHOUT O_DIRECTORY, with read and write rights: wasmtime opens it as
// a directory fd (write access is never granted to a directory) rather than failing with EISDIR.
#include "common.h"

int main(void) {
    int fd;
    int e = show("open sub rights read|write", open_sb("sub", 0, __WASI_RIGHTS_FD_READ |
                                                       __WASI_RIGHTS_FD_WRITE, 0, &fd));
    if (e == 0) {
        __wasi_fdstat_t st;
        __wasi_fd_fdstat_get(fd, &st);
        printf("filetype: %s\n", filetype_name(st.fs_filetype));
        show_write("write to it", fd, "x");
        __wasi_fd_close(fd);
    }
    e = show("open sub rights read only", open_sb("sub", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    if (e == 0) __wasi_fd_close(fd);
    e = show("open sub no rights", open_sb("sub", 0, 0, 0, &fd));
    if (e == 0) __wasi_fd_close(fd);
    e = show("open sub O_TRUNC", open_sb("sub", __WASI_OFLAGS_TRUNC, RIGHTS_RW, 0, &fd));
    if (e == 0) __wasi_fd_close(fd);
    return 0;
}
