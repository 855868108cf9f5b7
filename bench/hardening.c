/*
 * hardening.c - what each hardening option costs: the same three loops on
 * a kmem_cache of 64-byte objects, plain and with each option, in one
 * process, variants interleaved within each run.  Reported as the median
 * time and the median of the per-run ratios to plain.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <uslab.h>

#include "bench_util.h"
#include "suite.h"

#define SIZE 64
#define MAX_RUNS 15

static struct kmem_cache *cache;

static double hot_pair(long iters)
{
	double t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		void *p = kmem_cache_alloc(cache, GFP_KERNEL);

		barrier_ptr(p);
		kmem_cache_free(cache, p);
	}
	return (now_ns() - t0) / (double)iters;
}

static double batch(long rounds)
{
	static void *v[1000];
	double t0 = now_ns();

	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < 1000; i++) {
			v[i] = kmem_cache_alloc(cache, GFP_KERNEL);
			barrier_ptr(v[i]);
		}
		for (int i = 0; i < 1000; i++)
			kmem_cache_free(cache, v[i]);
	}
	return (now_ns() - t0) / (double)(rounds * 1000);
}

#define RING 1024

static struct {
	_Atomic long head __attribute__((aligned(64)));
	_Atomic long tail __attribute__((aligned(64)));
	void *slot[RING] __attribute__((aligned(64)));
	long items;
} ring;

static void *consumer(void *arg)
{
	(void)arg;
	for (long done = 0; done < ring.items;) {
		long h = atomic_load_explicit(&ring.head, memory_order_relaxed);
		long t = atomic_load_explicit(&ring.tail, memory_order_acquire);

		for (; h < t; h++, done++)
			kmem_cache_free(cache, ring.slot[h % RING]);
		atomic_store_explicit(&ring.head, h, memory_order_release);
	}
	return NULL;
}

static double producer_consumer(long items)
{
	pthread_t th;
	double t0;

	atomic_store(&ring.head, 0);
	atomic_store(&ring.tail, 0);
	ring.items = items;
	t0 = now_ns();
	pthread_create(&th, NULL, consumer, NULL);
	for (long i = 0; i < items; i++) {
		void *p = kmem_cache_alloc(cache, GFP_KERNEL);

		while (i - atomic_load_explicit(&ring.head, memory_order_acquire) >= RING)
			;
		ring.slot[i % RING] = p;
		atomic_store_explicit(&ring.tail, i + 1, memory_order_release);
	}
	pthread_join(th, NULL);
	return (now_ns() - t0) / (double)items;
}

struct variant {
	const char *name;
	enum uslab_option opt;   /* USLAB_OPT_COUNT: none */
	const char *debug;       /* USLAB_DEBUG text for the cache, or NULL */
};

static const struct variant variants[] = {
	{ "plain (default)", USLAB_OPT_COUNT, NULL },
	{ "USLAB_FREELIST_HARDENED=1", USLAB_OPT_FREELIST_HARDENED, NULL },
	{ "USLAB_RANDOM_FREELIST=1", USLAB_OPT_RANDOM_FREELIST, NULL },
	{ "USLAB_INIT_ON_ALLOC=1", USLAB_OPT_INIT_ON_ALLOC, NULL },
	{ "USLAB_INIT_ON_FREE=1", USLAB_OPT_INIT_ON_FREE, NULL },
	{ "USLAB_DEBUG=FZPU (debugging, for scale)", USLAB_OPT_COUNT, "FZPU,bench" },
};
#define NR_VARIANTS (sizeof(variants) / sizeof(variants[0]))

/* The options apply to caches created while they are set. */
static void variant_setup(const struct variant *v)
{
	if (v->opt != USLAB_OPT_COUNT)
		uslab_option_set(v->opt, 1);
	if (v->debug)
		uslab_debug_config(v->debug);
	cache = kmem_cache_create("bench", SIZE, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);
	if (v->opt != USLAB_OPT_COUNT)
		uslab_option_set(v->opt, 0);
	if (v->debug)
		uslab_debug_config("");
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

void bench_hardening(int runs, FILE *out)
{
	static double t[NR_VARIANTS][3][MAX_RUNS];

	if (runs > MAX_RUNS)
		runs = MAX_RUNS;
	for (int r = 0; r < runs; r++) {
		for (size_t v = 0; v < NR_VARIANTS; v++) {
			long scale = variants[v].debug ? 20 : 1;   /* debug is slow: fewer */

			variant_setup(&variants[v]);
			t[v][0][r] = hot_pair(10000000 / scale);
			t[v][1][r] = batch(5000 / scale);
			t[v][2][r] = producer_consumer(2000000 / scale);
			kmem_cache_destroy(cache);
		}
	}
	fprintf(out, "\n## The cost of each hardening option: kmem_cache (slub), %d-byte objects, median of %d runs, ns per object (x: time over plain, same run)\n\n",
		SIZE, runs);
	fprintf(out, "| option | hot pair | batch 1000 | producer -> consumer |\n|---|---|---|---|\n");
	for (size_t v = 0; v < NR_VARIANTS; v++) {
		fprintf(out, "| %s ", variants[v].name);
		for (int w = 0; w < 3; w++) {
			double ratio[MAX_RUNS], tmp[MAX_RUNS];

			for (int r = 0; r < runs; r++) {
				ratio[r] = t[v][w][r] / t[0][w][r];
				tmp[r] = t[v][w][r];
			}
			fprintf(out, "| %.1f (%.2fx) ", median(tmp, runs), median(ratio, runs));
		}
		fprintf(out, "|\n");
	}
}
