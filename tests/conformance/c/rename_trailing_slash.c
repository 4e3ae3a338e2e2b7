// Trailing slashes in path_rename: allowed on directories, refused on files.
#include "common.h"

static void ren(const char *a, const char *b) {
    char label[128];
    snprintf(label, sizeof label, "rename \"%s\" -> \"%s\"", a, b);
    show(label, __wasi_path_rename(SANDBOX, a, SANDBOX, b));
}

int main(void) {
    ren("hello.txt/", "h2.txt");
    ren("hello.txt", "h3.txt/");
    ren("emptydir/", "e2/");
    ren("e2", "e3/");
    ren("e3/", "e4");
    ren("link_hello/", "lh");
    ren("link_sub/", "ls");
    show_filetype("hello.txt", "hello.txt", 0);
    show_filetype("e4", "e4", 0);
    return 0;
}
