/*
 * suite_workloads.c - the workloads of the benchmark suite, one per run.
 * Built twice from this file:
 *
 *   uslab-suite-malloc  malloc/free of whatever allocator the process has
 *                       (glibc, or one preloaded: jemalloc, mimalloc,
 *                       tcmalloc, libuslab-malloc); links nothing of uslab
 *   uslab-suite-kmem    the kernel API: a kmem_cache for fixed-size
 *                       objects, kmalloc for variable sizes (SUITE_KMEM)
 *
 *   uslab-suite-<api> WORKLOAD [PARAM] [--quick]
 *
 * Prints one line: "value=<x> unit=<ns|s|tps|MB|x> peak_rss_kb=<VmHWM>".
 * The driver (suite_driver.c) runs these under every contestant.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

#ifdef SUITE_KMEM
#include <uslab.h>
#endif

static int quick;

/* ------------------------------------------------ the two APIs, one face */

/* Objects of one size: a kmem_cache of that size, or malloc. */
struct pool {
	size_t size;
#ifdef SUITE_KMEM
	struct kmem_cache *cache;
#endif
};

static void pool_init(struct pool *p, const char *name, size_t size)
{
	p->size = size;
#ifdef SUITE_KMEM
	p->cache = kmem_cache_create(name, (unsigned int)size, 0, SLAB_NO_MERGE, NULL);
	if (!p->cache) {
		fprintf(stderr, "kmem_cache_create(%s) failed\n", name);
		exit(1);
	}
#else
	(void)name;
#endif
}

static inline void *pool_alloc(struct pool *p)
{
#ifdef SUITE_KMEM
	return kmem_cache_alloc(p->cache, GFP_KERNEL);
#else
	return malloc(p->size);
#endif
}

static inline void pool_free(struct pool *p, void *obj)
{
#ifdef SUITE_KMEM
	kmem_cache_free(p->cache, obj);
#else
	(void)p;
	free(obj);
#endif
}

/* Any size: kmalloc, or malloc. */
static inline void *var_alloc(size_t size)
{
#ifdef SUITE_KMEM
	return kmalloc(size, GFP_KERNEL);
#else
	return malloc(size);
#endif
}

static inline void var_free(void *p)
{
#ifdef SUITE_KMEM
	kfree(p);
#else
	free(p);
#endif
}

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static long status_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len))
			kb = atol(line + len);
	fclose(f);
	return kb;
}

/* Pointer arrays of the memory workloads: mapped directly and touched
 * before the baseline, so they count for no contestant. */
