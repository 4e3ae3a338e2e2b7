/* clock_nanosleep built directly on WASI poll_oneoff.
 *
 * libpython's time.sleep() calls clock_nanosleep(CLOCK_MONOTONIC,
 * TIMER_ABSTIME, ...). Node's WASI turns wasi-libc's absolute-deadline
 * subscription into a near-infinite sleep, so this version converts the
 * deadline into a relative timeout and uses a relative clock subscription,
 * which every host implements the same way.
 */
#include <errno.h>
#include <time.h>
#include <wasi/api.h>

static int to_wasi_clock(clockid_t clock_id, __wasi_clockid_t *out) {
    if (clock_id == CLOCK_REALTIME) {
        *out = __WASI_CLOCKID_REALTIME;
    } else if (clock_id == CLOCK_MONOTONIC) {
        *out = __WASI_CLOCKID_MONOTONIC;
    } else {
        return -1;
    }
    return 0;
}

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *request,
                    struct timespec *remain) {
    (void)remain;
    __wasi_clockid_t id;
    if (to_wasi_clock(clock_id, &id) != 0) {
        return EINVAL;
    }
    if (request->tv_sec < 0 || request->tv_nsec < 0 || request->tv_nsec >= 1000000000L) {
        return EINVAL;
    }
    __wasi_timestamp_t timeout =
        (__wasi_timestamp_t)request->tv_sec * 1000000000ull + (__wasi_timestamp_t)request->tv_nsec;

    if (flags & TIMER_ABSTIME) {
        __wasi_timestamp_t now = 0;
        if (__wasi_clock_time_get(id, 1, &now) != 0) {
            return EINVAL;
        }
        if (now >= timeout) {
            return 0;
        }
        timeout -= now;
    }
    if (timeout == 0) {
        return 0;
    }

    __wasi_subscription_t sub = {0};
    sub.userdata = 0;
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = id;
    sub.u.u.clock.timeout = timeout;
    sub.u.u.clock.precision = 0;
    sub.u.u.clock.flags = 0;

    __wasi_event_t event;
    __wasi_size_t nevents = 0;
    __wasi_errno_t err = __wasi_poll_oneoff(&sub, &event, 1, &nevents);
    if (err != 0) {
        return err;
    }
    return 0;
}
