// path_link of a symlink: without SYMLINK_FOLLOW the new name is a link to the symlink itself;
// with it, a hard link to the target (as wasmtime does it).
#include "common.h"

int main(void) {
    show("link link_hello -> l_nofollow", __wasi_path_link(SANDBOX, 0, "link_hello", SANDBOX, "l_nofollow"));
    show_filetype("l_nofollow nofollow", "l_nofollow", 0);
    show("link FOLLOW link_hello -> l_follow", __wasi_path_link(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_hello", SANDBOX, "l_follow"));
    show_filetype("l_follow nofollow", "l_follow", 0);
    show("link link_dangling -> dl", __wasi_path_link(SANDBOX, 0, "link_dangling", SANDBOX, "dl"));
    show("link FOLLOW link_dangling -> dl2", __wasi_path_link(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_dangling", SANDBOX, "dl2"));
    show("link FOLLOW link_escape -> esc", __wasi_path_link(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_escape", SANDBOX, "esc"));
    return 0;
}
