// The first entries of fd_readdir: "." and ".." (as wasmtime returns them), their d_next
// cookies and d_type, and whether their inode is the directory's own.
#include "common.h"

int main(void) {
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0);
    static uint8_t buf[4096];
    __wasi_size_t used;
    show("readdir", __wasi_fd_readdir(dir, buf, sizeof buf, 0, &used));
    __wasi_filestat_t st;
    __wasi_fd_filestat_get(dir, &st);
    size_t off = 0;
    for (int i = 0; i < 2 && off + sizeof(__wasi_dirent_t) <= used; i++) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        off += sizeof d;
        printf("entry %d: name=\"%.*s\" d_next=%llu type=%s ino_is_dir's=%s\n", i,
               (int)d.d_namlen, buf + off, (unsigned long long)d.d_next,
               filetype_name(d.d_type), d.d_ino == st.ino ? "yes" : "no");
        off += d.d_namlen;
    }
    int count = 0;
    unsigned long long prev = 0, monotonic = 1;
    for (off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        off += sizeof d + d.d_namlen;
        if (d.d_next <= prev) monotonic = 0;
        prev = d.d_next;
        count++;
    }
    printf("entries: %d, cookies increasing: %s, last cookie %llu\n", count,
           monotonic ? "yes" : "no", prev);
    return 0;
}
