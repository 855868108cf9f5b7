/*
 * workloads.c - the workloads and the table.
 *
 * Contestants run interleaved within each run (kmem_cache, kmalloc, glibc,
 * then again), so that drift of the machine hits all alike; each cell is
 * the median of the runs, with min and max beside it.  Ratios are glibc's
 * time over the contestant's: above 1 means faster than glibc.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uslab.h>

#include "bench_util.h"
#include "workloads.h"

static long rss_bytes(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

/* ---- producer -> consumer: a single-producer single-consumer ring ---- */

#define RING 1024

struct ring {
	_Atomic long head __attribute__((aligned(64)));
	_Atomic long tail __attribute__((aligned(64)));
	void *slot[RING] __attribute__((aligned(64)));
	long items;
	void (*release)(void *);
};

static void *consumer_main(void *arg)
{
	struct ring *r = arg;

	for (long done = 0; done < r->items;) {
		long h = atomic_load_explicit(&r->head, memory_order_relaxed);
		long t = atomic_load_explicit(&r->tail, memory_order_acquire);

		if (h == t) {
			__builtin_ia32_pause();
			continue;
		}
		for (; h < t; h++, done++)
			r->release(r->slot[h % RING]);
		atomic_store_explicit(&r->head, h, memory_order_release);
	}
	return NULL;
}

static double run_producer_consumer(long items, void *(*get)(void), void (*release)(void *))
{
	static struct ring r;
	pthread_t th;
	double t0;

	atomic_store(&r.head, 0);
	atomic_store(&r.tail, 0);
	r.items = items;
	r.release = release;
	t0 = now_ns();
	pthread_create(&th, NULL, consumer_main, &r);
	for (long i = 0; i < items; i++) {
		void *p = get();

		*(volatile char *)p = 1;
		while (i - atomic_load_explicit(&r.head, memory_order_acquire) >= RING)
			__builtin_ia32_pause();
		r.slot[i % RING] = p;
		atomic_store_explicit(&r.tail, i + 1, memory_order_release);
	}
	pthread_join(th, NULL);
	return (now_ns() - t0) / (double)items;
}

/* ---- contestants: the same loops over each allocator's own calls ---- */

static size_t cur_size;
static struct kmem_cache *bench_cache;

