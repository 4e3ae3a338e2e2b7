// conformance: stdin='abcdefghij'
// Small reads of stdin: 3 bytes at a time, then a read of 0 bytes.
#include "common.h"

int main(void) {
    for (int i = 0; i < 5; i++) show_read("read 3", 0, 3);
    show_read("read 0", 0, 0);
    return 0;
}
