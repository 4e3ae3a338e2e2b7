/* A small app to take snapshots of (the hostile-snapshot tests mutate and craft them).

   usage: snapme DIR
   Keeps DIR/data.txt open, recurses a few frames deep through a function pointer (a table),
   asks for a checkpoint from there (DIR/.selfhost-checkpoint, the magic path), then reads the
   file back and prints what it holds, and the state it computed. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char path[512], magic[512];
static volatile int counter = 7;
static int fd = -1;

static int leaf(int depth, double x);
static int (*volatile step)(int, double) = leaf;

static int leaf(int depth, double x) {
    if (depth > 0) return step(depth - 1, x * 1.5) + 1;
    FILE *c = fopen(magic, "w");                /* a checkpoint from 5 frames down */
    if (c) { fputs("now", c); fclose(c); }
    counter += (int)x;
    return counter;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    snprintf(path, sizeof path, "%s/data.txt", dir);
    snprintf(magic, sizeof magic, "%s/.selfhost-checkpoint", dir);
    fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) { perror(path); return 2; }
    write(fd, "before|", 7);
    int r = step(4, 2.0);
    write(fd, "after", 5);
    char buf[256] = {0};
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("r=%d counter=%d file=[%s] n=%zd\n", r, counter, buf, n);
    return 0;
}
