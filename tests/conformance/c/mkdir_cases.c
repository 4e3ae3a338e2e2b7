// path_create_directory: new, existing dir, existing file, missing parent, under a file,
// trailing slash, through a symlink, escaping, empty path.
#include "common.h"

int main(void) {
    show("mkdir newdir", __wasi_path_create_directory(SANDBOX, "newdir"));
    show("mkdir newdir again", __wasi_path_create_directory(SANDBOX, "newdir"));
    show("mkdir hello.txt (a file)", __wasi_path_create_directory(SANDBOX, "hello.txt"));
    show("mkdir nope/child", __wasi_path_create_directory(SANDBOX, "nope/child"));
    show("mkdir hello.txt/child", __wasi_path_create_directory(SANDBOX, "hello.txt/child"));
    show("mkdir slashed/", __wasi_path_create_directory(SANDBOX, "slashed/"));
    show("mkdir link_sub/viaLink", __wasi_path_create_directory(SANDBOX, "link_sub/viaLink"));
    show("mkdir link_hello", __wasi_path_create_directory(SANDBOX, "link_hello"));
    show("mkdir link_dangling", __wasi_path_create_directory(SANDBOX, "link_dangling"));
    show("mkdir ../escaped", __wasi_path_create_directory(SANDBOX, "../escaped"));
    show("mkdir /abs", __wasi_path_create_directory(SANDBOX, "/abs"));
    show("mkdir \"\"", raw_path_create_directory(SANDBOX, "", 0));
    show("mkdir .", __wasi_path_create_directory(SANDBOX, "."));
    show("mkdir sub/deep/..", __wasi_path_create_directory(SANDBOX, "sub/deep/.."));
    show_filetype("newdir", "newdir", 0);
    show_filetype("slashed", "slashed", 0);
    return 0;
}
