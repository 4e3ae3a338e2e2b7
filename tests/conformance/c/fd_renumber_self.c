// conformance: alone
// fd_renumber(fd, fd) keeps the fd; renumbering from a bad fd fails; renumbering stdio.
#include "common.h"

int main(void) {
    int a = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    show("renumber a -> a", __wasi_fd_renumber(a, a));
    show_read("read via a", a, 5);
    show("renumber 77 -> a", __wasi_fd_renumber(77, a));
    show_read("read via a again", a, 5);
    show("renumber 77 -> 77", __wasi_fd_renumber(77, 77));
    show("renumber a -> stdout", __wasi_fd_renumber(a, 1));
    show_write("write to stdout now", 1, "not written\n");
    return 0;
}
