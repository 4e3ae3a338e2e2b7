// path_unlink_file: a file, a directory, missing, a symlink (the link goes, not its target),
// a dangling symlink, trailing slashes, escaping.
#include "common.h"

int main(void) {
    show("unlink empty.txt", __wasi_path_unlink_file(SANDBOX, "empty.txt"));
    show("unlink empty.txt again", __wasi_path_unlink_file(SANDBOX, "empty.txt"));
    show("unlink sub (a dir)", __wasi_path_unlink_file(SANDBOX, "sub"));
    show("unlink emptydir (a dir)", __wasi_path_unlink_file(SANDBOX, "emptydir"));
    show("unlink link_hello", __wasi_path_unlink_file(SANDBOX, "link_hello"));
    show_filetype("hello.txt still there", "hello.txt", 0);
    show("unlink link_dangling", __wasi_path_unlink_file(SANDBOX, "link_dangling"));
    show("unlink link_sub/ (trailing slash)", __wasi_path_unlink_file(SANDBOX, "link_sub/"));
    show("unlink data.bin/ (trailing slash)", __wasi_path_unlink_file(SANDBOX, "data.bin/"));
    show("unlink sub/ (trailing slash)", __wasi_path_unlink_file(SANDBOX, "sub/"));
    show("unlink link_sub", __wasi_path_unlink_file(SANDBOX, "link_sub"));
    show("unlink ../outside.txt", __wasi_path_unlink_file(SANDBOX, "../outside.txt"));
    show("unlink link_escape", __wasi_path_unlink_file(SANDBOX, "link_escape"));
    show("unlink \"\"", raw_path_unlink_file(SANDBOX, "", 0));
    show("unlink .", __wasi_path_unlink_file(SANDBOX, "."));
    return 0;
}
