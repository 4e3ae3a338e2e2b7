/* Dense f64 matrix multiply C = A * B of n x n matrices (n capped at MAX_N).
   Returns the bit pattern of the sum of C's elements. */
#include "common.h"

#define MAX_N 128
static double a[MAX_N * MAX_N], b[MAX_N * MAX_N], c[MAX_N * MAX_N];

KERNEL(matmul) {
    if (n > MAX_N) n = MAX_N;
    if (n < 0) n = 0;
    for (int i = 0; i < n * n; i++) {
        a[i] = (double)(i % 7) + 0.5;
        b[i] = (double)(i % 5) - 1.25;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
    double total = 0.0;
    for (int i = 0; i < n * n; i++) total += c[i] * (double)(i % 3 + 1);
    return f64_bits(total);
}

BENCH_MAIN(matmul)
