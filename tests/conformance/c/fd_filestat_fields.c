// fd_filestat_get fields of a file, a directory, the preopen and stdio: filetype, size, nlink,
// and whether the times are sensible (set, not in the future).
#include "common.h"

static void dump(const char *label, int fd) {
    __wasi_filestat_t st;
    int e = __wasi_fd_filestat_get(fd, &st);
    if (e) { show(label, e); return; }
    __wasi_timestamp_t now;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    const __wasi_timestamp_t day = 86400ULL * 1000000000ULL;
    printf("%s: type=%s size=%llu nlink=%llu dev_set=%s ino_set=%s times_sensible=%s\n", label,
           filetype_name(st.filetype),
           st.filetype == __WASI_FILETYPE_DIRECTORY ? 0ULL : (unsigned long long)st.size,
           (unsigned long long)st.nlink, st.dev ? "yes" : "no", st.ino ? "yes" : "no",
           (st.mtim > now - day && st.mtim <= now + day && st.atim <= now + day &&
            st.ctim <= now + day) ? "yes" : "no");
}

int main(void) {
    int f = must_open("hello.txt", 0, RIGHTS_RW, 0);
    dump("hello.txt", f);
    __wasi_size_t n;
    __wasi_filesize_t pos;
    __wasi_fd_seek(f, 0, __WASI_WHENCE_END, &pos);
    write_str(f, "more", &n);
    dump("hello.txt after write", f);
    int d = must_open("sub", __WASI_OFLAGS_DIRECTORY, 0, 0);
    dump("sub", d);
    dump("preopen", SANDBOX);
    dump("stdin", 0);
    dump("stdout", 1);
    return 0;
}
