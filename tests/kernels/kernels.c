/* Small freestanding C kernels for the machine's tests and speed measurements.
   Build: python -m ziglang cc -target wasm32-freestanding -nostdlib -O2 -Wl,--no-entry
          kernels.c -o kernels.wasm
   then: python -m interp --invoke fib kernels.wasm 20   -> 6765 */

#define EXPORT(name) __attribute__((export_name(#name)))

/* recursive: call-heavy */
EXPORT(fib) int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

/* recursion n deep: one frame per level (not a loop: the result is used after each call) */
EXPORT(depth) int depth(int n) { return n == 0 ? 0 : (depth(n - 1) * 31 + n) & 0xFFFFF; }

/* tight integer loop */
EXPORT(loop_sum) int loop_sum(int n) {
    unsigned s = 0;
    for (int i = 0; i < n; i++) s += (unsigned)i * (unsigned)i ^ (s >> 3);
    return (int)s;
}

/* memory-heavy loop */
static unsigned char flags[200001];
EXPORT(sieve) int sieve(int n) {
    if (n > 200000) n = 200000;
    int count = 0;
    for (int i = 0; i <= n; i++) flags[i] = 1;
    for (int i = 2; i <= n; i++) {
        if (flags[i]) {
            count++;
            for (int j = i + i; j <= n; j += i) flags[j] = 0;
        }
    }
    return count;
}

/* 64-bit arithmetic */
EXPORT(mix64) long long mix64(int n) {
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < n; i++) { h ^= (unsigned long long)i; h *= 0x100000001b3ULL; h ^= h >> 29; }
    return (long long)h;
}

/* float matrix multiply on static arrays */
static double ma[32 * 32], mb[32 * 32], mc[32 * 32];
EXPORT(matmul) double matmul(int n) {
    if (n > 32) n = 32;
    for (int i = 0; i < n * n; i++) { ma[i] = i % 7 + 0.5; mb[i] = i % 5 - 1.25; }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += ma[i * n + k] * mb[k * n + j];
            mc[i * n + j] = s;
        }
    double t = 0;
    for (int i = 0; i < n * n; i++) t += mc[i];
    return t;
}
