/* Symlinks that exist before the run, inside the preopen named by argv[1]: read, follow,
   remove and replace them (the runner must carry them in and back as links). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static const char *p(const char *name) {
    static char buf[2][512];
    static int i;
    i = (i + 1) % 2;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}
#define CHECK(what, expr) do { if ((expr) < 0) printf("%s failed: errno=%d %s\n", what, errno, strerror(errno)); else printf("%s ok\n", what); } while (0)

static void show(const char *name) {
    char target[128] = {0}, data[64] = {0};
    ssize_t n = readlink(p(name), target, sizeof target - 1);
    if (n < 0) { printf("%s: readlink errno=%d\n", name, errno); return; }
    int fd = open(p(name), O_RDONLY);
    if (fd < 0) { printf("%s -> [%s], open errno=%d\n", name, target, errno); return; }
    n = read(fd, data, sizeof data - 1);
    close(fd);
    printf("%s -> [%s], read=%zd [%s]\n", name, target, n, n > 0 ? data : "");
}

int main(int argc, char **argv) {
    snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : ".");
    show("to_inside");
    show("dangling");
    show("out");
    show("keep/up");
    struct stat st;
    CHECK("lstat dirlink", lstat(p("dirlink"), &st));
    printf("dirlink is link=%d\n", S_ISLNK(st.st_mode));
    CHECK("stat dirlink/.", stat(p("dirlink/."), &st));
    printf("dirlink is dir through the link=%d\n", S_ISDIR(st.st_mode));
    CHECK("symlink over dangling", symlink("x", p("dangling")));
    CHECK("unlink gone", unlink(p("gone")));
    CHECK("unlink replaced", unlink(p("replaced")));
    FILE *f = fopen(p("replaced"), "w");
    fputs("now a file\n", f);
    fclose(f);
    CHECK("symlink keep/new", symlink("../inside.txt", p("keep/new")));
    show("keep/new");
    return 0;
}
