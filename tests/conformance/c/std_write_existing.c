// Existing files opened for writing without O_CREAT (open(2), fopen "r+"/"a"), at the top of
// the preopen, in subdirectories and through a directory fd the program opened itself.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

static void write_to(const char *label, int dirfd, const char *path, int flags) {
    int fd = dirfd < 0 ? open(path, flags) : openat(dirfd, path, flags);
    if (fd < 0) {
        printf("%s: open: %s\n", label, strerror(errno));
        return;
    }
    ssize_t n = write(fd, "written\n", 8);
    printf("%s: write %zd%s%s\n", label, n, n < 0 ? " " : "", n < 0 ? strerror(errno) : "");
    close(fd);
}

int main(void) {
    write_to("top O_WRONLY", -1, "/sandbox/hello.txt", O_WRONLY);
    write_to("sub O_WRONLY|O_APPEND", -1, "/sandbox/sub/nested.txt", O_WRONLY | O_APPEND);
    write_to("deep O_RDWR", -1, "/sandbox/sub/deep/leaf.txt", O_RDWR);
    int dir = open("/sandbox/sub", O_RDONLY | O_DIRECTORY);
    write_to("dirfd O_WRONLY|O_TRUNC", dir, "nested.txt", O_WRONLY | O_TRUNC);
    write_to("dirfd deep O_WRONLY", dir, "deep/leaf.txt", O_WRONLY);
    close(dir);
    FILE *f = fopen("/sandbox/sub/deep/leaf.txt", "a");
    printf("fopen a: %s\n", f ? "ok" : strerror(errno));
    if (f) {
        fputs("appended\n", f);
        fclose(f);
    }
    write_to("missing O_WRONLY", -1, "/sandbox/sub/none.txt", O_WRONLY);
    return 0;
}
