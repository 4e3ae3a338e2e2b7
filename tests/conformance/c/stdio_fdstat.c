// fd_fdstat_get and fd_filestat_get of stdin, stdout, stderr when they are pipes (as the harness
// runs every program): file type, flags, and whether the read/write rights are there.
#include "common.h"

int main(void) {
    for (int fd = 0; fd < 3; fd++) {
        __wasi_fdstat_t st;
        int e = __wasi_fd_fdstat_get(fd, &st);
        printf("fd %d fdstat: %s type=%s flags=0x%x read=%s write=%s seek=%s\n", fd, errname(e),
               filetype_name(st.fs_filetype), st.fs_flags,
               st.fs_rights_base & __WASI_RIGHTS_FD_READ ? "yes" : "no",
               st.fs_rights_base & __WASI_RIGHTS_FD_WRITE ? "yes" : "no",
               st.fs_rights_base & __WASI_RIGHTS_FD_SEEK ? "yes" : "no");
        __wasi_filestat_t fs;
        e = __wasi_fd_filestat_get(fd, &fs);
        printf("fd %d filestat: %s type=%s size=%llu nlink=%llu\n", fd, errname(e),
               filetype_name(fs.filetype), (unsigned long long)fs.size,
               (unsigned long long)fs.nlink);
    }
    return 0;
}