static void **pointer_array(size_t n)
{
	void **a = mmap(NULL, n * sizeof(void *), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(a, 0, n * sizeof(void *));
	return a;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ------------------------------------------------------------ hot pair */

static double hot_pair(size_t size)
{
	long n = quick ? 2000000 : 10000000;
	struct pool p;
	double t0;

	pool_init(&p, "hot", size);
	for (int i = 0; i < 1000; i++)
		pool_free(&p, pool_alloc(&p));
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		void *o = pool_alloc(&p);

		barrier_ptr(o);
		pool_free(&p, o);
	}
	return (now_ns() - t0) / (double)n;
}

/* --------------------------------------------------------------- batch */

static double batch(long k)
{
	long total = quick ? 2000000 : 10000000, rounds = total / k;
	void **objs = pointer_array((size_t)k);
	struct pool p;
	double t0;

	pool_init(&p, "batch", 64);
	if (rounds < 3)
		rounds = 3;
	t0 = now_ns();
	for (long r = 0; r < rounds; r++) {
		for (long i = 0; i < k; i++) {
			objs[i] = pool_alloc(&p);
			barrier_ptr(objs[i]);
		}
		for (long i = 0; i < k; i++)
			pool_free(&p, objs[i]);
	}
	return (now_ns() - t0) / (double)(rounds * k);
}

/* ----------------------------------------------- producer -> consumer */

#define RING 4096

static struct {
	_Alignas(64) unsigned long head;
	_Alignas(64) unsigned long tail;
	_Alignas(64) void *slot[RING];
} ring;
static long prodcons_n;
static struct pool prodcons_pool;

static void *consumer(void *arg)
{
	(void)arg;
	for (long i = 0; i < prodcons_n; i++) {
		unsigned long t = ring.tail;
		void *o;

		while (__atomic_load_n(&ring.head, __ATOMIC_ACQUIRE) == t)
			cpu_pause();
		o = ring.slot[t % RING];
		__atomic_store_n(&ring.tail, t + 1, __ATOMIC_RELEASE);
		pool_free(&prodcons_pool, o);
	}
	return NULL;
}

static double prodcons(void)
{
	pthread_t c;
	double t0;

	pool_init(&prodcons_pool, "prodcons", 64);
	prodcons_n = quick ? 500000 : 2000000;
	t0 = now_ns();
	pthread_create(&c, NULL, consumer, NULL);
	for (long i = 0; i < prodcons_n; i++) {
		unsigned long h = ring.head;
		void *o = pool_alloc(&prodcons_pool);

		barrier_ptr(o);
		while (h - __atomic_load_n(&ring.tail, __ATOMIC_ACQUIRE) >= RING)
			cpu_pause();
		ring.slot[h % RING] = o;
		__atomic_store_n(&ring.head, h + 1, __ATOMIC_RELEASE);
	}
	pthread_join(c, NULL);
	return (now_ns() - t0) / (double)prodcons_n;
}

/* ------------------------------------------ a crowd: 64 threads, 2 CPUs */

/*
 * Many more threads than CPUs: 64 threads, each doing the hot pair
 * (64 B), or 32 producer -> consumer pairs, each pair with a ring of its
 * own.  A waiting thread yields (its partner may not be running).  Per-
 * thread caches multiply by 64 here; per-CPU ones do not.
 */
#define CROWD_THREADS 64
#define CROWD_RING 256

static struct pool crowd_pool;
static long crowd_n;
static pthread_barrier_t crowd_start;

struct crowd_ring {
	_Alignas(64) unsigned long head;
	_Alignas(64) unsigned long tail;
	void *slot[CROWD_RING];
};
static struct crowd_ring crowd_rings[CROWD_THREADS / 2];

static void *crowd_hot_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&crowd_start);
	for (long i = 0; i < crowd_n; i++) {
		void *o = pool_alloc(&crowd_pool);

		barrier_ptr(o);
		pool_free(&crowd_pool, o);
	}
	return NULL;
}

