// proc_raise as wasmtime answers it, for a few signals (none of them kills the program; a
// signal outside the enum: proc_raise_invalid_signal).
#include "common.h"

int main(void) {
    static const int sigs[] = {0, 1, 2, 6, 9, 15, 30};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        char label[32];
        snprintf(label, sizeof label, "proc_raise %d", sigs[i]);
        show(label, __wasi_proc_raise(sigs[i]));
    }
    printf("still running\n");
    return 0;
}
