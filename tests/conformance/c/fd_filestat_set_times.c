// fd_filestat_set_times: exact times, _NOW flags, and the invalid flag combinations (unknown
// flag bits: fstflags_invalid_bits).
#include "common.h"

static void times(int fd, const char *label) {
    __wasi_filestat_t st;
    __wasi_fd_filestat_get(fd, &st);
    printf("  %s: atim=%llu mtim=%llu\n", label, (unsigned long long)st.atim,
           (unsigned long long)st.mtim);
}

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW, 0);
    const uint64_t A = 1000000000123456789ULL, M = 1100000000987654321ULL;
    show("set ATIM|MTIM", __wasi_fd_filestat_set_times(fd, A, M, __WASI_FSTFLAGS_ATIM |
                                                       __WASI_FSTFLAGS_MTIM));
    times(fd, "after");
    show("set MTIM only", __wasi_fd_filestat_set_times(fd, 0, 2000000000000000000ULL,
                                                       __WASI_FSTFLAGS_MTIM));
    times(fd, "after");
    show("set nothing", __wasi_fd_filestat_set_times(fd, 5, 5, 0));
    times(fd, "after");
    show("ATIM|ATIM_NOW", __wasi_fd_filestat_set_times(fd, A, M, __WASI_FSTFLAGS_ATIM |
                                                       __WASI_FSTFLAGS_ATIM_NOW));
    show("MTIM|MTIM_NOW", __wasi_fd_filestat_set_times(fd, A, M, __WASI_FSTFLAGS_MTIM |
                                                       __WASI_FSTFLAGS_MTIM_NOW));
    show("ATIM_NOW|MTIM_NOW", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM_NOW |
                                                           __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_filestat_t st;
    __wasi_fd_filestat_get(fd, &st);
    printf("  after NOW: mtim newer than 2030: %s\n", st.mtim > 1900000000000000000ULL ? "yes" : "no");
    int ro = must_open("sub/nested.txt", 0, __WASI_RIGHTS_FD_READ, 0);
    show("set times via read-only fd", __wasi_fd_filestat_set_times(ro, A, M, __WASI_FSTFLAGS_ATIM |
                                                                    __WASI_FSTFLAGS_MTIM));
    times(ro, "after");
    int dir = must_open("emptydir", __WASI_OFLAGS_DIRECTORY, 0, 0);
    show("set times on a dir", __wasi_fd_filestat_set_times(dir, A, M, __WASI_FSTFLAGS_ATIM |
                                                            __WASI_FSTFLAGS_MTIM));
    times(dir, "after");
    show("set times on stdout", __wasi_fd_filestat_set_times(1, A, M, __WASI_FSTFLAGS_MTIM));
    return 0;
}
