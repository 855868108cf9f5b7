/*
 * personalities.c - slub against unified, the comparison the unified
 * allocator's seed makes, on the same object caches in one process:
 *
 *   hot pair           alloc+free of one object, again and again
 *   batch 1000         alloc 1000, then free them
 *   producer->consumer one thread allocates, another frees
 *   cache-cold free    objects evicted from the CPU caches, then freed
 *   hackbench-like     groups of sender and receiver threads; each message
 *                      is a header object and a payload buffer, allocated
 *                      by the sender and freed by the receiver
 *
 * Runs interleave the two personalities; each cell is the median of the
 * runs, the ratio the median of per-run ratios (slub time / unified time:
 * above 1, unified is faster).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uslab.h>

#include "bench_util.h"
#include "workloads.h"

static double hot_pair(struct kmem_cache *s, long iters)
{
	double t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		void *p = kmem_cache_alloc(s, GFP_KERNEL);

		barrier_ptr(p);
		kmem_cache_free(s, p);
	}
	return (now_ns() - t0) / (double)iters;
}

static double batch(struct kmem_cache *s, long rounds)
{
	void *v[1000];
	double t0 = now_ns();

	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < 1000; i++) {
			v[i] = kmem_cache_alloc(s, GFP_KERNEL);
			barrier_ptr(v[i]);
		}
		for (int i = 0; i < 1000; i++)
			kmem_cache_free(s, v[i]);
	}
	return (now_ns() - t0) / (double)(rounds * 1000);
}

/* ------------------------------------------------ producer -> consumer */

#define RING 1024
struct ring {
	_Atomic long head __attribute__((aligned(64)));
	_Atomic long tail __attribute__((aligned(64)));
	void *slot[RING];
	long items;
	struct kmem_cache *s;
};

static void *consumer(void *arg)
{
	struct ring *r = arg;

	for (long done = 0; done < r->items;) {
		long h = atomic_load_explicit(&r->head, memory_order_relaxed);
		long t = atomic_load_explicit(&r->tail, memory_order_acquire);

		if (h == t) {
			sched_yield();
			continue;
		}
		for (; h < t; h++, done++)
			kmem_cache_free(r->s, r->slot[h % RING]);
		atomic_store_explicit(&r->head, h, memory_order_release);
	}
	return NULL;
}

static double producer_consumer(struct kmem_cache *s, long items)
{
	static struct ring r;
	pthread_t th;
	double t0;

	atomic_store(&r.head, 0);
	atomic_store(&r.tail, 0);
	r.items = items;
	r.s = s;
	t0 = now_ns();
	pthread_create(&th, NULL, consumer, &r);
	for (long i = 0; i < items; i++) {
		void *p = kmem_cache_alloc(s, GFP_KERNEL);

		*(volatile char *)p = 1;
		while (i - atomic_load_explicit(&r.head, memory_order_acquire) >= RING)
			sched_yield();
		r.slot[i % RING] = p;
		atomic_store_explicit(&r.tail, i + 1, memory_order_release);
	}
	pthread_join(th, NULL);
	return (now_ns() - t0) / (double)items;
}

/* ----------------------------------------------------- cache-cold free */

static char *evict_buffer;
#define EVICT_BYTES (64UL << 20)

/* Objects written, then pushed out of every CPU cache by touching a
 * buffer larger than the last-level cache; only the frees are timed. */
static double cold_free(struct kmem_cache *s, long n)
{
	void **v = malloc(sizeof(void *) * (size_t)n);
	double t0, t;

	for (long i = 0; i < n; i++) {
		v[i] = kmem_cache_alloc(s, GFP_KERNEL);
		memset(v[i], 1, 256);
	}
	/* Shuffled: frees hit objects in no cache-friendly order. */
	for (long i = n - 1; i > 0; i--) {
		long j = random() % (i + 1);
		void *x = v[i];

		v[i] = v[j];
		v[j] = x;
	}
	for (size_t i = 0; i < EVICT_BYTES; i += 64)
		evict_buffer[i]++;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		kmem_cache_free(s, v[i]);
	t = (now_ns() - t0) / (double)n;
	free(v);
	return t;
}

/* ------------------------------------------------------ hackbench-like */

struct message {
	long seq;
	int sender;
	char *payload;
};

struct hb_group {
	int pipes[16][2];          /* one per receiver */
	int senders, receivers;
	long loops;
	struct kmem_cache *hdr, *buf;
};

struct hb_thread {
	struct hb_group *g;
	int id;
};

static void *hb_sender(void *arg)
{
	struct hb_thread *t = arg;
	struct hb_group *g = t->g;

	for (long l = 0; l < g->loops; l++)
		for (int r = 0; r < g->receivers; r++) {
			struct message *m = kmem_cache_alloc(g->hdr, GFP_KERNEL);

			m->seq = l;
			m->sender = t->id;
			m->payload = kmem_cache_alloc(g->buf, GFP_KERNEL);
			memset(m->payload, (int)l, 100);
			if (write(g->pipes[r][1], &m, sizeof(m)) != sizeof(m))
				abort();
		}
	return NULL;
}

