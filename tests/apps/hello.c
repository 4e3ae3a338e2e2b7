#include <stdio.h>
int main(void) {
    printf("hello from wasi\n");
    fprintf(stderr, "a line on stderr\n");
    printf("second line, no newline at the end");
    return 0;
}
