#include <stdio.h>
#include <time.h>
#include <wasi/api.h>
static long long ns(clockid_t c) {
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0) return -1;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
int main(void) {
    struct timespec res;
    printf("res realtime ok=%d\n", clock_getres(CLOCK_REALTIME, &res) == 0 && (res.tv_sec > 0 || res.tv_nsec > 0));
    printf("res monotonic ok=%d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && (res.tv_sec > 0 || res.tv_nsec > 0));
    long long real = ns(CLOCK_REALTIME);
    printf("realtime after 2020: %d\n", real > 1577836800LL * 1000000000LL);
    long long a = ns(CLOCK_MONOTONIC);
    struct timespec d = {0, 20 * 1000 * 1000};
    nanosleep(&d, NULL);
    long long b = ns(CLOCK_MONOTONIC);
    printf("slept >= 20ms: %d\n", b - a >= 20000000LL);
    printf("slept < 5s: %d\n", b - a < 5000000000LL);
    __wasi_timestamp_t cpu = 0, res2 = 0;
    /* wasmtime does not implement the cputime clocks (an errno), selfhost does: only call them */
    __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &cpu);
    __wasi_clock_res_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, &res2);
    time_t t = time(NULL);
    printf("time() sane: %d\n", t > 1577836800);
    return 0;
}