static void *crowd_producer(void *arg)
{
	struct crowd_ring *r = arg;

	pthread_barrier_wait(&crowd_start);
	for (long i = 0; i < crowd_n; i++) {
		unsigned long h = r->head;
		void *o = pool_alloc(&crowd_pool);

		barrier_ptr(o);
		while (h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= CROWD_RING)
			sched_yield();
		r->slot[h % CROWD_RING] = o;
		__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *crowd_consumer(void *arg)
{
	struct crowd_ring *r = arg;

	pthread_barrier_wait(&crowd_start);
	for (long i = 0; i < crowd_n; i++) {
		unsigned long t = r->tail;
		void *o;

		while (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == t)
			sched_yield();
		o = r->slot[t % CROWD_RING];
		__atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
		pool_free(&crowd_pool, o);
	}
	return NULL;
}

/* ns per object over all threads (wall time / objects). */
static double crowd(int pairs)
{
	pthread_t t[CROWD_THREADS];
	double t0;

	pool_init(&crowd_pool, "crowd", 64);
	crowd_n = pairs ? (quick ? 20000 : 60000) : (quick ? 50000 : 200000);
	pthread_barrier_init(&crowd_start, NULL, CROWD_THREADS + 1);
	for (int i = 0; i < CROWD_THREADS; i++) {
		struct crowd_ring *r = &crowd_rings[i / 2];

		if (!pairs)
			pthread_create(&t[i], NULL, crowd_hot_thread, NULL);
		else
			pthread_create(&t[i], NULL, i % 2 ? crowd_consumer : crowd_producer, r);
	}
	pthread_barrier_wait(&crowd_start);
	t0 = now_ns();
	for (int i = 0; i < CROWD_THREADS; i++)
		pthread_join(t[i], NULL);
	return (now_ns() - t0) / ((double)crowd_n * (pairs ? CROWD_THREADS / 2 : CROWD_THREADS));
}

/* ------------------------------------------------------------- larson */

/*
 * After Larson and Krishnan: each thread replaces a random one of its
 * slots with an object of random size (8..1024) again and again; after
 * each round the sets move on to the next thread, so most objects are
 * freed by a thread that did not allocate them.
 */
#define LARSON_MAX_THREADS 32
#define LARSON_SLOTS 2000

static void *larson_sets[LARSON_MAX_THREADS][LARSON_SLOTS];
static pthread_barrier_t larson_barrier;
static int larson_threads;
static long larson_ops;
static int larson_rounds;

static void *larson_thread(void *arg)
{
	int id = (int)(uintptr_t)arg;
	uint64_t seed = (uint64_t)id * 7919 + 1;

	for (int r = 0; r < larson_rounds; r++) {
		void **set = larson_sets[(id + r) % larson_threads];

		for (long i = 0; i < larson_ops; i++) {
			uint64_t x = rng_next(&seed);
			unsigned int k = (unsigned int)(x % LARSON_SLOTS);
			size_t size = 8 + (size_t)((x >> 32) % 1017);

			var_free(set[k]);
			set[k] = var_alloc(size);
			((char *)set[k])[0] = (char)k;
		}
		pthread_barrier_wait(&larson_barrier);
	}
	return NULL;
}

/* threads: 8 (the classic), or up to 32: many more threads than CPUs,
 * the same work in all. */
static double larson(int threads)
{
	pthread_t t[LARSON_MAX_THREADS];
	double elapsed;

	larson_threads = threads;
	larson_rounds = quick ? 10 : 30;
	larson_ops = 20000 * 8 / threads;
	for (int i = 0; i < threads; i++)
		for (int k = 0; k < LARSON_SLOTS; k++)
			larson_sets[i][k] = var_alloc(8 + (size_t)(k * 37) % 1017);
	pthread_barrier_init(&larson_barrier, NULL, (unsigned int)threads);
	elapsed = now_ns();
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, larson_thread, (void *)(uintptr_t)i);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	elapsed = now_ns() - elapsed;
	for (int i = 0; i < threads; i++)
		for (int k = 0; k < LARSON_SLOTS; k++)
			var_free(larson_sets[i][k]);
	return elapsed / ((double)threads * larson_rounds * larson_ops);
}

/* ------------------------------------------------ medium sizes, 2 threads */

/*
 * Each thread replaces random slots of its own 1,024-slot working set
 * with blocks of 4 B - 32 KiB, sizes drawn from an inverse-square
 * distribution (mostly small, a long tail of medium blocks), every byte
 * of each block written: what a program's per-thread buffers look like.
 */
#define MEDIUM_SLOTS 1024
#define MEDIUM_MIN 4.0
#define MEDIUM_MAX 32768.0

static long medium_ops;

static size_t inverse_square_size(uint64_t x)
{
	double u = (double)(x >> 11) / (double)(1ULL << 53);

	return (size_t)(1.0 / (1.0 / MEDIUM_MIN - u * (1.0 / MEDIUM_MIN - 1.0 / MEDIUM_MAX)));
}

static void *medium_thread(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 104729 + 3;
	void **set = calloc(MEDIUM_SLOTS, sizeof(void *));

	for (long i = 0; i < medium_ops; i++) {
		uint64_t x = rng_next(&seed);
		unsigned int k = (unsigned int)(x % MEDIUM_SLOTS);
		size_t size = inverse_square_size(rng_next(&seed));

		var_free(set[k]);
		set[k] = var_alloc(size);
		memset(set[k], (int)k, size);
	}
	for (int k = 0; k < MEDIUM_SLOTS; k++)
		var_free(set[k]);
	free(set);
	return NULL;
}

static double medium(void)
{
	pthread_t t[2];
	double elapsed;

	medium_ops = quick ? 1000000 : 4000000;
	elapsed = now_ns();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, medium_thread, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return (now_ns() - elapsed) / (2.0 * medium_ops);
}

/* ------------------------------------------- mixed sizes, one thread */

/*
 * One thread, a working set of 4,096 slots replaced at random with sizes
 * 16 B - 4 KiB (three in four below 256 B), the first and last bytes
 * written: many short-lived allocations of varying size, as in a bignum
 * or a compiler's work.
 */
static double mixed(void)
{
	enum { SLOTS = 4096 };
	long n = quick ? 3000000 : 12000000;
	void **set = calloc(SLOTS, sizeof(void *));
	uint64_t seed = 12345;
	double t0;

	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		uint64_t x = rng_next(&seed);
		unsigned int k = (unsigned int)(x % SLOTS);
		size_t size = (x >> 40) % 4 ? 16 + (x >> 20) % 241 : 16 + (x >> 20) % 4081;
		char *p;

		var_free(set[k]);
		p = set[k] = var_alloc(size);
		p[0] = (char)i;
		p[size - 1] = (char)i;
	}
	t0 = now_ns() - t0;
	for (int k = 0; k < SLOTS; k++)
		var_free(set[k]);
	free(set);
	return t0 / (double)n;
}

