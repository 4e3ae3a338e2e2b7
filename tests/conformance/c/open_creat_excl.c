// O_CREAT, O_EXCL and their combinations on new and existing files.
#include "common.h"

int main(void) {
    int fd;
    if (show("O_CREAT|O_EXCL new.txt", open_sb("new.txt", __WASI_OFLAGS_CREAT |
                                               __WASI_OFLAGS_EXCL, RIGHTS_RW, 0, &fd)) == 0) {
        show_write("write", fd, "created");
        __wasi_fd_close(fd);
    }
    show("O_CREAT|O_EXCL new.txt again", open_sb("new.txt", __WASI_OFLAGS_CREAT |
                                                 __WASI_OFLAGS_EXCL, RIGHTS_RW, 0, &fd));
    show("O_CREAT|O_EXCL hello.txt", open_sb("hello.txt", __WASI_OFLAGS_CREAT |
                                             __WASI_OFLAGS_EXCL, RIGHTS_RW, 0, &fd));
    show("O_CREAT|O_EXCL sub", open_sb("sub", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL,
                                       RIGHTS_RW, 0, &fd));
    show("O_CREAT|O_EXCL link_dangling", open_sb("link_dangling", __WASI_OFLAGS_CREAT |
                                                 __WASI_OFLAGS_EXCL, RIGHTS_RW, 0, &fd));
    if (show("O_CREAT hello.txt (exists)", open_sb("hello.txt", __WASI_OFLAGS_CREAT,
                                                   RIGHTS_RW, 0, &fd)) == 0) {
        show_read("content kept", fd, 100);
        __wasi_fd_close(fd);
    }
    show("O_EXCL alone on hello.txt", open_sb("hello.txt", __WASI_OFLAGS_EXCL, RIGHTS_RW, 0,
                                              &fd));
    show("O_EXCL alone on missing", open_sb("missing.txt", __WASI_OFLAGS_EXCL, RIGHTS_RW, 0,
                                            &fd));
    show("O_CREAT in missing dir", open_sb("nodir/x.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0,
                                           &fd));
    show_file("new.txt");
    return 0;
}
