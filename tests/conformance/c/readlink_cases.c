// path_readlink: a relative target, one climbing out, an absolute target (wasmtime's answer),
// a buffer too small, a non-link, a missing name, a path through a symlinked dir.
#include "common.h"

static void rl(const char *path, size_t buflen) {
    char buf[128];
    memset(buf, '#', sizeof buf);
    __wasi_size_t n = 777;
    char label[96];
    snprintf(label, sizeof label, "readlink %s (buf %zu)", path, buflen);
    int e = __wasi_path_readlink(SANDBOX, path, (uint8_t *)buf, buflen, &n);
    if (e == 0) printf("%s: ESUCCESS n=%u \"%.*s\" next byte '%c'\n", label, (unsigned)n, (int)n,
                       buf, buf[n]);
    else show(label, e);
}

int main(void) {
    rl("link_hello", 64);
    rl("link_escape", 64);
    rl("link_abs", 64);
    rl("link_hello", 4);
    rl("link_hello", 0);
    rl("link_escape", 5);
    rl("hello.txt", 64);
    rl("sub", 64);
    rl("missing", 64);
    rl("link_sub/link_up", 64);
    rl("sub/link_up", 64);
    rl("link_hello/", 64);
    rl("../outside.txt", 64);
    return 0;
}
