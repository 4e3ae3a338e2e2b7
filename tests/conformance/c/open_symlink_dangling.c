// A dangling symlink: open fails with ENOENT; O_CREAT through it (followed) creates the target.
#include "common.h"

int main(void) {
    int fd;
    show("open link_dangling", open_sb("link_dangling", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    if (show("O_CREAT link_dangling", open_sb("link_dangling", __WASI_OFLAGS_CREAT, RIGHTS_RW,
                                              0, &fd)) == 0) {
        show_write("write", fd, "via link");
        __wasi_fd_close(fd);
    }
    show_file("missing.txt");
    show_filetype("link_dangling nofollow", "link_dangling", 0);
    return 0;
}
