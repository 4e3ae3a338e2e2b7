// Returning 7 from main (wasi-libc calls proc_exit(7)); buffered output is flushed first.
#include <stdio.h>

int main(void) {
    printf("buffered, not flushed by hand");
    return 7;
}
