// Renaming a symlink renames the link itself; renaming onto a symlink replaces the link.
#include "common.h"

int main(void) {
    show("rename link_hello -> link2", __wasi_path_rename(SANDBOX, "link_hello", SANDBOX, "link2"));
    show_filetype("link2 nofollow", "link2", 0);
    show_filetype("hello.txt", "hello.txt", 0);
    show("rename empty.txt -> link_sub", __wasi_path_rename(SANDBOX, "empty.txt", SANDBOX, "link_sub"));
    show_filetype("link_sub nofollow", "link_sub", 0);
    show_filetype("sub", "sub", 0);
    show("rename link_dangling -> sub/dl", __wasi_path_rename(SANDBOX, "link_dangling", SANDBOX, "sub/dl"));
    return 0;
}
