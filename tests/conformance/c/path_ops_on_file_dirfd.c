// Path calls whose directory fd is a regular file or stdout.
#include "common.h"

int main(void) {
    int f = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    __wasi_filestat_t st;
    char buf[16];
    __wasi_size_t n;
    show("mkdir via file", __wasi_path_create_directory(f, "x"));
    show("filestat via file", __wasi_path_filestat_get(f, 0, "x", &st));
    show("unlink via file", __wasi_path_unlink_file(f, "x"));
    show("rmdir via file", __wasi_path_remove_directory(f, "x"));
    show("readlink via file", __wasi_path_readlink(f, "x", (uint8_t *)buf, sizeof buf, &n));
    show("symlink via file", __wasi_path_symlink("t", f, "x"));
    show("rename via file", __wasi_path_rename(f, "x", SANDBOX, "y"));
    show("set_times via file", __wasi_path_filestat_set_times(f, 0, "x", 0, 0, 0));
    show("mkdir via stdout", __wasi_path_create_directory(1, "x"));
    show("filestat via stdout", __wasi_path_filestat_get(1, 0, "x", &st));
    return 0;
}
