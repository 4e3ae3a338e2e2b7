// path_link with trailing slashes on the source or the new name.
#include "common.h"

int main(void) {
    show("link \"hello.txt/\" -> a", __wasi_path_link(SANDBOX, 0, "hello.txt/", SANDBOX, "a"));
    show("link hello.txt -> \"b/\"", __wasi_path_link(SANDBOX, 0, "hello.txt", SANDBOX, "b/"));
    show("link \"sub/\" -> c", __wasi_path_link(SANDBOX, 0, "sub/", SANDBOX, "c"));
    show("link \"link_hello/\" -> d", __wasi_path_link(SANDBOX, 0, "link_hello/", SANDBOX, "d"));
    show_filetype("a", "a", 0);
    show_filetype("b", "b", 0);
    return 0;
}
