// clock_res_get for every clock id and for invalid ids.
#include "common.h"

int main(void) {
    for (int id = 0; id <= 5; id++) {
        __wasi_timestamp_t res = 0;
        int e = __wasi_clock_res_get(id, &res);
        printf("clock %d: %s res>0=%s res<=1s=%s\n", id, errname(e), e == 0 && res > 0 ? "yes" : "no",
               e == 0 && res <= 1000000000ULL ? "yes" : "no");
    }
    __wasi_timestamp_t res;
    show("clock 1000", __wasi_clock_res_get(1000, &res));
    show("clock -1", __wasi_clock_res_get((__wasi_clockid_t)-1, &res));
    return 0;
}
