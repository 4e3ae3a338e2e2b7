/* Shared by the C conformance programs: WASI errno names, raw WASI imports that take explicit
 * path lengths (so a path may hold a NUL or be 80 KiB long), and small printing helpers.
 * Every program prints what it observed; the harness compares that with the real wasmtime CLI.
 * The preopen is fd 3, "/sandbox" (see tests/conformance/harness.py for the fixture tree). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define SANDBOX 3
#define WASI_IMPORT(name) \
    __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

/* The same wasm-level signatures as wasi-libc's own imports (wasm-ld merges them). */
WASI_IMPORT(path_open) int32_t raw_path_open(int32_t fd, int32_t dirflags, const char *path,
    int32_t path_len, int32_t oflags, int64_t base, int64_t inheriting, int32_t fdflags,
    int32_t *opened);
WASI_IMPORT(path_create_directory) int32_t raw_path_create_directory(int32_t fd,
    const char *path, int32_t path_len);
WASI_IMPORT(path_remove_directory) int32_t raw_path_remove_directory(int32_t fd,
    const char *path, int32_t path_len);
WASI_IMPORT(path_unlink_file) int32_t raw_path_unlink_file(int32_t fd, const char *path,
    int32_t path_len);
WASI_IMPORT(path_filestat_get) int32_t raw_path_filestat_get(int32_t fd, int32_t flags,
    const char *path, int32_t path_len, __wasi_filestat_t *out);
WASI_IMPORT(path_readlink) int32_t raw_path_readlink(int32_t fd, const char *path,
    int32_t path_len, char *buf, int32_t buf_len, int32_t *used);
WASI_IMPORT(path_symlink) int32_t raw_path_symlink(const char *old_path, int32_t old_len,
    int32_t fd, const char *new_path, int32_t new_len);
WASI_IMPORT(path_link) int32_t raw_path_link(int32_t old_fd, int32_t old_flags,
    const char *old_path, int32_t old_len, int32_t new_fd, const char *new_path,
    int32_t new_len);
WASI_IMPORT(proc_raise) int32_t __wasi_proc_raise(int32_t sig);   /* gone from wasi/api.h */
WASI_IMPORT(path_rename) int32_t raw_path_rename(int32_t old_fd, const char *old_path,
    int32_t old_len, int32_t new_fd, const char *new_path, int32_t new_len);

static const char *const ERRNO_NAMES[] = {
    "ESUCCESS", "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN",
    "EALREADY", "EBADF", "EBADMSG", "EBUSY", "ECANCELED", "ECHILD", "ECONNABORTED",
    "ECONNREFUSED", "ECONNRESET", "EDEADLK", "EDESTADDRREQ", "EDOM", "EDQUOT", "EEXIST",
    "EFAULT", "EFBIG", "EHOSTUNREACH", "EIDRM", "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL",
    "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK", "EMSGSIZE", "EMULTIHOP",
    "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS", "ENODEV",
    "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK", "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC",
    "ENOSYS", "ENOTCONN", "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP",
    "ENOTTY", "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO",
    "EPROTONOSUPPORT", "EPROTOTYPE", "ERANGE", "EROFS", "ESPIPE", "ESRCH", "ESTALE",
    "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE",
};

static const char *errname(int e) {
    static char other[32];
    if (e >= 0 && e < (int)(sizeof ERRNO_NAMES / sizeof ERRNO_NAMES[0]))
        return ERRNO_NAMES[e];
    snprintf(other, sizeof other, "errno(%d)", e);
    return other;
}

/* "label: ENAME" */
static int show(const char *label, int err) {
    printf("%s: %s\n", label, errname(err));
    return err;
}

static const char *filetype_name(int t) {
    static const char *const names[] = {"unknown", "block", "char", "dir", "file",
                                        "socket_dgram", "socket_stream", "symlink"};
    return t >= 0 && t < 8 ? names[t] : "filetype(?)";
}

#define ALL_RIGHTS ((__wasi_rights_t)0x1FFFFFFF)
#define RIGHTS_RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | \
    __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE)

/* path_open relative to the sandbox, the path's length taken with strlen. */
static int open_at(int dirfd, const char *path, int lookup, int oflags, __wasi_rights_t base,
                   __wasi_rights_t inheriting, int fdflags, int *fd) {
    int32_t out = -1;
    int e = raw_path_open(dirfd, lookup, path, (int32_t)strlen(path), oflags, (int64_t)base,
                          (int64_t)inheriting, fdflags, &out);
    *fd = e == 0 ? out : -1;
    return e;
}

