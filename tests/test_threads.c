/*
 * test_threads.c - multi-thread stress of the slub personality: threads
 * allocate, fill each object with their own pattern, hand it through a
 * queue to another thread, which checks the pattern and frees it (the
 * remote free path, cmpxchg on {freelist, counters}), while also doing
 * local work.  Afterwards the cache is destroyed and every page and
 * segment it used goes back to the page allocator.
 */
#include <stdatomic.h>

#include "check.h"

#ifdef USLAB_TEST_SANITIZER
#define ROUNDS 20000
#else
#define ROUNDS 300000
#endif
#define NTHREADS 6
#define QSIZE 1024

struct ring {
	_Atomic unsigned long head, tail;
	void *slot[QSIZE];
};

struct worker {
	int id;
	struct kmem_cache *cache;
	struct ring *in, *out;    /* in: filled by the previous worker */
	unsigned long sent, received, bad;
};

static _Atomic int senders_left;

static int ring_push(struct ring *r, void *p)
{
	unsigned long t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (t - atomic_load_explicit(&r->head, memory_order_acquire) == QSIZE)
		return 0;
	r->slot[t % QSIZE] = p;
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return 1;
}

static void *ring_pop(struct ring *r)
{
	unsigned long h = atomic_load_explicit(&r->head, memory_order_relaxed);
	void *p;

	if (h == atomic_load_explicit(&r->tail, memory_order_acquire))
		return NULL;
	p = r->slot[h % QSIZE];
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return p;
}

/* Objects carry: owner id, size, a sequence number, then a fill pattern. */
struct msg {
	int owner;
	unsigned int size;
	unsigned long seq;
	bool from_cache;
	unsigned char fill[];
};

static void check_and_free(struct worker *w, struct msg *m)
{
	unsigned char want = (unsigned char)(m->owner * 31 + m->seq);

	for (unsigned int i = 0; i < m->size; i++)
		if (m->fill[i] != want) {
			w->bad++;
			break;
		}
	if (m->from_cache)
		kmem_cache_free(w->cache, m);
	else
		kfree(m);
	w->received++;
}

static void drain(struct worker *w)
{
	struct msg *m;

	while ((m = ring_pop(w->in)))
		check_and_free(w, m);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = (unsigned int)w->id * 7919u + 1;
	void *local[32] = { 0 };

	for (unsigned long seq = 0; seq < ROUNDS; seq++) {
		bool from_cache = rand_r(&seed) & 1;
		unsigned int size = from_cache ? (unsigned int)(200 - sizeof(struct msg))
					       : 8 + (unsigned int)rand_r(&seed) % 600;
		struct msg *m = from_cache ? kmem_cache_alloc(w->cache, GFP_KERNEL)
					   : kmalloc(sizeof(*m) + size, GFP_KERNEL);
		unsigned int slot;

		if (!m) {
			w->bad++;
			break;
		}
		m->owner = w->id;
		m->size = size;
		m->seq = seq;
		m->from_cache = from_cache;
		memset(m->fill, (unsigned char)(w->id * 31 + seq), size);
		while (!ring_push(w->out, m))
			drain(w);
		w->sent++;
		/* Some local churn between messages. */
		slot = rand_r(&seed) % 32;
		if (local[slot])
			kmem_cache_free(w->cache, local[slot]);
		local[slot] = (seq & 3) ? kmem_cache_alloc(w->cache, GFP_KERNEL) : NULL;
		if ((seq & 15) == 0)
			drain(w);
	}
	for (int i = 0; i < 32; i++)
		if (local[i])
			kmem_cache_free(w->cache, local[i]);
	atomic_fetch_sub(&senders_left, 1);
	/* Keep receiving until every sender is done and the queue is empty. */
	while (atomic_load(&senders_left) > 0)
		drain(w);
	drain(w);
	return NULL;
}

