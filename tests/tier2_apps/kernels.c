/* Kernels for tier 2's tests (tests/test_instrument.py): loops, recursion, float state with NaN
 * payloads, memory.grow inside a loop, call_indirect, nested calls. Freestanding: every kernel
 * is an export `long long NAME(int n)` whose result is a checksum of all it did. */
#define EXPORT(name) __attribute__((export_name(#name)))
#define NOINLINE __attribute__((noinline))
typedef unsigned int u32;
typedef unsigned long long u64;

/* recursion: every frame waits in a call, the unwind goes through all of them */
static NOINLINE int fib_rec(int n) { return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2); }
EXPORT(fib) long long fib(int n) { return fib_rec(n); }

/* byte loads/stores in nested loops */
static unsigned char flags[50001];
EXPORT(sieve) long long sieve(int n) {
    if (n > 50000) n = 50000;
    int count = 0;
    for (int i = 0; i <= n; i++) flags[i] = 1;
    for (int i = 2; i <= n; i++)
        if (flags[i]) {
            count++;
            for (int j = i + i; j <= n; j += i) flags[j] = 0;
        }
    return count;
}

/* float state carried across loop headers and calls, NaN payloads included: only bit-exact
 * operations (neg, abs, copysign, reinterpret, loads, stores) touch the NaNs */
static inline float f32_of(u32 b) { union { u32 u; float f; } x; x.u = b; return x.f; }
static inline u32 bits32(float f) { union { u32 u; float f; } x; x.f = f; return x.u; }
static inline double f64_of(u64 b) { union { u64 u; double f; } x; x.u = b; return x.f; }
static inline u64 bits64(double f) { union { u64 u; double f; } x; x.f = f; return x.u; }
static volatile float fbox[8];
static volatile double dbox[8];
static NOINLINE float twiddle(float x, int i) {
    return (i & 1) ? -x : __builtin_copysignf(x, (float)(i & 2) - 1.0f);
}
static NOINLINE double dtwiddle(double x, int i) { return (i & 2) ? -x : __builtin_fabs(x); }
EXPORT(floats) long long floats(int n) {
    float f = f32_of(0x7fa00123u);           /* a signalling NaN with a payload */
    double d = f64_of(0x7ff4000000000abcull); /* a signalling NaN with a payload */
    float g = 1.5f;
    double e = 0.25;
    u64 h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) {
        f = twiddle(f, i);
        d = dtwiddle(d, i);
        fbox[i & 7] = f;
        dbox[i & 7] = d;
        g = g * 1.0001f + (float)(i & 15);
        e = e * 0.999 + (double)i * 0.5;
        h = (h ^ bits32(f)) * 1099511628211ull;
        h = (h ^ bits64(d)) * 1099511628211ull;
        h = (h ^ bits32(fbox[(i * 3) & 7])) * 1099511628211ull;
    }
    return (long long)(h ^ bits32(g) ^ bits64(e));
}

/* memory.grow inside the loop: each round adds a page and writes into it */
EXPORT(grow) long long grow(int n) {
    u64 h = 0;
    for (int i = 0; i < n; i++) {
        int old = __builtin_wasm_memory_grow(0, 1);
        if (old < 0) return -1;
        unsigned char *p = (unsigned char *)((unsigned long)old * 65536u);
        for (int j = 0; j < 65536; j += 512) p[j] = (unsigned char)(i * 7 + j);
        for (int j = 0; j < 65536; j += 1024) h = h * 31 + p[j];
        h ^= (u64)__builtin_wasm_memory_size(0) << 40;
    }
    return (long long)h;
}

/* call_indirect: a loop over function pointers, one of which recurses through the table */
typedef u64 (*op_t)(u64, int);
static u64 op_mul(u64 x, int d);
static u64 op_xor(u64 x, int d);
static u64 op_rot(u64 x, int d);
static u64 op_deep(u64 x, int d);
static op_t volatile ops[4] = {op_mul, op_xor, op_rot, op_deep};
static NOINLINE u64 op_mul(u64 x, int d) { return x * 6364136223846793005ull + (u64)d; }
static NOINLINE u64 op_xor(u64 x, int d) { return x ^ (x >> 17) ^ (u64)d; }
static NOINLINE u64 op_rot(u64 x, int d) { return (x << 13 | x >> 51) + 1; }
static NOINLINE u64 op_deep(u64 x, int d) {
    if (d <= 0) return x + 3;
    u64 a = ops[(x >> 5) & 3](x, d - 1);
    return a ^ ops[d & 2](x + a, d - 2);
}
EXPORT(indirect) long long indirect(int n) {
    u64 h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < n; i++) h = ops[(h >> 9) & 3](h, i & 7);
    return (long long)h;
}

/* a loop calling a function that loops, with values live across the call */
static NOINLINE u32 inner(u32 x, int m) {
    for (int j = 0; j < m; j++) x = x * 1664525u + 1013904223u + (u32)j;
    return x;
}
static NOINLINE u32 leaf(u32 x) { return x ^ (x >> 3); }   /* bounded: no safe point */
EXPORT(nested) long long nested(int n) {
    u64 h = 7;
    u32 x = 1;
    for (int i = 0; i < n; i++) {
        x = inner(x, i & 31) + leaf(x);
        h = h * 1000003u + x;
    }
    return (long long)h;
}

/* f64 loops over static arrays */
static double ma[24 * 24], mb[24 * 24], mc[24 * 24];
EXPORT(matmul) long long matmul(int n) {
    if (n > 24) n = 24;
    for (int i = 0; i < n * n; i++) { ma[i] = i % 7 + 0.5; mb[i] = i % 5 - 1.25; }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += ma[i * n + k] * mb[k * n + j];
            mc[i * n + j] = s;
        }
    double t = 0;
    for (int i = 0; i < n * n; i++) t += mc[i] * (i + 1);
    return (long long)bits64(t);
}
