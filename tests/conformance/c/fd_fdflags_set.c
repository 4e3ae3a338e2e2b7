// fd_fdstat_set_flags on a file: APPEND and NONBLOCK can be changed; the sync flags as
// wasmtime answers; the flags read back after each call (unknown bits: fdflags_invalid_bits).
#include "common.h"

static void set(int fd, int flags, const char *label) {
    int e = __wasi_fd_fdstat_set_flags(fd, flags);
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(fd, &st);
    printf("%s: %s, flags now 0x%x\n", label, errname(e), st.fs_flags);
}

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    set(fd, __WASI_FDFLAGS_APPEND, "set APPEND");
    show_write("write (appends)", fd, "+");
    set(fd, __WASI_FDFLAGS_NONBLOCK, "set NONBLOCK");
    set(fd, 0, "set 0");
    set(fd, __WASI_FDFLAGS_SYNC, "set SYNC");
    set(fd, __WASI_FDFLAGS_DSYNC, "set DSYNC");
    set(fd, __WASI_FDFLAGS_RSYNC, "set RSYNC");
    __wasi_fd_close(fd);
    show_file("hello.txt");
    return 0;
}