static void run_stress(struct kmem_cache *s)
{
	static struct ring rings[NTHREADS];
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	unsigned long sent = 0, received = 0, bad = 0;

	memset(rings, 0, sizeof(rings));
	atomic_store(&senders_left, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .id = i, .cache = s, .in = &rings[i],
					.out = &rings[(i + 1) % NTHREADS] };
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < NTHREADS; i++) {
		sent += w[i].sent;
		received += w[i].received;
		bad += w[i].bad;
	}
	if (sent != received || bad || sent != (unsigned long)NTHREADS * ROUNDS)
		fprintf(stderr, "sent %lu received %lu bad %lu\n", sent, received, bad);
	test_failed |= sent != received || bad || sent != (unsigned long)NTHREADS * ROUNDS;
}

/* Caches keep up to min_partial empty slabs each, and queued objects:
 * reclaim all of it so that page counts compare. */
static void shrink_kmalloc_caches(void)
{
	uslab_reclaim(NULL);
}

TEST(cross_thread_handoff_and_destroy_returns_everything)
{
	struct uslab_page_stats before, after;
	struct kmem_cache *s;

	kfree(kmalloc(8, GFP_KERNEL));
	shrink_kmalloc_caches();
	uslab_page_stats(&before);
	s = kmem_cache_create("stress", 200, 0, SLAB_NO_MERGE, NULL);
	run_stress(s);
	CHECK(!test_failed);
	CHECK_EQ(cache_info(s).active_objs, 0);
	/* The threads are gone; a CPU's entries stay (destroy flushes). */
	if (!cpu_mode())
		CHECK_EQ(cache_info(s).cpu_slabs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
	shrink_kmalloc_caches();
	uslab_page_stats(&after);
	CHECK_EQ(after.pages_in_use, before.pages_in_use);
	CHECK_EQ(after.segments, before.segments);
}

/* Many threads free objects of the same few slabs at once: the slabs go
 * full -> partial -> empty under contention on every path. */
struct contention {
	struct kmem_cache *s;
	void **objs;
	int from, to;
};

static void *free_range(void *arg)
{
	struct contention *c = arg;

	for (int i = c->from; i < c->to; i++)
		kmem_cache_free(c->s, c->objs[i]);
	return NULL;
}

TEST(concurrent_remote_frees_of_shared_slabs)
{
	enum { N = 4, OBJS = 4096 };
	struct kmem_cache *s = kmem_cache_create("contended", 64, 0, SLAB_NO_MERGE, NULL);
	void **objs = malloc(sizeof(void *) * OBJS);
	struct contention c[N];
	pthread_t th[N];

	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < OBJS; i++)
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		/* Interleaved ranges: neighbours in a slab go to different threads. */
		void **shuffled = malloc(sizeof(void *) * OBJS);
		for (int i = 0; i < OBJS; i++)
			shuffled[(i % N) * (OBJS / N) + i / N] = objs[i];
		for (int t = 0; t < N; t++) {
			c[t] = (struct contention){ s, shuffled, t * (OBJS / N), (t + 1) * (OBJS / N) };
			pthread_create(&th[t], NULL, free_range, &c[t]);
		}
		for (int t = 0; t < N; t++)
			pthread_join(th[t], NULL);
		free(shuffled);
		CHECK_EQ(cache_info(s).active_objs, 0);
	}
	free(objs);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* Short-lived threads: each allocates, frees some of the objects left by
 * the thread before it (which has exited, its cpu slabs flushed), and
 * leaves objects for the next; caches are created and destroyed alongside. */
struct churn {
	struct kmem_cache *s;
	void *left[512];
	int nleft;
	unsigned int seed;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	struct kmem_cache *tmp = kmem_cache_create("churn-tmp", 48, 0, SLAB_NO_MERGE, NULL);
	void *mine[512];

	for (int i = 0; i < 512; i++) {
		mine[i] = (i & 1) ? kmem_cache_alloc(c->s, GFP_KERNEL) : kmalloc(24 + i, GFP_KERNEL);
		memset(mine[i], 0x11, 24);
	}
	for (int i = 0; i < c->nleft; i++)
		if (i & 1)
			kmem_cache_free(c->s, c->left[i]);
		else
			kfree(c->left[i]);
	for (int i = 0; i < 100; i++)
		kmem_cache_free(tmp, kmem_cache_alloc(tmp, GFP_KERNEL));
	kmem_cache_destroy(tmp);
	memcpy(c->left, mine, sizeof(mine));
	c->nleft = 512;
	return NULL;
}

