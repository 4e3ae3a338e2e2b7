// Trailing slashes in path_open: "file/" must not open the file; "dir/" opens the directory.
#include "common.h"

static void try(const char *path, int oflags, __wasi_rights_t rights) {
    int fd;
    char label[128];
    snprintf(label, sizeof label, "open \"%s\" oflags=%d", path, oflags);
    if (show(label, open_sb(path, oflags, rights, 0, &fd)) == 0) {
        __wasi_fdstat_t st;
        __wasi_fd_fdstat_get(fd, &st);
        printf("  filetype %s\n", filetype_name(st.fs_filetype));
        __wasi_fd_close(fd);
    }
}

int main(void) {
    try("hello.txt/", 0, __WASI_RIGHTS_FD_READ);
    try("hello.txt//", 0, __WASI_RIGHTS_FD_READ);
    try("hello.txt/.", 0, __WASI_RIGHTS_FD_READ);
    try("link_hello/", 0, __WASI_RIGHTS_FD_READ);
    try("sub/", 0, __WASI_RIGHTS_FD_READ);
    try("sub//", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ);
    try("link_sub/", 0, __WASI_RIGHTS_FD_READ);
    try("newfile.txt/", __WASI_OFLAGS_CREAT, RIGHTS_RW);
    try("missing/", 0, __WASI_RIGHTS_FD_READ);
    return 0;
}