/* ------------------------------------ large blocks replaced in a loop */

/*
 * 20 live buffers of 5 - 25 MiB; again and again one of them, at random,
 * is replaced by a new buffer of a random size that the program zero-
 * fills (C++'s make_unique<char[]>: the new one exists before the old
 * is freed).  Seconds for the whole loop; *faults: the minor page faults
 * it took.
 */
static double big_loop(double *faults)
{
	enum { LIVE = 20 };
	size_t min = 5u << 20, span = 20u << 20;
	int iterations = quick ? 150 : 600;
	void *buf[LIVE] = { 0 };
	uint64_t seed = 42;
	struct rusage r0, r1;
	double t0;

	getrusage(RUSAGE_SELF, &r0);
	t0 = now_ns();
	for (int i = 0; i < iterations; i++) {
		uint64_t x = rng_next(&seed);
		unsigned int k = (unsigned int)(x % LIVE);
		size_t size = min + (size_t)((x >> 20) % span);
		void *p = var_alloc(size);

		if (!p) {
			perror("big_loop");
			exit(1);
		}
		memset(p, 0, size);
		var_free(buf[k]);
		buf[k] = p;
	}
	t0 = now_ns() - t0;
	getrusage(RUSAGE_SELF, &r1);
	*faults = (double)(r1.ru_minflt - r0.ru_minflt);
	for (int k = 0; k < LIVE; k++)
		var_free(buf[k]);
	return t0 / 1e9;
}

/* ---------------------------------------------------- cache-cold free */

/* Objects allocated and written, the CPU caches flushed by walking a
 * buffer larger than the last-level cache, then only the frees timed. */
static double cold_free(void)
{
	size_t n = quick ? 100000 : 300000, flush_bytes = 64u << 20;
	void **objs = pointer_array(n);
	char *flush = malloc(flush_bytes);
	double total = 0;
	struct pool p;
	int rounds = quick ? 2 : 4;

	pool_init(&p, "cold", 256);
	for (int r = 0; r < rounds; r++) {
		double t0;

		for (size_t i = 0; i < n; i++) {
			objs[i] = pool_alloc(&p);
			memset(objs[i], (int)i, 256);
		}
		for (size_t i = 0; i < flush_bytes; i += 64)
			flush[i]++;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			pool_free(&p, objs[i]);
		total += now_ns() - t0;
	}
	free(flush);
	return total / ((double)n * rounds);
}

/* --------------------------------------------------------- hackbench */

/*
 * hackbench's shape with threads: G groups of S senders and S receivers;
 * every sender sends L messages to every receiver of its group through
 * that receiver's socketpair.  A message is a header object (fixed size,
 * from a cache) pointing at a 100-byte kmalloc'd buffer; the sender
 * allocates both, the receiver checks and frees both.  Result: seconds.
 */
#define HB_MSG 100

struct hb_header {
	uint64_t seq;
	char *buf;
	size_t len;
	uint64_t pad[5];
};

struct hb_group {
	int fds[32][2];    /* per receiver: [0] read, [1] write */
	int senders;
	long loops;
};

static struct pool hb_pool;
static long hb_bad;

struct hb_arg {
	struct hb_group *g;
	int id;
};

