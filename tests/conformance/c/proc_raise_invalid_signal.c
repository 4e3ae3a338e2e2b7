// proc_raise with a signal number outside the enum (31).
#include "common.h"

int main(void) {
    printf("before\n");
    fflush(stdout);
    show("proc_raise 31", __wasi_proc_raise(31));
    return 0;
}
