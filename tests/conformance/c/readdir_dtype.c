// d_type of each kind of entry: regular file, directory, symlink to a file, symlink to a
// directory, dangling symlink, symlink loop.
#include "common.h"

int main(void) {
    static uint8_t buf[8192];
    __wasi_size_t used;
    show("readdir preopen", __wasi_fd_readdir(SANDBOX, buf, sizeof buf, 0, &used));
    static const char *const wanted[] = {"hello.txt", "sub", "link_hello", "link_sub",
                                         "link_dangling", "link_loop_a", "emptydir", "data.bin"};
    for (size_t w = 0; w < sizeof wanted / sizeof wanted[0]; w++) {
        const char *type = "not listed";
        for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            off += sizeof d;
            if (d.d_namlen == strlen(wanted[w]) && !memcmp(buf + off, wanted[w], d.d_namlen))
                type = filetype_name(d.d_type);
            off += d.d_namlen;
        }
        printf("%s: %s\n", wanted[w], type);
    }
    return 0;
}