static void *hb_sender(void *arg)
{
	struct hb_arg *a = arg;
	struct hb_group *g = a->g;

	for (long l = 0; l < g->loops; l++)
		for (int r = 0; r < g->senders; r++) {
			struct hb_header *h = pool_alloc(&hb_pool);

			h->seq = (uint64_t)l;
			h->len = HB_MSG;
			h->buf = var_alloc(HB_MSG);
			memset(h->buf, (int)(l & 0x7f), HB_MSG);
			if (write(g->fds[r][1], &h, sizeof(h)) != sizeof(h))
				abort();
		}
	return NULL;
}

static void *hb_receiver(void *arg)
{
	struct hb_arg *a = arg;
	struct hb_group *g = a->g;
	long expect = g->loops * g->senders;

	for (long i = 0; i < expect; i++) {
		struct hb_header *h;
		size_t got = 0;

		while (got < sizeof(h)) {
			ssize_t n = read(g->fds[a->id][0], (char *)&h + got, sizeof(h) - got);

			if (n <= 0)
				abort();
			got += (size_t)n;
		}
		if (h->buf[0] != (char)(h->seq & 0x7f) || h->buf[HB_MSG - 1] != h->buf[0])
			__atomic_add_fetch(&hb_bad, 1, __ATOMIC_RELAXED);
		var_free(h->buf);
		pool_free(&hb_pool, h);
	}
	return NULL;
}

static double hackbench(int groups)
{
	int senders = 5;
	long loops = quick ? 200 : 1000;
	struct hb_group *g = calloc((size_t)groups, sizeof(*g));
	struct hb_arg *args = calloc((size_t)groups * 2 * senders, sizeof(*args));
	pthread_t *t = calloc((size_t)groups * 2 * senders, sizeof(*t));
	int nt = 0;
	double t0;

	pool_init(&hb_pool, "hb_header", sizeof(struct hb_header));
	for (int i = 0; i < groups; i++) {
		g[i].senders = senders;
		g[i].loops = loops;
		for (int r = 0; r < senders; r++)
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, g[i].fds[r])) {
				perror("socketpair");
				exit(1);
			}
	}
	t0 = now_ns();
	for (int i = 0; i < groups; i++)
		for (int k = 0; k < senders; k++) {
			args[nt] = (struct hb_arg){ &g[i], k };
			pthread_create(&t[nt], NULL, hb_receiver, &args[nt]);
			nt++;
			args[nt] = (struct hb_arg){ &g[i], k };
			pthread_create(&t[nt], NULL, hb_sender, &args[nt]);
			nt++;
		}
	for (int i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	t0 = (now_ns() - t0) / 1e9;
	if (hb_bad) {
		fprintf(stderr, "hackbench: %ld corrupted messages\n", hb_bad);
		exit(1);
	}
	return t0;
}

/* ------------------------------------------------------------ tcp_rr */

/*
 * netperf's TCP_RR on loopback: N client threads, each with its own
 * connection, send a 64-byte request and wait for the 128-byte answer;
 * the server (a thread per connection) builds each answer from
 * per-request state: a request object (cache) and a kmalloc'd buffer
 * whose size follows the request.  Result: transactions per second.
 */
#define RR_REQ 64
#define RR_RESP 128

struct rr_state {
	uint64_t id;
	uint32_t len;
	char *scratch;
	char resp[RR_RESP];
};

static struct pool rr_pool;
static volatile int rr_stop;
static int rr_listen;

static int full_io(int fd, void *buf, size_t len, int writing)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = writing ? write(fd, (char *)buf + done, len - done) :
				      read(fd, (char *)buf + done, len - done);

		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static void *rr_server(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[RR_REQ];

	while (!full_io(fd, req, RR_REQ, 0)) {
		struct rr_state *st = pool_alloc(&rr_pool);

		st->id = *(uint64_t *)req;
		st->len = 64 + (uint32_t)(st->id % 8) * 128;
		st->scratch = var_alloc(st->len);
		memset(st->scratch, (int)(st->id & 0xff), st->len);
		memcpy(st->resp, req, RR_REQ);
		memcpy(st->resp + RR_REQ, st->scratch, RR_RESP - RR_REQ);
		if (full_io(fd, st->resp, RR_RESP, 1))
			break;
		var_free(st->scratch);
		pool_free(&rr_pool, st);
	}
	close(fd);
	return NULL;
}

