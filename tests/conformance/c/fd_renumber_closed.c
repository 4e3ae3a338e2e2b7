// fd_renumber onto a number that is not open (never used, or closed before).
#include "common.h"

int main(void) {
    int a = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    show("renumber a -> 40 (never opened)", __wasi_fd_renumber(a, 40));
    show_read("read via 40", 40, 5);
    show_read("read via a", a, 5);
    int b = must_open("sub/nested.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    int c = must_open("empty.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    __wasi_fd_close(c);
    show("renumber b -> c (closed)", __wasi_fd_renumber(b, c));
    show_read("read via c", c, 6);
    show("renumber 41 (not open) -> 40", __wasi_fd_renumber(41, 40));
    show_read("read via 40 again", 40, 6);
    return 0;
}
