// path_symlink: relative targets (inside, dangling, climbing out), an absolute target, onto an
// existing name, in a missing directory; the targets read back.
#include "common.h"

static void mk(const char *target, const char *name) {
    char label[160];
    snprintf(label, sizeof label, "symlink %s -> \"%s\"", name, target);
    show(label, __wasi_path_symlink(target, SANDBOX, name));
}

int main(void) {
    mk("hello.txt", "s1");
    mk("nothing-here", "s2");
    mk("../outside.txt", "s3");
    mk("/etc/passwd", "s4");
    mk("sub/../hello.txt", "s5");
    mk("hello.txt", "empty.txt");
    mk("hello.txt", "nodir/s6");
    mk("hello.txt", "../s7");
    mk("", "s8");
    mk("hello.txt/", "s9");
    static const char *const names[] = {"s1", "s2", "s3", "s4", "s5", "s8", "s9"};
    for (int i = 0; i < 7; i++) {
        char buf[64];
        __wasi_size_t n;
        char label[32];
        snprintf(label, sizeof label, "readlink %s", names[i]);
        int e = __wasi_path_readlink(SANDBOX, names[i], (uint8_t *)buf, sizeof buf, &n);
        if (e == 0) printf("%s: \"%.*s\"\n", label, (int)n, buf);
        else show(label, e);
    }
    show_file("s1");
    return 0;
}