static void *rr_client(void *arg)
{
	long *count = arg;
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	char req[RR_REQ] = { 0 }, resp[RR_RESP];
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	uint64_t id = 0;

	getsockname(rr_listen, (struct sockaddr *)&addr, &alen);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("connect");
		exit(1);
	}
	while (!__atomic_load_n(&rr_stop, __ATOMIC_RELAXED)) {
		*(uint64_t *)req = ++id;
		if (full_io(fd, req, RR_REQ, 1) || full_io(fd, resp, RR_RESP, 0) ||
		    *(uint64_t *)resp != id) {
			fprintf(stderr, "tcp_rr: bad answer\n");
			exit(1);
		}
		(*count)++;
	}
	close(fd);
	return NULL;
}

static double tcp_rr(int clients)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	pthread_t ct[64], st[64];
	long counts[64] = { 0 }, total = 0;
	double seconds = quick ? 0.2 : 0.5, t0;
	int one = 1;

	if (clients < 1 || clients > 64)
		clients = 1;
	pool_init(&rr_pool, "rr_state", sizeof(struct rr_state));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rr_listen = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(rr_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(rr_listen, (struct sockaddr *)&addr, sizeof(addr)) || listen(rr_listen, 64)) {
		perror("bind/listen");
		exit(1);
	}
	for (int i = 0; i < clients; i++) {
		int fd;

		pthread_create(&ct[i], NULL, rr_client, &counts[i]);
		fd = accept(rr_listen, NULL, NULL);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_create(&st[i], NULL, rr_server, (void *)(intptr_t)fd);
	}
	t0 = now_ns();
	usleep((useconds_t)(seconds * 1e6));
	__atomic_store_n(&rr_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < clients; i++)
		pthread_join(ct[i], NULL);
	t0 = (now_ns() - t0) / 1e9;
	for (int i = 0; i < clients; i++) {
		pthread_join(st[i], NULL);
		total += counts[i];
	}
	close(rr_listen);
	return (double)total / t0;
}

/* ------------------------------------------------------------ memory */

/* Resident memory of 1M live objects of one size over their payload. */
static double mem_live(size_t size, double *mb)
{
	size_t n = 1000000;
	void **objs = pointer_array(n);
	long before, after;
	struct pool p;

	pool_init(&p, "live", size);
	before = status_kb("VmRSS:");
	for (size_t i = 0; i < n; i++) {
		objs[i] = pool_alloc(&p);
		memset(objs[i], 1, size);
	}
	after = status_kb("VmRSS:");
	*mb = (double)(after - before) / 1024.0;
	return (double)(after - before) * 1024.0 / ((double)n * (double)size);
}

/*
 * Fragmentation: 1M objects of random sizes 16..256, a random 90% freed;
 * resident memory held for the 10% left.  With phase: then as many bytes
 * again in 512..1024-byte objects; resident memory for all that is live.
 * Result: resident MB (above the baseline) over live MB.
 */
