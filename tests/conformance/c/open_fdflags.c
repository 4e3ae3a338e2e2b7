// fdflags given to path_open (APPEND, DSYNC, NONBLOCK, RSYNC, SYNC) as fd_fdstat_get reports
// them afterwards.
#include "common.h"

int main(void) {
    static const struct { const char *name; int flags; } cases[] = {
        {"none", 0}, {"APPEND", __WASI_FDFLAGS_APPEND}, {"DSYNC", __WASI_FDFLAGS_DSYNC},
        {"NONBLOCK", __WASI_FDFLAGS_NONBLOCK}, {"RSYNC", __WASI_FDFLAGS_RSYNC},
        {"SYNC", __WASI_FDFLAGS_SYNC}, {"APPEND|NONBLOCK", 5}, {"all", 0x1f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd;
        char label[64];
        snprintf(label, sizeof label, "open fdflags=%s", cases[i].name);
        if (show(label, open_sb("hello.txt", 0, RIGHTS_RW, cases[i].flags, &fd)) == 0) {
            __wasi_fdstat_t st;
            __wasi_fd_fdstat_get(fd, &st);
            printf("  fs_flags=0x%x\n", st.fs_flags);
            __wasi_fd_close(fd);
        }
    }
    return 0;
}
