/*
 * Helpers shared inside src/analysis/ only (not part of the module's face).
 */
#ifndef NR_ANALYSIS_INT_H
#define NR_ANALYSIS_INT_H

#include <stddef.h>

/* Inputs up to this many values are copied to the stack, not the heap. */
#define NR__ANALYSIS_STACK_N 64

/* A copy of v[0..n) in stack[] when it fits, else on the heap; give it
 * back with nr__analysis_uncopy(copy, stack). */
double *nr__analysis_copy(const double *v, size_t n, double *stack, size_t stack_n);
void nr__analysis_uncopy(double *copy, double *stack);

/* Population standard deviation (divisor n, numpy's np.std default). */
double nr__analysis_pstddev(const double *v, size_t n, double mean);

/* Σ (v[i] - mean)², in two passes' precision (the caller has the mean). */
double nr__analysis_sum_sq_dev(const double *v, size_t n, double mean);

/* I_x(a, b) with y = 1 - x passed separately (more precise in the tails). */
double nr__analysis_betainc_xy(double a, double b, double x, double y);

#endif
