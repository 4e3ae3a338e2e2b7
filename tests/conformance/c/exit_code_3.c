// conformance: alone
// proc_exit(3) after some output: the exit status the host reports, and the output kept.
#include "common.h"

int main(void) {
    printf("before exit 3\n");
    fflush(stdout);
    __wasi_proc_exit(3);
}
