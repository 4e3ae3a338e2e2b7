// Empty stdin: the first read returns 0 bytes.
#include "common.h"

int main(void) {
    show_read("read stdin", 0, 16);
    show_read("read stdin again", 0, 16);
    return 0;
}
