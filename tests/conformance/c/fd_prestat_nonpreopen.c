// fd_prestat_get and fd_prestat_dir_name on the preopen and on fds that are not preopens.
#include "common.h"

static void pre(int fd, const char *label) {
    __wasi_prestat_t p;
    char l[96];
    snprintf(l, sizeof l, "prestat_get %s", label);
    int e = __wasi_fd_prestat_get(fd, &p);
    if (e == 0) printf("%s: ESUCCESS tag=%d len=%u\n", l, p.tag, (unsigned)p.u.dir.pr_name_len);
    else show(l, e);
    char name[64] = {0};
    snprintf(l, sizeof l, "prestat_dir_name %s", label);
    e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, sizeof name - 1);
    if (e == 0) printf("%s: ESUCCESS \"%s\"\n", l, name);
    else show(l, e);
}

int main(void) {
    pre(SANDBOX, "preopen");
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, 0, 0);
    pre(dir, "opened dir");
    int file = must_open("hello.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    pre(file, "file");
    pre(0, "stdin");
    pre(1, "stdout");
    pre(4 + 90, "fd 94");
    char small[4];
    show("prestat_dir_name preopen buf 4", __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)small, 4));
    char exact[8] = {0};
    show("prestat_dir_name preopen buf 8", __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)exact, 8));
    printf("exact: \"%.8s\"\n", exact);
    return 0;
}
