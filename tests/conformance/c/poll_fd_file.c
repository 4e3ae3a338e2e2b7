// poll_oneoff on a regular file: read and write readiness, and nbytes/flags, at the start, in
// the middle and at the end of the file.
#include "common.h"

int main(void) {
    int fd = must_open("hello.txt", 0, RIGHTS_RW | __WASI_RIGHTS_POLL_FD_READWRITE, 0);
    __wasi_event_t ev[2];
    __wasi_size_t n;
    __wasi_subscription_t s[2] = {fd_sub(1, __WASI_EVENTTYPE_FD_READ, fd),
                                  fd_sub(2, __WASI_EVENTTYPE_FD_WRITE, fd)};
    show("poll read+write at 0", __wasi_poll_oneoff(s, ev, 2, &n));
    show_events(ev, n);
    __wasi_filesize_t pos;
    __wasi_fd_seek(fd, 6, __WASI_WHENCE_SET, &pos);
    show("poll read at 6", __wasi_poll_oneoff(s, ev, 1, &n));
    show_events(ev, n);
    __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos);
    show("poll read at end", __wasi_poll_oneoff(s, ev, 1, &n));
    show_events(ev, n);
    return 0;
}
