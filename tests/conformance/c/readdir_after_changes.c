// fd_readdir on the same fd sees files created and removed after the fd was opened.
#include "common.h"

static int count(int dir, const char *name) {
    static uint8_t buf[4096];
    __wasi_size_t used;
    __wasi_fd_readdir(dir, buf, sizeof buf, 0, &used);
    int found = 0;
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        off += sizeof d;
        if (d.d_namlen == strlen(name) && !memcmp(buf + off, name, d.d_namlen)) found++;
        off += d.d_namlen;
    }
    return found;
}

int main(void) {
    int dir = must_open("emptydir", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0);
    printf("before: new.txt listed %d times\n", count(dir, "new.txt"));
    int f = must_open("emptydir/new.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    __wasi_fd_close(f);
    printf("after create: %d\n", count(dir, "new.txt"));
    show("unlink", __wasi_path_unlink_file(SANDBOX, "emptydir/new.txt"));
    printf("after unlink: %d\n", count(dir, "new.txt"));
    return 0;
}
