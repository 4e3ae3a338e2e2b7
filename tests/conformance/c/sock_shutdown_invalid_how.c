// sock_shutdown with sdflags bits outside the set (99) on the preopen.
#include "common.h"

int main(void) {
    printf("before\n");
    fflush(stdout);
    show("sock_shutdown how=99", __wasi_sock_shutdown(SANDBOX, 99));
    return 0;
}
