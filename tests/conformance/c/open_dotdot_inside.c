// ".." chains that stay inside the preopen resolve normally.
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
    try("sub/../hello.txt");
    try("sub/deep/../../hello.txt");
    try("sub/deep/../nested.txt");
    try("./sub/./deep/./leaf.txt");
    try("sub/deep/../../sub/deep/leaf.txt");
    try("emptydir/../sub/nested.txt");
    try("hello.txt/../hello.txt");
    try("missingdir/../hello.txt");
    try("link_sub/../hello.txt");
    return 0;
}
