/* dlopen/dlsym/dlerror/dlclose stubs.
 *
 * zig's wasi-libc has no libdl, but libpython's dynload_shlib.o references
 * these symbols. WASI has no dynamic loading, so every lookup fails cleanly.
 */
#include <stddef.h>

void *dlopen(const char *filename, int flags) {
    (void)filename;
    (void)flags;
    return NULL;
}

void *dlsym(void *handle, const char *symbol) {
    (void)handle;
    (void)symbol;
    return NULL;
}

char *dlerror(void) {
    return (char *)"dynamic loading is not supported on WASI";
}

int dlclose(void *handle) {
    (void)handle;
    return 0;
}
