// ".", "./", "sub/.", "./hello.txt" and friends.
#include "common.h"

static void try(const char *path) {
    int fd;
    char label[160];
    snprintf(label, sizeof label, "open \"%s\"", path);
    if (show(label, open_sb(path, 0, __WASI_RIGHTS_FD_READ, 0, &fd)) == 0) {
        __wasi_fdstat_t st;
        __wasi_fd_fdstat_get(fd, &st);
        printf("  filetype %s\n", filetype_name(st.fs_filetype));
        __wasi_fd_close(fd);
    }
}

int main(void) {
    try(".");
    try("./");
    try("./.");
    try("sub/.");
    try("sub/./");
    try("./hello.txt");
    try(".//hello.txt");
    try("sub//nested.txt");
    try("sub///deep//leaf.txt");
    return 0;
}
