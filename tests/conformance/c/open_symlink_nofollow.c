// path_open without LOOKUPFLAGS_SYMLINK_FOLLOW: a final symlink is not followed (O_NOFOLLOW);
// symlinks in the middle of the path still are.
#include "common.h"

static void try(const char *path, int oflags, __wasi_rights_t rights) {
    int fd;
    char label[160];
    snprintf(label, sizeof label, "nofollow open %s oflags=%d", path, oflags);
    if (show(label, open_at(SANDBOX, path, 0, oflags, rights, 0, 0, &fd)) == 0) {
        __wasi_fdstat_t st;
        __wasi_fd_fdstat_get(fd, &st);
        printf("  filetype %s\n", filetype_name(st.fs_filetype));
        __wasi_fd_close(fd);
    }
}

int main(void) {
    try("link_hello", 0, __WASI_RIGHTS_FD_READ);
    try("link_sub", 0, __WASI_RIGHTS_FD_READ);
    try("link_sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ);
    try("link_sub/nested.txt", 0, __WASI_RIGHTS_FD_READ);
    try("link_dangling", 0, __WASI_RIGHTS_FD_READ);
    try("link_dangling", __WASI_OFLAGS_CREAT, RIGHTS_RW);
    try("link_hello", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_RW);
    try("link_hello", __WASI_OFLAGS_TRUNC, RIGHTS_RW);
    try("hello.txt", 0, __WASI_RIGHTS_FD_READ);
    show_file("hello.txt");
    return 0;
}
