// No environment given: environ is empty.
#include "common.h"
extern char **environ;

int main(void) {
    __wasi_size_t count, size;
    show("environ_sizes_get", __wasi_environ_sizes_get(&count, &size));
    printf("count=%u size=%u\n", (unsigned)count, (unsigned)size);
    int n = 0;
    for (char **e = environ; e && *e; e++) n++;
    printf("environ entries: %d\n", n);
    return 0;
}
