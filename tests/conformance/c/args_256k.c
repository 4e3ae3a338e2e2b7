// conformance: alone
// conformance: args=@args_256k
// 256 arguments of 1 KiB each (256 KiB of argv, more than one command-line argument may hold).
#include "common.h"

int main(int argc, char **argv) {
    size_t total = 0;
    int ok = 1;
    for (int i = 1; i < argc; i++) {
        total += strlen(argv[i]);
        char want[8];
        snprintf(want, sizeof want, "a%03d-", i - 1);
        if (strncmp(argv[i], want, 5)) ok = 0;
    }
    printf("argc=%d total=%zu in order: %s\n", argc, total, ok ? "yes" : "no");
    return 0;
}
