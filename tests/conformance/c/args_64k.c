// conformance: alone
// conformance: args=@args_64k
// One argument of 70 KiB between two short ones.
#include "common.h"

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        unsigned sum = 0;
        for (size_t j = 0; j < n; j++) sum = sum * 31 + (unsigned char)argv[i][j];
        printf("argv[%d]: %zu bytes, hash %08x\n", i, n, sum);
    }
    __wasi_size_t count, size;
    __wasi_args_sizes_get(&count, &size);
    printf("args_sizes_get: count=%u size=%u\n", (unsigned)count, (unsigned)size);
    return 0;
}
