/*
 * bench_util.h - what every benchmark file shares: the clock, a compiler
 * barrier that keeps an allocation from being optimised away, and the
 * comparison for sorting run times into medians.
 */
#ifndef USLAB_BENCH_UTIL_H
#define USLAB_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

/* The pointer escapes to the compiler: the allocation must happen. */
#define barrier_ptr(p) __asm__ __volatile__("" : : "r"(p) : "memory")

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif
