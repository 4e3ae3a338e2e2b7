// path_rename of a file onto an existing file replaces it; onto itself is a no-op.
#include "common.h"

int main(void) {
    show("rename hello.txt -> empty.txt", __wasi_path_rename(SANDBOX, "hello.txt", SANDBOX, "empty.txt"));
    show_file("empty.txt");
    show_file("hello.txt");
    show("rename empty.txt -> empty.txt", __wasi_path_rename(SANDBOX, "empty.txt", SANDBOX, "empty.txt"));
    show_file("empty.txt");
    show("rename missing -> x", __wasi_path_rename(SANDBOX, "missing", SANDBOX, "x"));
    show("rename data.bin -> sub/data.bin", __wasi_path_rename(SANDBOX, "data.bin", SANDBOX, "sub/data.bin"));
    show("rename into missing dir", __wasi_path_rename(SANDBOX, "empty.txt", SANDBOX, "nodir/e.txt"));
    return 0;
}