TEST(objects_outlive_their_threads)
{
	struct kmem_cache *s = kmem_cache_create("churn", 96, 0, SLAB_NO_MERGE, NULL);
	struct churn c = { .s = s, .nleft = 0 };
	int rounds = 200;

#ifdef USLAB_TEST_SANITIZER
	rounds = 40;
#endif
	for (int r = 0; r < rounds; r++) {
		pthread_t a;

		pthread_create(&a, NULL, churn_thread, &c);
		pthread_join(a, NULL);
	}
	CHECK_EQ(cache_info(s).active_objs, 256);
	if (!cpu_mode())
		CHECK_EQ(cache_info(s).cpu_slabs, 0);
	for (int i = 0; i < c.nleft; i++)
		if (i & 1)
			kmem_cache_free(s, c.left[i]);
		else
			kfree(c.left[i]);
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/*
 * fork() while other threads allocate and free: every lock of the library
 * is taken before the fork and new in the child, so the child can create a
 * cache, allocate from every kmalloc size and start a thread of its own.
 */
static _Atomic int stop_forkers;

static void *fork_churn(void *arg)
{
	struct kmem_cache *s = arg;
	void *slots[32] = { 0 };
	unsigned int seed = 1;

	while (!atomic_load_explicit(&stop_forkers, memory_order_relaxed)) {
		unsigned int i = (unsigned int)rand_r(&seed) % 32;

		if (i & 1) {
			kfree(slots[i]);
			slots[i] = kmalloc((size_t)rand_r(&seed) % 9000 + 1, GFP_KERNEL);
		} else {
			if (slots[i])
				kmem_cache_free(s, slots[i]);
			slots[i] = kmem_cache_alloc(s, GFP_KERNEL);
		}
	}
	for (int i = 0; i < 32; i++)
		if (i & 1)
			kfree(slots[i]);
		else if (slots[i])
			kmem_cache_free(s, slots[i]);
	return NULL;
}

static void *child_kmalloc(void *arg)
{
	kfree(kmalloc(200, GFP_KERNEL));
	return arg;
}

TEST(fork_while_threads_allocate)
{
	struct kmem_cache *s = kmem_cache_create("forked", 80, 0, SLAB_NO_MERGE, NULL);
	pthread_t t[3];
	int rounds = 100;

#ifdef USLAB_TEST_SANITIZER
	rounds = 20;
#endif
#if defined(__SANITIZE_THREAD__)
	/* ThreadSanitizer emulates the 16-byte compare-and-swap under one
	 * spin lock of its own, which fork() does not reset: a child forked
	 * while another thread holds it hangs in TSan itself.  The slab-lock
	 * run (tsan:test_threads:nocas) forks under TSan. */
	if (!getenv("USLAB_NO_CMPXCHG_DOUBLE")) {
		kmem_cache_destroy(s);
		return;
	}
#endif
	atomic_store(&stop_forkers, 0);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, fork_churn, s);
	for (int r = 0; r < rounds; r++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			struct kmem_cache *c = kmem_cache_create("in-child", 40, 0, 0, NULL);
			pthread_t ct;
			int ok = c != NULL;

			alarm(20);   /* a hang in the child fails the test */
			for (size_t n = 1; ok && n <= 8192; n *= 2) {
				void *p = kmalloc(n, GFP_KERNEL), *o = kmem_cache_alloc(s, GFP_KERNEL);

				ok = p && o;
				kfree(p);
				kmem_cache_free(s, o);
			}
#ifndef USLAB_TEST_SANITIZER
			/* TSan cannot start threads in the child of a threaded fork. */
			ok = ok && !pthread_create(&ct, NULL, child_kmalloc, NULL) &&
			     !pthread_join(ct, NULL);
#else
			(void)ct;
#endif
			uslab_reclaim(NULL);
			_exit(ok ? 0 : 1);
		}
		CHECK(pid > 0);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	atomic_store(&stop_forkers, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(cache_info(s).active_objs, 0);
	kmem_cache_destroy(s);
}

TEST_MAIN()
