// conformance: alone
// conformance: env=@env_64k
// One environment variable of 70 KiB.
#include "common.h"

int main(void) {
    const char *big = getenv("BIG");
    printf("BIG: %zu bytes\n", big ? strlen(big) : 0);
    printf("SMALL: %s\n", getenv("SMALL") ? getenv("SMALL") : "unset");
    __wasi_size_t count, size;
    __wasi_environ_sizes_get(&count, &size);
    printf("environ_sizes_get: count=%u size=%u\n", (unsigned)count, (unsigned)size);
    return 0;
}
