// The rights fd_fdstat_get reports for the preopen, an opened directory, files opened
// read-only, write-only and read-write, and stdio.
#include "common.h"

static void dump(const char *label, int fd) {
    __wasi_fdstat_t st;
    int e = __wasi_fd_fdstat_get(fd, &st);
    if (e) { show(label, e); return; }
    printf("%s: type=%s flags=0x%x base=0x%llx inheriting=0x%llx\n", label,
           filetype_name(st.fs_filetype), st.fs_flags, (unsigned long long)st.fs_rights_base,
           (unsigned long long)st.fs_rights_inheriting);
}

int main(void) {
    dump("preopen", SANDBOX);
    int fd;
    if (open_sb("sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, &fd) == 0)
        dump("dir opened with readdir", fd);
    if (open_sb("sub", __WASI_OFLAGS_DIRECTORY, 0, 0, &fd) == 0)
        dump("dir opened with no rights", fd);
    if (open_sb("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, &fd) == 0)
        dump("file read-only", fd);
    if (open_sb("hello.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, &fd) == 0)
        dump("file write-only", fd);
    if (open_sb("hello.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, &fd) == 0)
        dump("file read-write", fd);
    if (open_sb("hello.txt", 0, 0, 0, &fd) == 0)
        dump("file no rights", fd);
    if (open_sb("hello.txt", 0, ALL_RIGHTS, 0, &fd) == 0)
        dump("file all rights", fd);
    dump("stdin", 0);
    dump("stdout", 1);
    dump("stderr", 2);
    return 0;
}
