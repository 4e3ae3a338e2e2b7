// proc_exit(1000) after some output: the exit status the host reports, and the output kept.
#include "common.h"

int main(void) {
    printf("before exit 1000\n");
    fflush(stdout);
    __wasi_proc_exit(1000);
}
