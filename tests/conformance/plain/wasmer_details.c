/* Three Wasmer behaviours behind test_conformance.py's HOST_LIMITS, on files this program makes
 * itself (none of the fixture, none copied in by the runner), in ./workspace below the "/"
 * preopen (fd 3: wasmer-sdk's, and the wasmtime CLI's with --dir HOST::/):
 * path_rename of a symlink; fd_readdir's order of files created as zz, bb, aa; an O_APPEND
 * write after path_open with O_TRUNC emptied the file. */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | \
            __WASI_RIGHTS_FD_TELL)
static __wasi_fd_t ws;

static void put(const char *name, int oflags, int fdflags, const char *text) {
    __wasi_fd_t f;
    int e = __wasi_path_open(ws, 0, name, oflags, RW, 0, fdflags, &f);
    if (e != 0) {
        printf("open %s: errno %d\n", name, e);
        return;
    }
    __wasi_ciovec_t v = {(const uint8_t *)text, strlen(text)};
    __wasi_size_t n;
    if (*text && (e = __wasi_fd_write(f, &v, 1, &n)) != 0)
        printf("write %s: errno %d\n", name, e);
    __wasi_fd_close(f);
}

int main(void) {
    int e = __wasi_path_open(3, 0, "workspace", __WASI_OFLAGS_DIRECTORY,
                             0x1FFFFFFF & ~(__wasi_rights_t)__WASI_RIGHTS_FD_WRITE, 0x1FFFFFFF, 0,
                             &ws);
    if (e != 0) {
        printf("setup: open workspace: errno %d\n", e);
        return 1;
    }
    printf("symlink own: errno %d\n", __wasi_path_symlink("target.txt", ws, "own"));
    printf("rename own -> own2: errno %d\n", __wasi_path_rename(ws, "own", ws, "own2"));

    __wasi_path_create_directory(ws, "t");
    put("t/zz", __WASI_OFLAGS_CREAT, 0, "");
    put("t/bb", __WASI_OFLAGS_CREAT, 0, "");
    put("t/aa", __WASI_OFLAGS_CREAT, 0, "");
    __wasi_fd_t d;
    static uint8_t buf[1024];
    __wasi_size_t used = 0;
    __wasi_path_open(ws, 0, "t", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &d);
    __wasi_fd_readdir(d, buf, sizeof buf, 0, &used);
    printf("readdir t:");
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t ent;
        memcpy(&ent, buf + off, sizeof ent);
        off += sizeof ent;
        printf(" %.*s", (int)ent.d_namlen, buf + off);
        off += ent.d_namlen;
    }
    printf("\n");

    put("a.txt", __WASI_OFLAGS_CREAT, 0, "hello world\n");
    put("a.txt", __WASI_OFLAGS_TRUNC, 0, "");
    put("a.txt", 0, __WASI_FDFLAGS_APPEND, "appended\n");
    __wasi_fd_t f;
    char text[64];
    __wasi_size_t n = 0;
    __wasi_iovec_t v = {(uint8_t *)text, sizeof text};
    __wasi_path_open(ws, 0, "a.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &f);
    __wasi_fd_read(f, &v, 1, &n);
    printf("a.txt after O_TRUNC, then an O_APPEND write: %u bytes, %u NUL\n", (unsigned)n,
           (unsigned)(n - strlen("appended\n")));
    return 0;
}
