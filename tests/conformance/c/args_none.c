// No arguments: argc is 1 (argv[0] only), and args_sizes_get agrees.
#include "common.h"

int main(int argc, char **argv) {
    __wasi_size_t count, size;
    show("args_sizes_get", __wasi_args_sizes_get(&count, &size));
    printf("argc=%d count=%u size=%u argv[0]=\"%s\"\n", argc, (unsigned)count, (unsigned)size, argv[0]);
    return 0;
}
