// path_rename may not move anything out of, or in from outside, the preopen.
#include "common.h"

int main(void) {
    show("rename hello.txt -> ../moved_out.txt", __wasi_path_rename(SANDBOX, "hello.txt", SANDBOX, "../moved_out.txt"));
    show("rename ../outside.txt -> in.txt", __wasi_path_rename(SANDBOX, "../outside.txt", SANDBOX, "in.txt"));
    show("rename hello.txt -> /tmp/x", __wasi_path_rename(SANDBOX, "hello.txt", SANDBOX, "/tmp/x"));
    show("rename hello.txt -> link_escape_dir/x", __wasi_path_rename(SANDBOX, "hello.txt", SANDBOX, "link_escape_dir/x"));
    show("rename link_escape -> renamed_link", __wasi_path_rename(SANDBOX, "link_escape", SANDBOX, "renamed_link"));
    return 0;
}
