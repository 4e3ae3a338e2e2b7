// Paths that are not UTF-8: open, mkdir, unlink, symlink target.
#include "common.h"

int main(void) {
    int32_t fd;
    show("open \"\\xff\\xfe\"", raw_path_open(SANDBOX, 1, "\xff\xfe", 2, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("open O_CREAT \"bad\\xc3\"", raw_path_open(SANDBOX, 1, "bad\xc3", 4, __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, 0, &fd));
    show("mkdir \"\\x80\"", raw_path_create_directory(SANDBOX, "\x80", 1));
    show("unlink \"\\xff\"", raw_path_unlink_file(SANDBOX, "\xff", 1));
    show("symlink target \"\\xff\"", raw_path_symlink("\xff", 1, SANDBOX, "badlink", 7));
    show("open valid utf-8 \"caf\\xc3\\xa9\" O_CREAT", raw_path_open(SANDBOX, 1, "caf\xc3\xa9", 5, __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, 0, &fd));
    return 0;
}
