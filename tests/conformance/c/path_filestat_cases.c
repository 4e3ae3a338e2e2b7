// path_filestat_get with and without SYMLINK_FOLLOW on files, dirs, symlinks (good, dangling,
// escaping, loop) and through a trailing slash.
#include "common.h"

int main(void) {
    static const char *const paths[] = {"hello.txt", "sub", "link_hello", "link_sub",
        "link_dangling", "link_escape", "link_abs", "link_loop_a", "hello.txt/", "sub/",
        "link_sub/", "missing", "", "."};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char label[96];
        snprintf(label, sizeof label, "follow \"%s\"", paths[i]);
        show_filetype(label, paths[i], __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        snprintf(label, sizeof label, "nofollow \"%s\"", paths[i]);
        show_filetype(label, paths[i], 0);
    }
    __wasi_filestat_t a, b;
    __wasi_path_filestat_get(SANDBOX, 1, "link_hello", &a);
    __wasi_path_filestat_get(SANDBOX, 1, "hello.txt", &b);
    printf("link_hello followed is hello.txt: %s\n", a.ino == b.ino ? "yes" : "no");
    __wasi_path_filestat_get(SANDBOX, 0, "link_hello", &a);
    printf("symlink size (target length): %llu\n", (unsigned long long)a.size);
    return 0;
}
