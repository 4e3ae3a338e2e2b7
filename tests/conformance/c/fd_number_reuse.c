// Which fd numbers path_open hands out after closes (relative to the first one opened).
#include "common.h"

int main(void) {
    int a = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    int b = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    int c = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    printf("first three: a, a+%d, a+%d (a=%d)\n", b - a, c - a, a);
    __wasi_fd_close(b);
    int d = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    printf("after closing b: d = a+%d\n", d - a);
    __wasi_fd_close(a);
    __wasi_fd_close(c);
    int e = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    int f = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    printf("after closing a and c: e = a+%d, f = a+%d\n", e - a, f - a);
    return 0;
}
