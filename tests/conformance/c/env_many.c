// conformance: env=@env_many
// 500 environment variables, in order.
#include "common.h"
extern char **environ;

int main(void) {
    int n = 0, ok = 1;
    for (char **e = environ; e && *e; e++, n++) {
        char want[48];
        snprintf(want, sizeof want, "VAR_%d=value %d", n, n);
        if (strcmp(*e, want)) ok = 0;
    }
    printf("entries=%d in order: %s\n", n, ok ? "yes" : "no");
    return 0;
}
