/* What a program learns of its stdin and stdout (tests/test_conformance_plain_host.py, for
 * Wasmer): the WASI filetype of fds 0 and 1 and wasi-libc's isatty() of each. MicroPython asks
 * isatty(0) to choose between its interactive REPL and reading a script from stdin; wasi-libc
 * line-buffers stdout when isatty(1), else buffers it fully. */
#include <stdio.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
    for (int fd = 0; fd < 2; fd++) {
        __wasi_fdstat_t st;
        int e = __wasi_fd_fdstat_get(fd, &st);
        printf("fd %d: errno %d filetype %d isatty %d\n", fd, e, e ? -1 : st.fs_filetype,
               isatty(fd));
    }
    return 0;
}
