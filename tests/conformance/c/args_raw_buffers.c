// conformance: args=alpha beta
// args_get fills the pointer array and the NUL-separated buffer exactly as args_sizes_get said.
#include "common.h"

int main(void) {
    __wasi_size_t count, size;
    __wasi_args_sizes_get(&count, &size);
    uint8_t *ptrs[8];
    uint8_t buf[128];
    memset(buf, '#', sizeof buf);
    show("args_get", __wasi_args_get(ptrs, buf));
    printf("count=%u size=%u\n", (unsigned)count, (unsigned)size);
    printf("buffer:");
    for (unsigned i = 0; i < size + 1; i++) printf(" %02x", buf[i]);
    printf("\n");
    for (unsigned i = 0; i < count; i++) printf("ptr[%u] = buf+%d\n", i, (int)(ptrs[i] - buf));
    return 0;
}
