/* File operations inside the preopen named by argv[1]. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static const char *p(const char *name) {
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}
#define CHECK(what, expr) do { if ((expr) < 0) { printf("%s failed: errno=%d %s\n", what, errno, strerror(errno)); } else printf("%s ok\n", what); } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *name) {
    DIR *d = opendir(p(name));
    if (!d) { printf("opendir %s: errno=%d\n", name, errno); return; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char tag = e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : e->d_type == DT_LNK ? 'l' : '?';
        names[n] = malloc(strlen(e->d_name) + 3);
        sprintf(names[n], "%c %s", tag, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("listing %s (%d):\n", name, n);
    for (int i = 0; i < n; i++) { printf("  %s\n", names[i]); free(names[i]); }
}

int main(int argc, char **argv) {
    snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : ".");
    /* read an input file prepared by the test */
    FILE *in = fopen(p("input.txt"), "r");
    if (!in) { printf("input.txt: errno=%d %s\n", errno, strerror(errno)); }
    else {
        char line[128];
        while (fgets(line, sizeof line, in)) printf("input: %s", line);
        fclose(in);
    }
    /* write, seek, read back */
    int fd = open(p("out.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK("open out.txt", fd);
    const char *text = "0123456789abcdef\n";
    printf("write=%zd\n", write(fd, text, strlen(text)));
    printf("lseek=%lld\n", (long long)lseek(fd, 4, SEEK_SET));
    char buf[64] = {0};
    printf("read=%zd [%.6s]\n", read(fd, buf, 6), buf);
    printf("tell=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("pwrite=%zd\n", pwrite(fd, "XY", 2, 0));
    memset(buf, 0, sizeof buf);
    printf("pread=%zd [%s]\n", pread(fd, buf, 5, 0), buf);
    printf("tell after pread=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("seek end=%lld\n", (long long)lseek(fd, -3, SEEK_END));
    struct stat st;
    CHECK("fstat", fstat(fd, &st));
    printf("size=%lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    CHECK("ftruncate", ftruncate(fd, 8));
    CHECK("fstat", fstat(fd, &st));
    printf("size after truncate=%lld\n", (long long)st.st_size);
    close(fd);
    /* append mode */
    FILE *f = fopen(p("out.txt"), "a");
    fprintf(f, "+appended\n");
    fclose(f);
    f = fopen(p("out.txt"), "r");
    memset(buf, 0, sizeof buf);
    fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    printf("content=[%s]\n", buf);
    /* directories */
    CHECK("mkdir sub", mkdir(p("sub"), 0755));
    CHECK("mkdir sub again", mkdir(p("sub"), 0755));
    f = fopen(p("sub/inner.txt"), "w");
    fputs("inner\n", f);
    fclose(f);
    CHECK("rename", rename(p("sub/inner.txt"), p("sub/moved.txt")));
    CHECK("stat moved", stat(p("sub/moved.txt"), &st));
    CHECK("stat inner (gone)", stat(p("sub/inner.txt"), &st));
    CHECK("rmdir non-empty", rmdir(p("sub")));
    list("sub");
    CHECK("unlink moved", unlink(p("sub/moved.txt")));
    CHECK("unlink missing", unlink(p("sub/moved.txt")));
    CHECK("rmdir sub", rmdir(p("sub")));
    CHECK("open missing", open(p("missing.txt"), O_RDONLY));
    CHECK("open excl existing", open(p("out.txt"), O_WRONLY | O_CREAT | O_EXCL, 0644));
    CHECK("open file as dir", open(p("out.txt/x"), O_RDONLY));
    CHECK("unlink dir", unlink(p("keep")));
    CHECK("mkdir made", mkdir(p("made"), 0755));
    f = fopen(p("made/result.txt"), "w");
    fputs("written by the app\n", f);
    fclose(f);
    CHECK("symlink", symlink("out.txt", p("link")));
    char target[64] = {0};
    printf("readlink=%zd [%s]\n", readlink(p("link"), target, sizeof target - 1), target);
    CHECK("lstat link", lstat(p("link"), &st));
    printf("is link=%d\n", S_ISLNK(st.st_mode));
    CHECK("stat through link", stat(p("link"), &st));
    printf("through link size=%lld\n", (long long)st.st_size);
    CHECK("link (hard)", link(p("out.txt"), p("hard.txt")));
    list(".");
    return 0;
}
