// path_remove_directory: empty, non-empty, a file, missing, a symlink to a dir, ".",
// trailing slash, escaping.
#include "common.h"

int main(void) {
    show("rmdir emptydir", __wasi_path_remove_directory(SANDBOX, "emptydir"));
    show("rmdir emptydir again", __wasi_path_remove_directory(SANDBOX, "emptydir"));
    show("rmdir sub (non-empty)", __wasi_path_remove_directory(SANDBOX, "sub"));
    show("rmdir hello.txt (a file)", __wasi_path_remove_directory(SANDBOX, "hello.txt"));
    show("rmdir link_sub (symlink to dir)", __wasi_path_remove_directory(SANDBOX, "link_sub"));
    show("rmdir link_dangling", __wasi_path_remove_directory(SANDBOX, "link_dangling"));
    show("rmdir .", __wasi_path_remove_directory(SANDBOX, "."));
    show("rmdir \"\"", raw_path_remove_directory(SANDBOX, "", 0));
    __wasi_path_create_directory(SANDBOX, "d2");
    show("rmdir d2/ (trailing slash)", __wasi_path_remove_directory(SANDBOX, "d2/"));
    __wasi_path_create_directory(SANDBOX, "d3");
    show("rmdir d3/. ", __wasi_path_remove_directory(SANDBOX, "d3/."));
    show("rmdir sub/deep/.. ", __wasi_path_remove_directory(SANDBOX, "sub/deep/.."));
    show("rmdir ../outside_dir", __wasi_path_remove_directory(SANDBOX, "../outside_dir"));
    show_filetype("sub", "sub", 0);
    return 0;
}
