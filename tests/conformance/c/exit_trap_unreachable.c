// conformance: alone
// A trap (unreachable) after output: the host's exit status for a trap.
#include "common.h"

int main(void) {
    printf("before the trap\n");
    fflush(stdout);
    __builtin_trap();
}
