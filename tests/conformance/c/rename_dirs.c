// path_rename of directories: over an empty dir, over a non-empty dir, into itself, a file
// over a dir, a dir over a file.
#include "common.h"

int main(void) {
    __wasi_path_create_directory(SANDBOX, "a");
    int f = must_open("a/inside.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    __wasi_fd_close(f);
    show("rename a -> emptydir (empty dir)", __wasi_path_rename(SANDBOX, "a", SANDBOX, "emptydir"));
    show_filetype("emptydir/inside.txt", "emptydir/inside.txt", 0);
    show("rename emptydir -> sub (non-empty)", __wasi_path_rename(SANDBOX, "emptydir", SANDBOX, "sub"));
    show("rename sub -> sub/deep/inner (into itself)", __wasi_path_rename(SANDBOX, "sub", SANDBOX, "sub/deep/inner"));
    show("rename sub -> sub", __wasi_path_rename(SANDBOX, "sub", SANDBOX, "sub"));
    show("rename hello.txt -> sub (file over dir)", __wasi_path_rename(SANDBOX, "hello.txt", SANDBOX, "sub"));
    show("rename sub -> hello.txt (dir over file)", __wasi_path_rename(SANDBOX, "sub", SANDBOX, "hello.txt"));
    show("rename sub -> moved", __wasi_path_rename(SANDBOX, "sub", SANDBOX, "moved"));
    show_file("moved/nested.txt");
    show("rename . -> x", __wasi_path_rename(SANDBOX, ".", SANDBOX, "x"));
    show("rename moved -> ..", __wasi_path_rename(SANDBOX, "moved", SANDBOX, ".."));
    return 0;
}
