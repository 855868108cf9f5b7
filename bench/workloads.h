/*
 * workloads.h - the allocation workloads of the first benchmark, shared by
 * uslab-bench and the demo: hot pair, batch, producer -> consumer, and the
 * resident memory of a million live objects.
 *
 * A contestant is a set of loops, one per workload, written against its
 * own calls (kmem_cache_alloc/free, kmalloc/kfree, malloc/free), so that
 * each is measured through its real entry points with no indirection.
 */
#ifndef USLAB_BENCH_WORKLOADS_H
#define USLAB_BENCH_WORKLOADS_H

#include <stddef.h>
#include <stdio.h>

struct contestant {
	const char *name;
	void (*setup)(size_t size);
	void (*teardown)(void);
	double (*hot_pair)(size_t size, long iters);          /* ns per alloc+free */
	double (*batch)(size_t size, long batch, long rounds); /* ns per alloc+free */
	double (*producer_consumer)(size_t size, long items);  /* ns per object */
	long (*rss_live)(size_t size, long objects);           /* bytes resident */
};

extern const struct contestant contestant_kmem_cache;
extern const struct contestant contestant_kmalloc;
extern const struct contestant contestant_glibc;

struct bench_options {
	int quick;        /* fewer iterations and runs */
	int runs;         /* runs per cell; the median is reported */
	size_t size;      /* object size */
	FILE *out;
};

/* Runs the whole table and prints it; returns 0. */
int bench_run(const struct bench_options *opt);
/* The same workloads on kmem_cache under each hardening option. */
void bench_hardening(const struct bench_options *opt);
/* slub against unified: hot pair, batch, producer -> consumer, cache-cold
 * free, hackbench-like message passing. */
void bench_personalities(const struct bench_options *opt);

/* The malloc replacement against glibc, jemalloc, mimalloc and tcmalloc:
 * uslab-malloc-workload under each (malloc_driver.c). */
void bench_malloc(const struct bench_options *opt);

#endif
