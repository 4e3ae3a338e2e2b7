/* localtime_r that returns UTC.
 *
 * wasi-libc's localtime_r goes through a WASI stub of __secs_to_zone that
 * writes through a NULL pointer; zig's LTO build of libc turns that undefined
 * behaviour into a garbage tm_gmtoff, and `import time` then fails with
 * "RuntimeError: invalid GMT offset". WASI has no time zones, so local time
 * is UTC and gmtime_r gives the right answer.
 */
#include <time.h>

struct tm *localtime_r(const time_t *restrict timer, struct tm *restrict result) {
    return gmtime_r(timer, result);
}

struct tm *__localtime_r(const time_t *restrict timer, struct tm *restrict result) {
    return gmtime_r(timer, result);
}
