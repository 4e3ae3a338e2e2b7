// fd_renumber onto another open file: the target is replaced (closed) and the source freed.
#include "common.h"

int main(void) {
    int a = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    int b = must_open("sub/nested.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    show("renumber a -> b", __wasi_fd_renumber(a, b));
    show_read("read via b", b, 5);
    show_read("read via a", a, 5);
    show("close a", __wasi_fd_close(a));
    show("close b", __wasi_fd_close(b));
    return 0;
}
