// Symlinks whose target leaves the preopen (relative ../ or absolute) cannot be followed.
#include "common.h"

static void try(const char *path, int oflags) {
    int fd;
    char label[160];
    snprintf(label, sizeof label, "open %s oflags=%d", path, oflags);
    if (show(label, open_sb(path, oflags, RIGHTS_RW, 0, &fd)) == 0) {
        show_read("  LEAKED", fd, 30);
        __wasi_fd_close(fd);
    }
}

int main(void) {
    try("link_escape", 0);
    try("link_escape", __WASI_OFLAGS_TRUNC);
    try("link_abs", 0);
    try("link_escape_dir/secret.txt", 0);
    try("link_escape_dir/new.txt", __WASI_OFLAGS_CREAT);
    show("symlink made_escape -> ../outside_dir/made.txt",
         raw_path_symlink("../outside_dir/made.txt", 23, SANDBOX, "made_escape", 11));
    try("made_escape", __WASI_OFLAGS_CREAT);
    return 0;
}
