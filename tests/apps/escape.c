/* Attempts to leave the preopen named by argv[1]; every one must fail. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int r) {
    if (r >= 0) printf("%s: succeeded\n", what);
    else printf("%s: errno=%d %s\n", what, errno, strerror(errno));
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[512];
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    report("open preopen", d);
    report("openat ../secret.txt", openat(d, "../secret.txt", O_RDONLY));
    report("openat sub/../../secret.txt", openat(d, "sub/../../secret.txt", O_RDONLY));
    report("openat ok via sub/..", openat(d, "sub/../inside.txt", O_RDONLY) >= 0 ? 0 : -1);
    report("open /etc/passwd", open("/etc/passwd", O_RDONLY));
    snprintf(path, sizeof path, "%s/../secret.txt", dir);
    report("open dir/../secret.txt", open(path, O_RDONLY));
    report("symlink out (relative)", symlinkat("../secret.txt", d, "out_rel"));
    report("open via out_rel", openat(d, "out_rel", O_RDONLY));
    report("symlink out (absolute)", symlinkat("/etc/passwd", d, "out_abs"));
    report("open via out_abs", openat(d, "out_abs", O_RDONLY));
    report("symlink in", symlinkat("sub/../inside.txt", d, "in_rel"));
    int fd = openat(d, "in_rel", O_RDONLY);
    report("open via in_rel", fd);
    if (fd >= 0) {
        char buf[32] = {0};
        read(fd, buf, sizeof buf - 1);
        printf("in_rel content=[%s]\n", buf);
        close(fd);
    }
    struct stat st;
    report("stat ../", fstatat(d, "..", &st, 0));
    report("mkdir ../evil", mkdirat(d, "../evil", 0755));
    report("unlink ../secret.txt", unlinkat(d, "../secret.txt", 0));
    report("rename inside.txt ../stolen", renameat(d, "inside.txt", d, "../stolen.txt"));
    return 0;
}
