// Opening the preopen itself (".") with O_DIRECTORY and read/write rights, and without them.
#include "common.h"

static void try(const char *label, const char *path, int oflags, __wasi_rights_t base) {
    int fd;
    if (show(label, open_sb(path, oflags, base, 0, &fd)) == 0) {
        __wasi_fdstat_t st;
        __wasi_fd_fdstat_get(fd, &st);
        printf("  filetype %s, fd_write right %s\n", filetype_name(st.fs_filetype),
               st.fs_rights_base & __WASI_RIGHTS_FD_WRITE ? "yes" : "no");
        __wasi_fd_close(fd);
    }
}

int main(void) {
    try(". O_DIRECTORY rights read|write", ".", __WASI_OFLAGS_DIRECTORY,
        __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE);
    try(". O_DIRECTORY rights write", ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_WRITE);
    try(". O_DIRECTORY rights readdir", ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR);
    try(". O_DIRECTORY no rights", ".", __WASI_OFLAGS_DIRECTORY, 0);
    try(". O_DIRECTORY|O_TRUNC", ".", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_TRUNC,
        __WASI_RIGHTS_FD_WRITE);
    try("sub O_DIRECTORY rights read|write", "sub", __WASI_OFLAGS_DIRECTORY,
        __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE);
    return 0;
}
