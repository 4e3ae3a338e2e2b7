// 300 files open at once, then all closed; every fd works while open.
#include "common.h"

int main(void) {
    static int fds[300];
    int opened = 0, reads_ok = 0;
    for (int i = 0; i < 300; i++) {
        if (open_sb("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, &fds[i]) == 0)
            opened++;
        else
            fds[i] = -1;
    }
    for (int i = 0; i < 300; i++) {
        char c;
        __wasi_size_t n;
        if (fds[i] >= 0 && read_buf(fds[i], &c, 1, &n) == 0 && n == 1 && c == 'h')
            reads_ok++;
    }
    int closed = 0;
    for (int i = 0; i < 300; i++)
        if (fds[i] >= 0 && __wasi_fd_close(fds[i]) == 0)
            closed++;
    int distinct = 1;
    for (int i = 0; i < 300 && distinct; i++)
        for (int j = i + 1; j < 300; j++)
            if (fds[i] == fds[j]) { distinct = 0; break; }
    printf("opened %d, read %d, closed %d, distinct %s\n", opened, reads_ok, closed,
           distinct ? "yes" : "no");
    return 0;
}
