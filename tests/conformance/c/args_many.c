// conformance: args=@args_many
// 1000 arguments: all of them arrive, in order.
#include "common.h"

int main(int argc, char **argv) {
    int in_order = 1;
    for (int i = 1; i < argc; i++) {
        char want[16];
        snprintf(want, sizeof want, "arg%d", i - 1);
        if (strcmp(argv[i], want)) in_order = 0;
    }
    printf("argc=%d in order: %s\n", argc, in_order ? "yes" : "no");
    return 0;
}
