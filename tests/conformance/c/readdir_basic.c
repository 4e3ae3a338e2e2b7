// fd_readdir of a directory: every entry with its type, sorted by name (the order the host
// gives is checked by readdir_order), and the "." and ".." entries.
#include "common.h"

struct entry { char name[64]; int type; };

static int cmp(const void *a, const void *b) {
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

int main(void) {
    int dir = must_open("sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0);
    static uint8_t buf[4096];
    __wasi_size_t used;
    show("readdir", __wasi_fd_readdir(dir, buf, sizeof buf, 0, &used));
    struct entry entries[32];
    int count = 0;
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used && count < 32;) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        off += sizeof d;
        snprintf(entries[count].name, 64, "%.*s", (int)d.d_namlen, buf + off);
        entries[count].type = d.d_type;
        count++;
        off += d.d_namlen;
    }
    qsort(entries, count, sizeof entries[0], cmp);
    for (int i = 0; i < count; i++)
        printf("%s %s\n", entries[i].name, filetype_name(entries[i].type));
    return 0;
}
