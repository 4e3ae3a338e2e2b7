// conformance: args='one' 'two words' '' 'ünïcödé ✓' '--flag' '-' 'tab	here' 'x=y'
// Arguments with spaces, empty strings, unicode, dashes, a tab: passed through unchanged.
#include "common.h"

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) {
        printf("argv[%d] (%zu bytes): \"%s\"\n", i, strlen(argv[i]), argv[i]);
    }
    return 0;
}
