// ".." chains that leave the preopen must fail (the errno is wasmtime's).
#include "common.h"

static void try(const char *path) {
    int fd;
    char label[160];
    snprintf(label, sizeof label, "open %s", path);
    if (show(label, open_sb(path, 0, __WASI_RIGHTS_FD_READ, 0, &fd)) == 0) {
        show_read("  LEAKED", fd, 30);
        __wasi_fd_close(fd);
    }
}

int main(void) {
    try("..");
    try("../outside.txt");
    try("sub/../../outside.txt");
    try("sub/deep/../../../outside.txt");
    try("../sandbox/hello.txt");
    try("../../../../../../etc/passwd");
    try("./../outside.txt");
    try("sub/../..");
    int fd;
    show("O_CREAT ../created.txt", open_sb("../created.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW,
                                           0, &fd));
    return 0;
}
