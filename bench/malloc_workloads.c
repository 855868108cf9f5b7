/*
 * malloc_workloads.c - uslab-malloc-workload: one malloc workload per run,
 * through the plain malloc/free of whatever allocator the process has
 * (glibc, or one preloaded: jemalloc, mimalloc, tcmalloc, uslab).  It
 * links nothing of uslab: the driver (malloc_driver.c) runs this same
 * binary under each allocator.
 *
 *   uslab-malloc-workload hot SIZE | batch K | prodcons | larson  [--quick]
 *
 * Prints one line: "ns_per_op=<x> peak_rss_kb=<y>" (an op is one malloc
 * and its free; peak resident memory from VmHWM).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

static int quick;

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static long peak_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

/* ------------------------------------------------------------ hot pair */

static double hot_pair(size_t size)
{
	long n = quick ? 2000000 : 10000000;
	double t0;

	for (int i = 0; i < 1000; i++)
		free(malloc(size));
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);

		barrier_ptr(p);
		free(p);
	}
	return (now_ns() - t0) / (double)n;
}

/* --------------------------------------------------------------- batch */

static double batch(long k)
{
	long total = quick ? 2000000 : 10000000, rounds = total / k;
	void **objs = malloc(sizeof(void *) * (size_t)k);
	double t0;

	if (rounds < 3)
		rounds = 3;
	t0 = now_ns();
	for (long r = 0; r < rounds; r++) {
		for (long i = 0; i < k; i++) {
			objs[i] = malloc(64);
			barrier_ptr(objs[i]);
		}
		for (long i = 0; i < k; i++)
			free(objs[i]);
	}
	free(objs);
	return (now_ns() - t0) / (double)(rounds * k);
}

/* ----------------------------------------------- producer -> consumer */

#define RING 4096

struct ring {
	_Alignas(64) unsigned long head;
	_Alignas(64) unsigned long tail;
	_Alignas(64) void *slot[RING];
};

static struct ring ring;
static long prodcons_n;

static void *consumer(void *arg)
{
	(void)arg;
	for (long i = 0; i < prodcons_n; i++) {
		unsigned long t = ring.tail;
		void *p;

		while (__atomic_load_n(&ring.head, __ATOMIC_ACQUIRE) == t)
			cpu_pause();
		p = ring.slot[t % RING];
		__atomic_store_n(&ring.tail, t + 1, __ATOMIC_RELEASE);
		free(p);
	}
	return NULL;
}

static double prodcons(void)
{
	pthread_t c;
	double t0;

	prodcons_n = quick ? 500000 : 2000000;
	t0 = now_ns();
	pthread_create(&c, NULL, consumer, NULL);
	for (long i = 0; i < prodcons_n; i++) {
		unsigned long h = ring.head;
		void *p = malloc(64);

		barrier_ptr(p);
		while (h - __atomic_load_n(&ring.tail, __ATOMIC_ACQUIRE) >= RING)
			cpu_pause();
		ring.slot[h % RING] = p;
		__atomic_store_n(&ring.head, h + 1, __ATOMIC_RELEASE);
	}
	pthread_join(c, NULL);
	return (now_ns() - t0) / (double)prodcons_n;
}

/* ------------------------------------------------------------- larson */

/*
 * After larson (Larson & Krishnan): each thread owns a set of slots and
 * replaces a random one with a new object of random size (8..1024) again
 * and again; after each round every thread hands its set to the next
 * thread, so most objects are freed by a thread that did not allocate
 * them.
 */
#define LARSON_THREADS 8
#define LARSON_SLOTS 2000

static void *larson_sets[LARSON_THREADS][LARSON_SLOTS];
static pthread_barrier_t larson_barrier;
static long larson_ops;
static int larson_rounds;

static void *larson_thread(void *arg)
{
	int id = (int)(uintptr_t)arg;
	unsigned int seed = (unsigned int)id * 7919 + 1;

	for (int r = 0; r < larson_rounds; r++) {
		void **set = larson_sets[(id + r) % LARSON_THREADS];

		for (long i = 0; i < larson_ops; i++) {
			unsigned int k = (unsigned int)rand_r(&seed) % LARSON_SLOTS;
			size_t size = 8 + (size_t)rand_r(&seed) % 1017;

			free(set[k]);
			set[k] = malloc(size);
			barrier_ptr(set[k]);
			((char *)set[k])[0] = (char)k;
		}
		pthread_barrier_wait(&larson_barrier);
	}
	return NULL;
}

static double larson(void)
{
	pthread_t t[LARSON_THREADS];
	double t0;

	larson_rounds = quick ? 10 : 30;
	larson_ops = 20000;
	for (int i = 0; i < LARSON_THREADS; i++)
		for (int k = 0; k < LARSON_SLOTS; k++)
			larson_sets[i][k] = malloc(8 + (size_t)(k * 37) % 1017);
	pthread_barrier_init(&larson_barrier, NULL, LARSON_THREADS);
	t0 = now_ns();
	for (int i = 0; i < LARSON_THREADS; i++)
		pthread_create(&t[i], NULL, larson_thread, (void *)(uintptr_t)i);
	for (int i = 0; i < LARSON_THREADS; i++)
		pthread_join(t[i], NULL);
	t0 = now_ns() - t0;
	for (int i = 0; i < LARSON_THREADS; i++)
		for (int k = 0; k < LARSON_SLOTS; k++)
			free(larson_sets[i][k]);
	return t0 / ((double)LARSON_THREADS * larson_rounds * larson_ops);
}

int main(int argc, char **argv)
{
	double ns;

	if (argc > 2 && !strcmp(argv[argc - 1], "--quick")) {
		quick = 1;
		argc--;
	}
	if (argc == 3 && !strcmp(argv[1], "hot"))
		ns = hot_pair((size_t)atol(argv[2]));
	else if (argc == 3 && !strcmp(argv[1], "batch"))
		ns = batch(atol(argv[2]));
	else if (argc == 2 && !strcmp(argv[1], "prodcons"))
		ns = prodcons();
	else if (argc == 2 && !strcmp(argv[1], "larson"))
		ns = larson();
	else {
		fprintf(stderr, "usage: %s hot SIZE | batch K | prodcons | larson [--quick]\n", argv[0]);
		return 2;
	}
	printf("ns_per_op=%.3f peak_rss_kb=%ld\n", ns, peak_rss_kb());
	return 0;
}
