// conformance: env='GREETING=hi there' 'EMPTY=' 'UNICODE=été ✓' 'EQ=a=b=c' 'PATHLIKE=/x:/y'
// Environment variables with spaces, empty values, unicode, '=' in the value.
#include "common.h"
extern char **environ;

int main(void) {
    for (char **e = environ; e && *e; e++) printf("env: \"%s\"\n", *e);
    printf("getenv EQ: \"%s\"\n", getenv("EQ"));
    printf("getenv EMPTY: %s\n", getenv("EMPTY") ? "set, empty" : "unset");
    printf("getenv MISSING: %s\n", getenv("MISSING") ? "set" : "unset");
    return 0;
}
