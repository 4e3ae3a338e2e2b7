// clock_res_get with a clock id outside the enum: wasmtime stops the program with an error
// ("Invalid enum value Clockid"), it does not return EINVAL.
#include "common.h"

int main(void) {
    printf("before\n");
    fflush(stdout);
    __wasi_timestamp_t res;
    show("clock 4", __wasi_clock_res_get(4, &res));
    return 0;
}
