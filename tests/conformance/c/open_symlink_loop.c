// Symlink loops give ELOOP (followed), and so does a long chain of links made at run time.
#include "common.h"

int main(void) {
    int fd;
    show("open link_loop_a", open_sb("link_loop_a", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    show("open link_loop_a/x", open_sb("link_loop_a/x", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    show("O_CREAT link_loop_b", open_sb("link_loop_b", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &fd));
    show("symlink self -> self", raw_path_symlink("self", 4, SANDBOX, "self", 4));
    show("open self", open_sb("self", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    // a chain c0 -> c1 -> ... -> c60 -> hello.txt: too long for the resolver
    char name[16], target[16];
    for (int i = 0; i <= 60; i++) {
        snprintf(name, sizeof name, "c%d", i);
        if (i == 60) snprintf(target, sizeof target, "hello.txt");
        else snprintf(target, sizeof target, "c%d", i + 1);
        raw_path_symlink(target, strlen(target), SANDBOX, name, strlen(name));
    }
    show("open c55 (5 links)", open_sb("c55", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    show("open c0 (61 links)", open_sb("c0", 0, __WASI_RIGHTS_FD_READ, 0, &fd));
    return 0;
}
