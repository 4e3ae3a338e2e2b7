/* A directory fd kept while the host swaps the directory for a symlink to outside.
 *
 *   dirswap DIR NAME LINK
 *
 * Opens DIR, prints "ready", waits for one byte on stdin (the test swaps DIR on the host
 * meanwhile), then creates NAME in the directory fd it holds and opens LINK (a symlink to
 * outside, planted by the test) with O_NOFOLLOW for writing. A host that resolves a directory
 * fd by its path, or follows a final symlink, writes outside the preopen.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void say(const char *what, int ok) {
    if (ok) printf("%s: ok\n", what);
    else printf("%s: errno=%d\n", what, errno);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: dirswap DIR NAME LINK\n");
        return 2;
    }
    int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
    say("open dir", dir >= 0);
    if (dir < 0) return 1;
    char go;
    if (read(0, &go, 1) != 1) return 1;
    int f = openat(dir, argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    say("create in the held dir", f >= 0);
    if (f >= 0) {
        say("write", write(f, "inside\n", 7) == 7);
        close(f);
    }
    int g = openat(dir, argv[3], O_WRONLY | O_CREAT | O_NOFOLLOW, 0644);
    say("open a symlink O_NOFOLLOW", g >= 0);
    if (g >= 0) close(g);
    return 0;
}