static void *hb_receiver(void *arg)
{
	struct hb_thread *t = arg;
	struct hb_group *g = t->g;
	long want = g->loops * g->senders;

	for (long got = 0; got < want;) {
		struct message *m[64];
		ssize_t n = read(g->pipes[t->id][0], m, sizeof(m));

		if (n <= 0)
			abort();
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(m[0]); i++) {
			kmem_cache_free(g->buf, m[i]->payload);
			kmem_cache_free(g->hdr, m[i]);
			got++;
		}
	}
	return NULL;
}

/* Seconds, as hackbench reports. */
static double hackbench(struct kmem_cache *hdr, struct kmem_cache *buf, int groups, int fds,
			long loops)
{
	struct hb_group g[8];
	struct hb_thread th[8][32];
	pthread_t tid[8][32];
	double t0 = now_ns();

	for (int i = 0; i < groups; i++) {
		g[i] = (struct hb_group){ .senders = fds, .receivers = fds, .loops = loops,
					  .hdr = hdr, .buf = buf };
		for (int r = 0; r < fds; r++)
			if (pipe(g[i].pipes[r]))
				abort();
		for (int k = 0; k < 2 * fds; k++) {
			th[i][k] = (struct hb_thread){ &g[i], k < fds ? k : k - fds };
			pthread_create(&tid[i][k], NULL, k < fds ? hb_receiver : hb_sender, &th[i][k]);
		}
	}
	for (int i = 0; i < groups; i++)
		for (int k = 0; k < 2 * fds; k++)
			pthread_join(tid[i][k], NULL);
	for (int i = 0; i < groups; i++)
		for (int r = 0; r < fds; r++) {
			close(g[i].pipes[r][0]);
			close(g[i].pipes[r][1]);
		}
	return (now_ns() - t0) / 1e9;
}

/* --------------------------------------------------------------- table */

enum { P_HOT, P_BATCH, P_PC, P_COLD, P_HACK, NR_P };
static const char *const p_names[NR_P] = {
	"hot pair (ns)", "batch 1000 alloc, 1000 free (ns)", "producer -> consumer (ns)",
	"cache-cold free (ns)", "hackbench-like, 2 groups x 5+5 threads (s)",
};

void bench_personalities(const struct bench_options *opt)
{
	enum { MAX_RUNS = 15 };
	double t[NR_P][2][MAX_RUNS];
	int runs = opt->runs > MAX_RUNS ? MAX_RUNS : opt->runs;
	long scale = opt->quick ? 1 : 4;
	const slab_flags_t kind[2] = { SLAB_SLUB, SLAB_UNIFIED };
	FILE *out = opt->out;

	evict_buffer = malloc(EVICT_BYTES);
	memset(evict_buffer, 0, EVICT_BYTES);
	for (int r = 0; r < runs; r++) {
		for (int k = 0; k < 2; k++) {
			struct kmem_cache *s = kmem_cache_create("bench-obj", 64, 0,
								 kind[k] | SLAB_NO_MERGE, NULL);
			struct kmem_cache *c = kmem_cache_create("bench-cold", 256, 0,
								 kind[k] | SLAB_NO_MERGE, NULL);
			struct kmem_cache *hdr = kmem_cache_create("bench-hdr", sizeof(struct message), 0,
								   kind[k] | SLAB_NO_MERGE, NULL);
			struct kmem_cache *buf = kmem_cache_create("bench-buf", 128, 0,
								   kind[k] | SLAB_NO_MERGE, NULL);

			hot_pair(s, 10000);
			t[P_HOT][k][r] = hot_pair(s, 2500000 * scale);
			t[P_BATCH][k][r] = batch(s, 500 * scale);
			t[P_PC][k][r] = producer_consumer(s, 500000 * scale);
			t[P_COLD][k][r] = cold_free(c, 100000 * scale);
			t[P_HACK][k][r] = hackbench(hdr, buf, 2, 5, 2000 * scale);
			kmem_cache_destroy(s);
			kmem_cache_destroy(c);
			kmem_cache_destroy(hdr);
			kmem_cache_destroy(buf);
		}
	}
	free(evict_buffer);

	fprintf(out, "\n## slub against unified: kmem_cache objects, %d runs, median [min-max]\n\n",
		runs);
	fprintf(out, "| workload | slub | unified | unified speed-up |\n|---|---|---|---|\n");
	for (int w = 0; w < NR_P; w++) {
		double ratio[MAX_RUNS];

		for (int r = 0; r < runs; r++)
			ratio[r] = t[w][0][r] / t[w][1][r];
		qsort(ratio, (size_t)runs, sizeof(double), cmp_double);
		fprintf(out, "| %s ", p_names[w]);
		for (int k = 0; k < 2; k++) {
			qsort(t[w][k], (size_t)runs, sizeof(double), cmp_double);
			fprintf(out, w == P_HACK ? "| %.3f [%.3f-%.3f] " : "| %.1f [%.1f-%.1f] ",
				t[w][k][runs / 2], t[w][k][0], t[w][k][runs - 1]);
		}
		fprintf(out, "| %.2fx |\n", ratio[runs / 2]);
	}
	fprintf(out, "\nunified speed-up = slub time / unified time in the same run, median over the runs\n");
}
