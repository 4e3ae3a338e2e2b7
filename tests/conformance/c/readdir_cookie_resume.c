// conformance: fixture=many
// Reading a 200-entry directory with a small buffer, resuming from each last complete entry's
// d_next cookie: every name is seen exactly once.
#include "common.h"

static char seen[256][16];
static int nseen;

int main(void) {
    static uint8_t buf[200];
    __wasi_dircookie_t cookie = 0;
    int calls = 0, dup = 0;
    for (;;) {
        __wasi_size_t used;
        int e = __wasi_fd_readdir(SANDBOX, buf, sizeof buf, cookie, &used);
        calls++;
        if (e) { show("readdir", e); return 1; }
        size_t off = 0;
        int complete = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used) break;     // cut entry: resume here
            char name[16];
            snprintf(name, sizeof name, "%.*s", (int)d.d_namlen, buf + off + sizeof d);
            for (int i = 0; i < nseen; i++)
                if (!strcmp(seen[i], name)) dup++;
            if (nseen < 256) strcpy(seen[nseen++], name);
            cookie = d.d_next;
            off += sizeof d + d.d_namlen;
            complete++;
        }
        if (used < sizeof buf) break;
        if (complete == 0) { printf("no progress\n"); return 1; }
        if (calls > 1000) { printf("too many calls\n"); return 1; }
    }
    int dots = 0, files = 0;
    for (int i = 0; i < nseen; i++) {
        if (!strcmp(seen[i], ".") || !strcmp(seen[i], "..")) dots++;
        else if (seen[i][0] == 'f') files++;
    }
    printf("names %d (dots %d, files %d), duplicates %d, more than 10 calls: %s\n", nseen, dots,
           files, dup, calls > 10 ? "yes" : "no");
    return 0;
}
