/* Writes N bytes (default 200 MiB) of a fixed pattern to fd FD (default 1) in 64 KiB writes;
   exit 5 when a write fails (the message on stderr). usage: bigout [N] [FD] */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long total = argc > 1 ? atol(argv[1]) : 200L << 20;
    int fd = argc > 2 ? atoi(argv[2]) : 1;
    static char buf[1 << 16];
    for (int i = 0; i < (int)sizeof buf; i++) buf[i] = 'a' + i % 26;
    long done = 0;
    while (done < total) {
        long n = total - done < (long)sizeof buf ? total - done : (long)sizeof buf;
        ssize_t w = write(fd, buf, n);
        if (w < 0) { perror("write"); return 5; }
        done += w;
    }
    return 0;
}
