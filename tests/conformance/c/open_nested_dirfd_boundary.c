// A directory fd opened inside the preopen is a sandbox of its own: ".." from it cannot climb
// back into its parent, absolute paths fail, and symlinks pointing above it cannot be followed.
#include "common.h"

static void try(int dirfd, const char *path) {
    int fd;
    char label[160];
    snprintf(label, sizeof label, "from sub: open %s", path);
    if (show(label, open_at(dirfd, path, 1, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd)) == 0) {
        show_read("  read", fd, 12);
        __wasi_fd_close(fd);
    }
}

int main(void) {
    int sub;
    if (show("open sub", open_sb("sub", __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS & ~__WASI_RIGHTS_FD_WRITE, 0, &sub)) != 0)
        return 2;
    try(sub, "nested.txt");
    try(sub, "deep/leaf.txt");
    try(sub, "deep/../nested.txt");
    try(sub, "../hello.txt");
    try(sub, "link_up");
    try(sub, ".");
    int deep;
    if (show("open deep from sub", open_at(sub, "deep", 1, __WASI_OFLAGS_DIRECTORY,
                                           __WASI_RIGHTS_FD_READDIR, ALL_RIGHTS, 0, &deep)) == 0)
        try(deep, "../nested.txt");
    return 0;
}
