// path_symlink with a trailing slash on the new name (never a directory to be made).
#include "common.h"

int main(void) {
    show("symlink newlink/ -> hello.txt", __wasi_path_symlink("hello.txt", SANDBOX, "newlink/"));
    show("symlink newdirlink/ -> sub", __wasi_path_symlink("sub", SANDBOX, "newdirlink/"));
    show("symlink hello.txt/ -> x", __wasi_path_symlink("x", SANDBOX, "hello.txt/"));
    show("symlink sub/ -> x", __wasi_path_symlink("x", SANDBOX, "sub/"));
    show_filetype("newlink", "newlink", 0);
    show_filetype("newdirlink", "newdirlink", 0);
    return 0;
}
