// path_filestat_set_times: exact values, _NOW, invalid combinations, on a symlink with and
// without SYMLINK_FOLLOW, on a missing path.
#include "common.h"

/* A time is printed when the test set it (a value far from now); a time the fixture or the
 * host wrote is printed as "recent" (it differs from run to run). */
static void mt(const char *path, int lookup, const char *label) {
    __wasi_filestat_t st;
    int e = __wasi_path_filestat_get(SANDBOX, lookup, path, &st);
    if (e) { show(label, e); return; }
    const uint64_t recent = 1600000000000000000ULL;
    char a[32], m[32];
    if (st.atim > recent) snprintf(a, sizeof a, "recent"); else snprintf(a, sizeof a, "%llu", (unsigned long long)st.atim);
    if (st.mtim > recent) snprintf(m, sizeof m, "recent"); else snprintf(m, sizeof m, "%llu", (unsigned long long)st.mtim);
    printf("  %s: atim=%s mtim=%s\n", label, a, m);
}

int main(void) {
    const uint64_t A = 1234567890123456789ULL, M = 1300000000000000001ULL;
    show("set ATIM|MTIM hello.txt", __wasi_path_filestat_set_times(SANDBOX, 0, "hello.txt", A, M,
         __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    mt("hello.txt", 0, "hello.txt");
    show("set ATIM only sub", __wasi_path_filestat_set_times(SANDBOX, 0, "sub", A, M, __WASI_FSTFLAGS_ATIM));
    mt("sub", 0, "sub atim");
    show("ATIM|ATIM_NOW", __wasi_path_filestat_set_times(SANDBOX, 0, "hello.txt", A, M,
         __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    show("MTIM|MTIM_NOW", __wasi_path_filestat_set_times(SANDBOX, 0, "hello.txt", A, M,
         __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
    show("FOLLOW link_hello MTIM", __wasi_path_filestat_set_times(SANDBOX, 1, "link_hello", 0,
         M + 1000, __WASI_FSTFLAGS_MTIM));
    mt("hello.txt", 0, "target after follow");
    show("nofollow link_hello MTIM", __wasi_path_filestat_set_times(SANDBOX, 0, "link_hello", 0,
         M + 5000, __WASI_FSTFLAGS_MTIM));
    mt("link_hello", 0, "link itself after nofollow");
    mt("hello.txt", 0, "target after nofollow");
    show("missing", __wasi_path_filestat_set_times(SANDBOX, 0, "missing", A, M, __WASI_FSTFLAGS_MTIM));
    show("../outside.txt", __wasi_path_filestat_set_times(SANDBOX, 0, "../outside.txt", A, M, __WASI_FSTFLAGS_MTIM));
    show("link_escape FOLLOW", __wasi_path_filestat_set_times(SANDBOX, 1, "link_escape", A, M, __WASI_FSTFLAGS_MTIM));
    return 0;
}