#define DEFINE_CONTESTANT(id, ALLOC, FREE)                                           \
	static double id##_hot_pair(size_t size, long iters)                         \
	{                                                                            \
		double t0 = now_ns();                                                \
		(void)size;                                                          \
		for (long i = 0; i < iters; i++) {                                   \
			void *p = ALLOC;                                             \
			barrier_ptr(p);                                              \
			FREE(p);                                                     \
		}                                                                    \
		return (now_ns() - t0) / (double)iters;                              \
	}                                                                            \
	static double id##_batch(size_t size, long batch, long rounds)               \
	{                                                                            \
		void **v = malloc(sizeof(void *) * (size_t)batch);                   \
		double t0 = now_ns();                                                \
		(void)size;                                                          \
		for (long r = 0; r < rounds; r++) {                                  \
			for (long i = 0; i < batch; i++) {                           \
				v[i] = ALLOC;                                        \
				barrier_ptr(v[i]);                                   \
			}                                                            \
			for (long i = 0; i < batch; i++)                             \
				FREE(v[i]);                                          \
		}                                                                    \
		t0 = (now_ns() - t0) / (double)(batch * rounds);                     \
		free(v);                                                             \
		return t0;                                                           \
	}                                                                            \
	static void *id##_get(void)                                                  \
	{                                                                            \
		size_t size = cur_size;                                              \
		(void)size;                                                          \
		return ALLOC;                                                        \
	}                                                                            \
	static void id##_release(void *p)                                            \
	{                                                                            \
		FREE(p);                                                             \
	}                                                                            \
	static double id##_producer_consumer(size_t size, long items)                \
	{                                                                            \
		cur_size = size;                                                     \
		return run_producer_consumer(items, id##_get, id##_release);        \
	}                                                                            \
	static long id##_rss_live(size_t size, long objects)                         \
	{                                                                            \
		void **v = malloc(sizeof(void *) * (size_t)objects);                 \
		long before = rss_bytes(), after;                                    \
		(void)size;                                                          \
		for (long i = 0; i < objects; i++) {                                 \
			v[i] = ALLOC;                                                \
			memset(v[i], 1, size);                                       \
		}                                                                    \
		after = rss_bytes();                                                 \
		for (long i = 0; i < objects; i++)                                   \
			FREE(v[i]);                                                  \
		/* The pointer array itself is resident too: not ours. */          \
		free(v);                                                             \
		return after - before - (long)(sizeof(void *) * (size_t)objects);    \
	}

static void kmem_setup(size_t size)
{
	bench_cache = kmem_cache_create("bench", (unsigned int)size, 0, SLAB_NO_MERGE, NULL);
}

static void kmem_teardown(void)
{
	kmem_cache_destroy(bench_cache);
	bench_cache = NULL;
}

static void nop_setup(size_t size)
{
	(void)size;
}

static void nop_teardown(void)
{
}

static void kmem_cache_free_bench(void *p)
{
	kmem_cache_free(bench_cache, p);
}

DEFINE_CONTESTANT(kmem, kmem_cache_alloc(bench_cache, GFP_KERNEL), kmem_cache_free_bench)
DEFINE_CONTESTANT(kmal, kmalloc(size, GFP_KERNEL), kfree)
DEFINE_CONTESTANT(libc, malloc(size), free)

#define CONTESTANT(id, label, su, td) \
	{ label, su, td, id##_hot_pair, id##_batch, id##_producer_consumer, id##_rss_live }

const struct contestant contestant_kmem_cache = CONTESTANT(kmem, "kmem_cache", kmem_setup, kmem_teardown);
const struct contestant contestant_kmalloc = CONTESTANT(kmal, "kmalloc", nop_setup, nop_teardown);
const struct contestant contestant_glibc = CONTESTANT(libc, "glibc malloc", nop_setup, nop_teardown);

/* ------------------------------------------------------------- table */

enum { W_HOT, W_BATCH, W_PRODCONS, NR_WORKLOADS };
static const char *const workload_names[NR_WORKLOADS] = {
	"hot pair (alloc+free)", "batch 1000 alloc, 1000 free", "producer -> consumer",
};

static double median_of(const double *v, int n)
{
	double tmp[16];

	memcpy(tmp, v, sizeof(double) * (size_t)n);
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	return tmp[n / 2];
}

/* ------------------------------------------- the cost of each hardening */

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

static void variant_setup(const struct variant *v, size_t size)
{
	if (v->opt != USLAB_OPT_COUNT)
		uslab_option_set(v->opt, 1);
	if (v->debug)
		uslab_debug_config(v->debug);
	kmem_setup(size);
	if (v->opt != USLAB_OPT_COUNT)
		uslab_option_set(v->opt, 0);
	if (v->debug)
		uslab_debug_config("");
}

void bench_hardening(const struct bench_options *opt)
{
	enum { MAX_RUNS = 15 };
	double t[NR_VARIANTS][3][MAX_RUNS];
	int runs = opt->runs > MAX_RUNS ? MAX_RUNS : opt->runs;
	size_t size = opt->size;
	FILE *out = opt->out;

	for (int r = 0; r < runs; r++) {
		for (size_t v = 0; v < NR_VARIANTS; v++) {
			long scale = variants[v].debug ? 20 : 1;   /* debug is slow: fewer */

			variant_setup(&variants[v], size);
			t[v][0][r] = kmem_hot_pair(size, 10000000 / scale);
			t[v][1][r] = kmem_batch(size, 1000, 5000 / scale);
			t[v][2][r] = kmem_producer_consumer(size, 2000000 / scale);
			kmem_teardown();
		}
	}
	fprintf(out, "\n## The cost of each hardening option: kmem_cache, %zu-byte objects, median of %d runs, ns per object (x: time over plain, same run)\n\n",
		size, runs);
	fprintf(out, "| option | hot pair | batch 1000 | producer -> consumer |\n|---|---|---|---|\n");
	for (size_t v = 0; v < NR_VARIANTS; v++) {
		fprintf(out, "| %s ", variants[v].name);
		for (int w = 0; w < 3; w++) {
			double ratio[MAX_RUNS];

			for (int r = 0; r < runs; r++)
				ratio[r] = t[v][w][r] / t[0][w][r];
			qsort(ratio, (size_t)runs, sizeof(double), cmp_double);
			fprintf(out, "| %.1f (%.2fx) ", median_of(t[v][w], runs), ratio[runs / 2]);
		}
		fprintf(out, "|\n");
	}
}

int bench_run(const struct bench_options *opt)
{
	const struct contestant *c[] = { &contestant_kmem_cache, &contestant_kmalloc,
					 &contestant_glibc };
	enum { NC = 3, MAX_RUNS = 15 };
	double t[NR_WORKLOADS][NC][MAX_RUNS];
	int runs = opt->runs > MAX_RUNS ? MAX_RUNS : opt->runs;
	long hot_iters = opt->quick ? 2000000 : 20000000;
	long batch_rounds = opt->quick ? 1000 : 10000;
	long pc_items = opt->quick ? 500000 : 5000000;
	size_t size = opt->size;
	FILE *out = opt->out;

	/* Warm every path once. */
	for (int k = 0; k < NC; k++) {
		c[k]->setup(size);
		c[k]->hot_pair(size, 1000);
		c[k]->batch(size, 1000, 2);
		c[k]->teardown();
	}
	for (int r = 0; r < runs; r++) {
		for (int k = 0; k < NC; k++) {
			c[k]->setup(size);
			t[W_HOT][k][r] = c[k]->hot_pair(size, hot_iters);
			t[W_BATCH][k][r] = c[k]->batch(size, 1000, batch_rounds);
			t[W_PRODCONS][k][r] = c[k]->producer_consumer(size, pc_items);
			c[k]->teardown();
		}
	}

	fprintf(out, "\n## uslab first benchmark: %zu-byte objects, %d runs per cell, median [min-max] ns per object\n\n",
		size, runs);
	fprintf(out, "| workload | kmem_cache | kmalloc | glibc malloc | kmem_cache speed-up | kmalloc speed-up |\n");
	fprintf(out, "|---|---|---|---|---|---|\n");
	for (int w = 0; w < NR_WORKLOADS; w++) {
		double ratio[2][MAX_RUNS];

		/* Ratios per run (contestants of a run ran side by side), then
		 * their median: drift of the machine between runs cancels. */
		for (int k = 0; k < 2; k++) {
			for (int r = 0; r < runs; r++)
				ratio[k][r] = t[w][2][r] / t[w][k][r];
			qsort(ratio[k], (size_t)runs, sizeof(double), cmp_double);
		}
		fprintf(out, "| %s ", workload_names[w]);
		for (int k = 0; k < NC; k++) {
			qsort(t[w][k], (size_t)runs, sizeof(double), cmp_double);
			fprintf(out, "| %.1f [%.1f-%.1f] ", t[w][k][runs / 2], t[w][k][0], t[w][k][runs - 1]);
		}
		fprintf(out, "| %.2fx | %.2fx |\n", ratio[0][runs / 2], ratio[1][runs / 2]);
	}

	/* Memory: a million live objects, resident bytes over the ideal. */
	{
		long objects = 1000000, ideal = (long)size * objects, kb, gb;

		contestant_kmem_cache.setup(size);
		kb = contestant_kmem_cache.rss_live(size, objects);
		contestant_kmem_cache.teardown();
		gb = contestant_glibc.rss_live(size, objects);
		fprintf(out, "\n| memory | kmem_cache | glibc malloc |\n|---|---|---|\n");
		fprintf(out, "| RSS of %ld live %zu-byte objects (ideal %.1f MB) | %.1f MB (%.3fx ideal) | %.1f MB (%.3fx ideal) |\n",
			objects, size, ideal / 1e6, kb / 1e6, (double)kb / (double)ideal, gb / 1e6,
			(double)gb / (double)ideal);
	}
	fprintf(out, "\nspeed-up = glibc malloc time / uslab time in the same run, median over the runs"
		" (above 1: uslab is faster); cpu mode: %s\n", uslab_cpu_mode());
	if (!opt->quick)
		bench_hardening(opt);
	return 0;
}
