// fd_fdstat_set_flags on things that are not files: a directory, the preopen, stdio, bad fd.
#include "common.h"

int main(void) {
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, 0, 0);
    show("set APPEND on dir", __wasi_fd_fdstat_set_flags(dir, __WASI_FDFLAGS_APPEND));
    show("set 0 on dir", __wasi_fd_fdstat_set_flags(dir, 0));
    show("set NONBLOCK on preopen", __wasi_fd_fdstat_set_flags(SANDBOX, __WASI_FDFLAGS_NONBLOCK));
    show("set NONBLOCK on stdin", __wasi_fd_fdstat_set_flags(0, __WASI_FDFLAGS_NONBLOCK));
    show("set APPEND on stdout", __wasi_fd_fdstat_set_flags(1, __WASI_FDFLAGS_APPEND));
    show("set 0 on stderr", __wasi_fd_fdstat_set_flags(2, 0));
    show("set 0 on fd 42", __wasi_fd_fdstat_set_flags(42, 0));
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(1, &st);
    printf("stdout flags now 0x%x\n", st.fs_flags);
    return 0;
}
