// A directory fd: the fd_seek right is not reported, and fd_seek/fd_tell on it fail.
#include "common.h"

int main(void) {
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS & ~__WASI_RIGHTS_FD_WRITE, 0);
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(dir, &st);
    printf("opened dir: fd_seek right %s, fd_tell right %s\n",
           st.fs_rights_base & __WASI_RIGHTS_FD_SEEK ? "yes" : "no",
           st.fs_rights_base & __WASI_RIGHTS_FD_TELL ? "yes" : "no");
    __wasi_fd_fdstat_get(SANDBOX, &st);
    printf("preopen: fd_seek right %s\n", st.fs_rights_base & __WASI_RIGHTS_FD_SEEK ? "yes" : "no");
    __wasi_filesize_t pos;
    show("fd_seek on dir", __wasi_fd_seek(dir, 0, __WASI_WHENCE_SET, &pos));
    show("fd_tell on dir", __wasi_fd_tell(dir, &pos));
    show("fd_seek on preopen", __wasi_fd_seek(SANDBOX, 0, __WASI_WHENCE_CUR, &pos));
    show("fd_tell on preopen", __wasi_fd_tell(SANDBOX, &pos));
    return 0;
}
