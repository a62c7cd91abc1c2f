// Minimal STREAM-like read bandwidth test: sum over a 2 GiB buffer of doubles.
// Build: gcc -O3 -march=native -fopenmp stream.c -o stream
// Run:   OMP_NUM_THREADS=N ./stream   -> best of 10 repetitions, GB/s (1e9 bytes/s)
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <omp.h>
#define BYTES (2ULL << 30)
#define REPS 10
int main(void) {
    size_t n = BYTES / sizeof(double);
    double *a = aligned_alloc(64, BYTES);
    if (!a) { perror("alloc"); return 1; }
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) a[i] = (double)(i & 1023) * 0.5;   // first touch per thread
    double best = 1e30, sink = 0;
    for (int r = 0; r < REPS; r++) {
        double t0 = omp_get_wtime(), s = 0;
        #pragma omp parallel for simd reduction(+:s) schedule(static)  /* simd: lets gcc vectorize the FP sum */
        for (size_t i = 0; i < n; i++) s += a[i];
        double t = omp_get_wtime() - t0;
        sink += s;
        if (t < best) best = t;
        printf("rep %2d: %.4f s  %.2f GB/s\n", r, t, BYTES / t / 1e9);
    }
    printf("threads=%d bytes=%llu best=%.4f s  READ(sum) %.2f GB/s  (sink %g)\n",
           omp_get_max_threads(), (unsigned long long)BYTES, best, BYTES / best / 1e9, sink);
    free(a);
    return 0;
}
