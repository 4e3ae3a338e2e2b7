#include <ctype.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    char buf[7];
    long total = 0, lines = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') lines++;
            buf[i] = (char)toupper((unsigned char)buf[i]);
        }
        write(1, buf, n);
        total += n;
    }
    fprintf(stderr, "bytes=%ld lines=%ld\n", total, lines);
    return n < 0 ? 1 : 0;
}
