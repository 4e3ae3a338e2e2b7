// conformance: timeout=30
// Very long paths: an 80 KiB path, a 4 KiB path, a 256-byte component, a 255-byte component.
// wasmtime answers ENAMETOOLONG at once (the harness's timeout catches a resolver that hangs).
#include "common.h"

static char path[80 * 1024 + 1];

static void try(const char *label, size_t len, char fill, int slash_every) {
    for (size_t i = 0; i < len; i++)
        path[i] = (slash_every && i % slash_every == slash_every - 1) ? '/' : fill;
    path[len] = 0;
    int32_t fd;
    int e = raw_path_open(SANDBOX, 1, path, (int32_t)len, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    show(label, e);
}

int main(void) {
    try("80 KiB of 'a'", 80 * 1024, 'a', 0);
    try("80 KiB of 'a/' components", 80 * 1024, 'a', 2);
    try("80 KiB of '../'", 80 * 1024, '.', 3);
    try("4 KiB of 'b'", 4096, 'b', 0);
    try("256-byte name", 256, 'c', 0);
    try("255-byte name (missing)", 255, 'd', 0);
    int32_t fd;
    memset(path, 'e', 255);
    path[255] = 0;
    show("O_CREAT 255-byte name", raw_path_open(SANDBOX, 1, path, 255, __WASI_OFLAGS_CREAT,
                                                RIGHTS_RW, 0, 0, &fd));
    return 0;
}
