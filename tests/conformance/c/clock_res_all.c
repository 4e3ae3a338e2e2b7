// clock_res_get for every clock id (an id outside the enum is clock_res_invalid_id).
#include "common.h"

int main(void) {
    for (int id = 0; id <= 3; id++) {
        __wasi_timestamp_t res = 0;
        int e = __wasi_clock_res_get(id, &res);
        printf("clock %d: %s res>0=%s res<=1s=%s\n", id, errname(e), e == 0 && res > 0 ? "yes" : "no",
               e == 0 && res <= 1000000000ULL ? "yes" : "no");
    }
    return 0;
}
