// O_DIRECTORY on a regular file, on a symlink to a file and on a missing path.
#include "common.h"

int main(void) {
    int fd;
    show("O_DIRECTORY hello.txt", open_sb("hello.txt", __WASI_OFLAGS_DIRECTORY, 0, 0, &fd));
    show("O_DIRECTORY link_hello", open_sb("link_hello", __WASI_OFLAGS_DIRECTORY, 0, 0, &fd));
    show("O_DIRECTORY missing", open_sb("missing", __WASI_OFLAGS_DIRECTORY, 0, 0, &fd));
    show("O_DIRECTORY|O_CREAT newdir", open_sb("newdir", __WASI_OFLAGS_DIRECTORY |
                                               __WASI_OFLAGS_CREAT, 0, 0, &fd));
    show("O_DIRECTORY link_sub", open_sb("link_sub", __WASI_OFLAGS_DIRECTORY, 0, 0, &fd));
    return 0;
}