static int open_sb(const char *path, int oflags, __wasi_rights_t base, int fdflags, int *fd) {
    return open_at(SANDBOX, path, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, oflags, base, ALL_RIGHTS,
                   fdflags, fd);
}

/* Open a fixture file for the test, or stop with exit code 1 (the setup itself failed). */
static int must_open(const char *path, int oflags, __wasi_rights_t base, int fdflags) {
    int fd;
    int e = open_sb(path, oflags, base, fdflags, &fd);
    if (e != 0) {
        printf("setup: open %s: %s\n", path, errname(e));
        exit(1);
    }
    return fd;
}

static int write_str(int fd, const char *s, __wasi_size_t *n) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    return __wasi_fd_write(fd, &iov, 1, n);
}

static int read_buf(int fd, char *buf, size_t len, __wasi_size_t *n) {
    __wasi_iovec_t iov = {(uint8_t *)buf, len};
    return __wasi_fd_read(fd, &iov, 1, n);
}

/* Print "label: ESUCCESS n=3 data="abc"" for a read of up to len bytes. */
static int show_read(const char *label, int fd, size_t len) {
    char buf[256];
    __wasi_size_t n = 0;
    if (len > sizeof buf) len = sizeof buf;
    int e = read_buf(fd, buf, len, &n);
    if (e == 0)
        printf("%s: ESUCCESS n=%u data=\"%.*s\"\n", label, (unsigned)n, (int)n, buf);
    else
        printf("%s: %s\n", label, errname(e));
    return e;
}

static int show_write(const char *label, int fd, const char *s) {
    __wasi_size_t n = 0;
    int e = write_str(fd, s, &n);
    if (e == 0)
        printf("%s: ESUCCESS n=%u\n", label, (unsigned)n);
    else
        printf("%s: %s\n", label, errname(e));
    return e;
}

/* The whole content of a sandbox file as the guest sees it, printed on one line. */
static void show_file(const char *path) {
    int fd;
    int e = open_sb(path, 0, __WASI_RIGHTS_FD_READ, 0, &fd);
    if (e != 0) {
        printf("file %s: %s\n", path, errname(e));
        return;
    }
    char buf[512];
    __wasi_size_t n = 0;
    read_buf(fd, buf, sizeof buf, &n);
    printf("file %s: \"%.*s\"\n", path, (int)n, buf);
    (void)__wasi_fd_close(fd);
}

static void show_filetype(const char *label, const char *path, int lookup) {
    __wasi_filestat_t st;
    int e = raw_path_filestat_get(SANDBOX, lookup, path, (int32_t)strlen(path), &st);
    if (e == 0)
        printf("%s: %s size=%llu\n", label, filetype_name(st.filetype),
               st.filetype == __WASI_FILETYPE_DIRECTORY ? 0ULL : (unsigned long long)st.size);
    else
        printf("%s: %s\n", label, errname(e));
}

/* poll_oneoff helpers: a clock subscription, an fd subscription, and printing the events
 * (userdata, type, error, nbytes, flags) in userdata order. */
static __wasi_subscription_t clock_sub(uint64_t userdata, int clock, uint64_t timeout_ns,
                                       int flags) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = clock;
    s.u.u.clock.timeout = timeout_ns;
    s.u.u.clock.precision = 0;
    s.u.u.clock.flags = flags;
    return s;
}

static __wasi_subscription_t fd_sub(uint64_t userdata, int type, int fd) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.u.tag = type;
    s.u.u.fd_read.file_descriptor = fd;
    return s;
}

static uint64_t now_ns(void) {
    __wasi_timestamp_t t = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
    return t;
}

static void show_events(const __wasi_event_t *ev, __wasi_size_t n) {
    __wasi_event_t sorted[16];           /* printed in userdata order: the host's is free */
    if (n > 16) n = 16;
    memcpy(sorted, ev, n * sizeof ev[0]);
    for (__wasi_size_t i = 1; i < n; i++)
        for (__wasi_size_t j = i; j > 0 && sorted[j - 1].userdata > sorted[j].userdata; j--) {
            __wasi_event_t t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (__wasi_size_t i = 0; i < n; i++)
        printf("  event userdata=%llu type=%d error=%s nbytes=%llu flags=%d\n",
               (unsigned long long)sorted[i].userdata, sorted[i].type, errname(sorted[i].error),
               (unsigned long long)sorted[i].fd_readwrite.nbytes, sorted[i].fd_readwrite.flags);
}