static double mem_frag(int phase, double *mb)
{
	size_t n = 1000000, live_bytes = 0, phase_n = 0;
	void **objs = pointer_array(n), **more = NULL;
	size_t *sizes = (size_t *)pointer_array(n);
	uint64_t seed = 12345;
	long before, after;

	before = status_kb("VmRSS:");
	for (size_t i = 0; i < n; i++) {
		sizes[i] = 16 + (size_t)(rng_next(&seed) % 241);
		objs[i] = var_alloc(sizes[i]);
		memset(objs[i], 2, sizes[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (rng_next(&seed) % 10) {
			var_free(objs[i]);
			objs[i] = NULL;
		} else {
			live_bytes += sizes[i];
		}
	}
	if (phase) {
		size_t target = live_bytes, added = 0;

		more = pointer_array(n);
		while (added < target * 4 && phase_n < n) {
			size_t s = 512 + (size_t)(rng_next(&seed) % 513);

			more[phase_n] = var_alloc(s);
			memset(more[phase_n++], 3, s);
			added += s;
		}
		live_bytes += added;
	}
	after = status_kb("VmRSS:");
	*mb = (double)(after - before) / 1024.0;
	return (double)(after - before) * 1024.0 / (double)live_bytes;
}

/* 64 threads, each holding one object of every kmalloc size: resident
 * memory above the baseline (per-thread caches: the seed's warning). */
#define MT_THREADS 64
static const size_t mt_sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192 };
#define MT_NSIZES (sizeof(mt_sizes) / sizeof(mt_sizes[0]))
static pthread_barrier_t mt_held, mt_done;

static void *mt_thread(void *arg)
{
	void *objs[MT_NSIZES];

	(void)arg;
	for (size_t i = 0; i < MT_NSIZES; i++) {
		objs[i] = var_alloc(mt_sizes[i]);
		memset(objs[i], 4, mt_sizes[i]);
	}
	pthread_barrier_wait(&mt_held);
	pthread_barrier_wait(&mt_done);
	for (size_t i = 0; i < MT_NSIZES; i++)
		var_free(objs[i]);
	return NULL;
}

static double mem_threads(void)
{
	pthread_t t[MT_THREADS];
	pthread_attr_t attr;
	long before, after;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_barrier_init(&mt_held, NULL, MT_THREADS + 1);
	pthread_barrier_init(&mt_done, NULL, MT_THREADS + 1);
	before = status_kb("VmRSS:");
	for (int i = 0; i < MT_THREADS; i++)
		pthread_create(&t[i], &attr, mt_thread, NULL);
	pthread_barrier_wait(&mt_held);
	after = status_kb("VmRSS:");
	pthread_barrier_wait(&mt_done);
	for (int i = 0; i < MT_THREADS; i++)
		pthread_join(t[i], NULL);
	return (double)(after - before) / 1024.0;
}

/* -------------------------------------------------------------- main */

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s hot SIZE | batch K | prodcons | larson [THREADS] | coldfree |"
		" hackbench GROUPS | medium | mixed | bigloop | tcp_rr CLIENTS | live SIZE | frag90 | fragphase |"
		" threads64 | crowd [PAIRS]  [--quick]\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	const char *w, *unit = "ns";
	long param;
	double v, mb = 0;

	if (argc > 2 && !strcmp(argv[argc - 1], "--quick")) {
		quick = 1;
		argc--;
	}
	if (argc < 2)
		return usage(argv[0]);
	w = argv[1];
	param = argc > 2 ? atol(argv[2]) : 0;
	if (!strcmp(w, "hot") && param > 0)
		v = hot_pair((size_t)param);
	else if (!strcmp(w, "batch") && param > 0)
		v = batch(param);
	else if (!strcmp(w, "prodcons"))
		v = prodcons();
	else if (!strcmp(w, "larson"))
		v = larson(param > 0 && param <= LARSON_MAX_THREADS ? (int)param : 8);
	else if (!strcmp(w, "medium"))
		v = medium();
	else if (!strcmp(w, "mixed"))
		v = mixed();
	else if (!strcmp(w, "bigloop")) {
		/* The faults travel in the "mb" field: the driver's second row. */
		v = big_loop(&mb);
		unit = "s";
	}
	else if (!strcmp(w, "coldfree"))
		v = cold_free();
	else if (!strcmp(w, "hackbench") && param > 0) {
		v = hackbench((int)param);
		unit = "s";
	} else if (!strcmp(w, "tcp_rr") && param > 0) {
		v = tcp_rr((int)param);
		unit = "tps";
	} else if (!strcmp(w, "live") && param > 0) {
		v = mem_live((size_t)param, &mb);
		unit = "x";
	} else if (!strcmp(w, "frag90") || !strcmp(w, "fragphase")) {
		v = mem_frag(!strcmp(w, "fragphase"), &mb);
		unit = "x";
	} else if (!strcmp(w, "crowd")) {
		v = crowd(param > 0);
	} else if (!strcmp(w, "threads64")) {
		v = mem_threads();
		unit = "MB";
	} else
		return usage(argv[0]);
	printf("value=%.4f unit=%s mb=%.2f peak_rss_kb=%ld\n", v, unit, mb, status_kb("VmHWM:"));
	return 0;
}
