/* A hostile guest: runs the operations named on its command line, one line of output each
   ("OP ARGS: ok ..." or "OP ARGS: errno=N"), so that a test can script symlink and hard-link
   games, `..` chains, long paths and fd exhaustion, and compare the answers with the real
   wasmtime CLI's. Paths are the guest's own (under a preopen's guest name, or relative to it).

   Operations (each takes a fixed number of arguments):
     write PATH TEXT        open(PATH, O_WRONLY|O_CREAT|O_TRUNC) and write TEXT
     append PATH TEXT       open(PATH, O_WRONLY|O_CREAT|O_APPEND) and write TEXT
     read PATH              print up to 200 bytes of PATH
     symlink TARGET PATH    symlink(TARGET, PATH)
     link OLD NEW           link(OLD, NEW) (a hard link)
     readlink PATH          print the link's target
     mkdir PATH | rmdir PATH | unlink PATH
     rename OLD NEW
     stat PATH | lstat PATH print the file type and size
     ls PATH                print the names in a directory (sorted)
     rawopen FD PATH        __wasi_path_open on the raw fd number FD (no preopen lookup):
                            what a guest gets for fds it was never given
     rawread FD             __wasi_fd_read of the raw fd number FD
     prestat FD             the preopen name of the raw fd number FD
     dotdot N DIR           open DIR/../../..(N times)/etc/passwd
     longpath N DIR         open a file whose path below DIR is N bytes of "a/" components
     longname N DIR         create DIR/(a name of N bytes)
     fds N DIR              open DIR/. N times (fd exhaustion), then close them all
     spin MS                busy-wait MS milliseconds (a window for a host-side attacker)
     sleep MS               nanosleep MS milliseconds
     loopwrite PATH N       write PATH N times, once per millisecond, reporting the first error
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static void result(const char *what, int r) {
    if (r >= 0) printf("%s: ok\n", what);
    else printf("%s: errno=%d\n", what, errno);
}

static void wasi_result(const char *what, __wasi_errno_t e) {
    if (e == 0) printf("%s: ok\n", what);
    else printf("%s: errno=%d\n", what, (int)e);
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void write_file(const char *what, const char *path, const char *text, int flags) {
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    if (fd < 0) { result(what, -1); return; }
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    result(what, n < 0 ? -1 : 0);
}

static void read_file(const char *what, const char *path) {
    char buf[201];
    int fd = open(path, O_RDONLY);
    if (fd < 0) { result(what, -1); return; }
    ssize_t n = read(fd, buf, 200);
    int saved = errno;
    close(fd);
    if (n < 0) { errno = saved; result(what, -1); return; }
    buf[n] = 0;
    for (ssize_t i = 0; i < n; i++) if (buf[i] == '\n') buf[i] = '|';
    printf("%s: ok [%s]\n", what, buf);
}

static void stat_path(const char *what, const char *path, int follow) {
    struct stat st;
    int r = follow ? stat(path, &st) : lstat(path, &st);
    if (r < 0) { result(what, -1); return; }
    const char *kind = S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link"
                     : S_ISREG(st.st_mode) ? "file" : "other";
    printf("%s: ok %s %lld\n", what, kind, S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
}

static void list_dir(const char *what, const char *path) {
    DIR *d = opendir(path);
    if (!d) { result(what, -1); return; }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("%s: ok", what);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

static char *repeat_path(const char *dir, const char *unit, int count, const char *tail) {
    size_t len = strlen(dir) + 1 + strlen(unit) * (size_t)count + strlen(tail) + 1;
    char *p = malloc(len);
    strcpy(p, dir);
    strcat(p, "/");
    char *q = p + strlen(p);
    for (int i = 0; i < count; i++) { memcpy(q, unit, strlen(unit)); q += strlen(unit); }
    strcpy(q, tail);
    return p;
}

int main(int argc, char **argv) {
    char what[512];
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc;) {
        const char *op = argv[i];
        const char *a = i + 1 < argc ? argv[i + 1] : "";
        const char *b = i + 2 < argc ? argv[i + 2] : "";
        int two = 0;
#define NAME1() snprintf(what, sizeof what, "%s %s", op, a)
#define NAME2() (snprintf(what, sizeof what, "%s %s %s", op, a, b), two = 1)
        if (!strcmp(op, "write")) { NAME2(); write_file(what, a, b, O_TRUNC); }
        else if (!strcmp(op, "append")) { NAME2(); write_file(what, a, b, O_APPEND); }
        else if (!strcmp(op, "read")) { NAME1(); read_file(what, a); }
        else if (!strcmp(op, "symlink")) { NAME2(); result(what, symlink(a, b)); }
        else if (!strcmp(op, "link")) { NAME2(); result(what, link(a, b)); }
        else if (!strcmp(op, "readlink")) {
            char target[256];
            NAME1();
            ssize_t n = readlink(a, target, sizeof target - 1);
            if (n < 0) result(what, -1);
            else { target[n] = 0; printf("%s: ok [%s]\n", what, target); }
        }
        else if (!strcmp(op, "mkdir")) { NAME1(); result(what, mkdir(a, 0755)); }
        else if (!strcmp(op, "rmdir")) { NAME1(); result(what, rmdir(a)); }
        else if (!strcmp(op, "unlink")) { NAME1(); result(what, unlink(a)); }
        else if (!strcmp(op, "rename")) { NAME2(); result(what, rename(a, b)); }
        else if (!strcmp(op, "stat")) { NAME1(); stat_path(what, a, 1); }
        else if (!strcmp(op, "lstat")) { NAME1(); stat_path(what, a, 0); }
        else if (!strcmp(op, "ls")) { NAME1(); list_dir(what, a); }
        else if (!strcmp(op, "rawopen")) {
            __wasi_fd_t fd;
            NAME2();
            wasi_result(what, __wasi_path_open(atoi(a), 0, b, 0, __WASI_RIGHTS_FD_READ,
                                               0, 0, &fd));
        }
        else if (!strcmp(op, "rawread")) {
            char buf[64];
            __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
            __wasi_size_t n;
            NAME1();
            wasi_result(what, __wasi_fd_read(atoi(a), &iov, 1, &n));
        }
        else if (!strcmp(op, "prestat")) {
            __wasi_prestat_t ps;
            NAME1();
            __wasi_errno_t e = __wasi_fd_prestat_get(atoi(a), &ps);
            if (e) wasi_result(what, e);
            else {
                char name[256] = {0};
                size_t n = ps.u.dir.pr_name_len < 255 ? ps.u.dir.pr_name_len : 255;
                e = __wasi_fd_prestat_dir_name(atoi(a), (uint8_t *)name, n);
                if (e) wasi_result(what, e); else printf("%s: ok [%s]\n", what, name);
            }
        }
        else if (!strcmp(op, "dotdot")) {
            NAME2();
            char *p = repeat_path(b, "../", atoi(a), "etc/passwd");
            read_file(what, p);
            free(p);
        }
        else if (!strcmp(op, "longpath")) {
            NAME2();
            char *p = repeat_path(b, "a/", atoi(a) / 2, "x");
            long t0 = now_ms();
            int fd = open(p, O_RDONLY);
            int saved = errno;
            if (fd >= 0) close(fd);
            errno = saved;
            result(what, fd);
            (void)t0;
            free(p);
        }
        else if (!strcmp(op, "longname")) {
            NAME2();
            char *p = repeat_path(b, "n", atoi(a), "");
            int fd = open(p, O_WRONLY | O_CREAT, 0644);
            int saved = errno;
            if (fd >= 0) close(fd);
            errno = saved;
            result(what, fd);
            free(p);
        }
        else if (!strcmp(op, "fds")) {
            NAME2();
            int n = atoi(a), opened = 0, err = 0;
            int *fds = malloc(sizeof(int) * (n > 0 ? n : 1));
            for (int k = 0; k < n; k++) {
                fds[k] = open(b, O_RDONLY | O_DIRECTORY);
                if (fds[k] < 0) { err = errno; break; }
                opened++;
            }
            for (int k = 0; k < opened; k++) close(fds[k]);
            free(fds);
            if (err) printf("%s: opened %d then errno=%d\n", what, opened, err);
            else printf("%s: ok\n", what);
        }
        else if (!strcmp(op, "spin")) {
            NAME1();
            long end = now_ms() + atol(a);
            while (now_ms() < end) {}
            printf("%s: ok\n", what);
        }
        else if (!strcmp(op, "sleep")) {
            NAME1();
            struct timespec ts = {atol(a) / 1000, (atol(a) % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            printf("%s: ok\n", what);
        }
        else if (!strcmp(op, "loopwrite")) {
            NAME2();
            int n = atoi(b), first_error = 0, oks = 0;
            for (int k = 0; k < n; k++) {
                int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd >= 0 && write(fd, "x", 1) == 1) oks++;
                else if (!first_error) first_error = errno;
                if (fd >= 0) close(fd);
                struct timespec ts = {0, 1000000L};
                nanosleep(&ts, NULL);
            }
            printf("%s: %d ok, first errno=%d\n", what, oks, first_error);
        }
        else { printf("unknown operation %s\n", op); return 2; }
        i += two ? 3 : 2;
    }
    return 0;
}
