// Following symlinks inside the preopen: to a file, to a dir, within a path, climbing back up.
#include "common.h"

static void try(const char *path) {
    int fd;
    char label[160];
    snprintf(label, sizeof label, "open %s", path);
    if (show(label, open_sb(path, 0, __WASI_RIGHTS_FD_READ, 0, &fd)) == 0) {
        show_read("  read", fd, 6);
        __wasi_fd_close(fd);
    }
}

int main(void) {
    try("link_hello");
    try("link_sub/nested.txt");
    try("link_sub/deep/leaf.txt");
    try("sub/link_up");
    try("link_sub/link_up");
    try("link_sub/../hello.txt");
    return 0;
}
