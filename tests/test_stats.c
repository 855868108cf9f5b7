/*
 * test_stats.c - SLUB's counters move as the paths run: the fast paths,
 * a new slab, refill from remote frees, cpu partial slabs, flushes; the
 * counters of an exited thread are kept.
 */
#include "check.h"

#define ST(s, x) uslab_cache_stat(s, USLAB_STAT_##x)

static struct kmem_cache *fresh(const char *name)
{
	/* SLUB's own counters: a slub cache whatever USLAB_ALLOCATOR says. */
	struct kmem_cache *s = kmem_cache_create(name, 256, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);

	uslab_cache_stat_clear(s);
	return s;
}

TEST(fast_and_slow_paths)
{
	struct kmem_cache *s = fresh("stats-paths");
	unsigned int per = cache_info(s).objs_per_slab;
	void **p = calloc(per * 2, sizeof(void *));
	cpu_set_t was = pin_here();   /* one cpu slab throughout */

	p[0] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(ST(s, ALLOC_SLOWPATH), 1);
	CHECK_EQ(ST(s, ALLOC_SLAB), 1);
	CHECK_EQ(ST(s, ALLOC_FASTPATH), 0);
	for (unsigned int i = 1; i < per; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(ST(s, ALLOC_FASTPATH), per - 1);
	/* The cpu slab is used up: the next one is a new slab. */
	p[per] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(ST(s, ALLOC_SLOWPATH), 2);
	CHECK_EQ(ST(s, ALLOC_SLAB), 2);
	CHECK_EQ(ST(s, DEACTIVATE_BYPASS), 1);
	/* Freeing into the full first slab freezes it onto the cpu partial list. */
	kmem_cache_free(s, p[0]);
	CHECK_EQ(ST(s, FREE_SLOWPATH), 1);
	CHECK_EQ(ST(s, CPU_PARTIAL_FREE), 1);
	CHECK_EQ(cache_info(s).cpu_partial, 1);
	kmem_cache_free(s, p[1]);
	CHECK_EQ(ST(s, FREE_FROZEN), 1);
	/* An object of the cpu slab goes onto the private freelist. */
	kmem_cache_free(s, p[per]);
	CHECK_EQ(ST(s, FREE_FASTPATH), 1);
	CHECK_EQ(cache_info(s).active_objs, per - 2);
	for (unsigned int i = 2; i < per; i++)
		kmem_cache_free(s, p[i]);
	CHECK_EQ(cache_info(s).active_objs, 0);
	/* A flush returns the cpu slab and the cpu partial slab. */
	uslab_thread_flush();
	CHECK_EQ(ST(s, CPUSLAB_FLUSH), 1);
	CHECK_EQ(cache_info(s).cpu_slabs, 0);
	CHECK_EQ(cache_info(s).cpu_partial, 0);
	unpin(was);
	free(p);
	kmem_cache_destroy(s);
}

struct remote {
	struct kmem_cache *s;
	void **objs;
	unsigned int n;
	int cpu;
};

/* Remote in cpu mode too: the caller on one CPU, the freeing thread on
 * another (-1: there is no other; the caller skips then). */
static int pin_apart(void)
{
	cpu_set_t all;
	int here;

	if (sched_getaffinity(0, sizeof(all), &all))
		return -1;
	here = sched_getcpu();
	pin_to_current_cpu();
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (cpu != here && CPU_ISSET(cpu, &all))
			return cpu;
	return -1;
}

static void *remote_free(void *arg)
{
	struct remote *r = arg;

	if (r->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r->cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	for (unsigned int i = 0; i < r->n; i++)
		kmem_cache_free(r->s, r->objs[i]);
	return NULL;
}

TEST(remote_frees_refill_the_cpu_slab)
{
	struct kmem_cache *s = fresh("stats-remote");
	unsigned int per = cache_info(s).objs_per_slab;
	void **p = calloc(per, sizeof(void *));
	struct remote r = { s, p, per / 2, pin_apart() };
	pthread_t th;

	if (cpu_mode() && r.cpu < 0) {
		free(p);
		kmem_cache_destroy(s);
		return;
	}
	for (unsigned int i = 0; i < per; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	/* Another thread frees half of them: they land on the slab's own
	 * freelist, the slab is frozen (the cpu slab of this thread)... */
	pthread_create(&th, NULL, remote_free, &r);
	pthread_join(th, NULL);
	/* (the cpu slab was full and unfrozen when its freelist ran out, so
	 * the first remote free froze it onto the other thread's partial
	 * list, and the other thread's exit put it back on the node list;
	 * in cpu mode the other CPU keeps it until a drain) */
	if (cpu_mode())
		uslab_thread_flush();
	CHECK_EQ(ST(s, FREE_SLOWPATH), per / 2);
	CHECK_EQ(cache_info(s).active_objs, per - per / 2);
	/* ...and the next allocations here find them again. */
	for (unsigned int i = 0; i < per / 2; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(ST(s, ALLOC_SLAB), 1);
	for (unsigned int i = 0; i < per; i++)
		kmem_cache_free(s, p[i]);
	free(p);
	kmem_cache_destroy(s);
}

TEST(remote_free_into_a_frozen_cpu_slab)
{
	struct kmem_cache *s = fresh("stats-frozen");
	void *a, *b, *c;
	struct remote r = { s, NULL, 1, pin_apart() };
	pthread_t th;

	if (cpu_mode() && r.cpu < 0) {
		kmem_cache_destroy(s);
		return;
	}
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	r.objs = &a;
	pthread_create(&th, NULL, remote_free, &r);
	pthread_join(th, NULL);
	CHECK_EQ(ST(s, FREE_FROZEN), 1);
	/* Drain the private freelist; the remote free comes back by refill. */
	unsigned int per = cache_info(s).objs_per_slab;
	void **p = calloc(per, sizeof(void *));
	for (unsigned int i = 0; i < per - 1; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(ST(s, ALLOC_REFILL), 1);
	CHECK_EQ(ST(s, ALLOC_SLAB), 1);
	c = p[per - 2];
	CHECK(c == a);
	for (unsigned int i = 0; i < per - 1; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_free(s, b);
	free(p);
	kmem_cache_destroy(s);
}

static void *alloc_and_exit(void *arg)
{
	struct kmem_cache *s = arg;

	/* One CPU's entry (cpu mode): one cpu slab. */
	pin_to_current_cpu();
	for (int i = 0; i < 100; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	return kmem_cache_alloc(s, GFP_KERNEL);   /* left live on purpose */
}

TEST(exited_threads_keep_their_counts)
{
	struct kmem_cache *s = fresh("stats-exit");
	pthread_t th;

	pthread_create(&th, NULL, alloc_and_exit, s);
	pthread_join(th, NULL);
	CHECK_EQ(ST(s, ALLOC_FASTPATH) + ST(s, ALLOC_SLOWPATH), 101);
	CHECK_EQ(ST(s, FREE_FASTPATH) + ST(s, FREE_SLOWPATH), 100);
	CHECK_EQ(cache_info(s).active_objs, 1);
	if (cpu_mode()) {
		/* Its CPU keeps the cpu slab until a drain. */
		CHECK_EQ(ST(s, CPUSLAB_FLUSH), 0);
		CHECK_EQ(cache_info(s).cpu_slabs, 1);
		uslab_thread_flush();
	}
	/* Its cpu slab went back at exit (thread mode) or at the drain. */
	CHECK_EQ(ST(s, CPUSLAB_FLUSH), 1);
	CHECK_EQ(cache_info(s).cpu_slabs, 0);
	CHECK_EQ(cache_info(s).nr_partial, 1);
	uslab_cache_stat_clear(s);
	CHECK_EQ(ST(s, ALLOC_FASTPATH), 0);
	CHECK_EQ(cache_info(s).active_objs, 1);
	capture_start();
	kmem_cache_destroy(s);
	CHECK_STR_CONTAINS(capture_stop(), "Objects remaining in stats-exit");
}

TEST(stat_names)
{
	CHECK(!strcmp(uslab_stat_name(USLAB_STAT_ALLOC_FASTPATH), "ALLOC_FASTPATH"));
	CHECK(!strcmp(uslab_stat_name(USLAB_STAT_CMPXCHG_DOUBLE_FAIL), "CMPXCHG_DOUBLE_FAIL"));
	CHECK(!strcmp(uslab_stat_name(USLAB_STAT_CPU_PARTIAL_DRAIN), "CPU_PARTIAL_DRAIN"));
	CHECK(uslab_stat_name(USLAB_NR_STATS) == NULL);
}

/* Allocates on one thread, frees on another: the count follows both. */
struct live_args {
	struct kmem_cache *s;
	void *objs[300];
	int n;
};

static void *live_alloc(void *arg)
{
	struct live_args *a = arg;

	for (int i = 0; i < a->n; i++)
		a->objs[i] = kmem_cache_alloc(a->s, GFP_KERNEL);
	return NULL;
}

static void *live_free_half(void *arg)
{
	struct live_args *a = arg;

	for (int i = 0; i < a->n; i += 2)
		kmem_cache_free(a->s, a->objs[i]);
	return NULL;
}

TEST(exact_live_counts_per_cache_and_process)
{
	struct kmem_cache *s = kmem_cache_create("live-count", 100, 0, SLAB_NO_MERGE, NULL);
	struct live_args a = { .s = s, .n = 300 };
	struct uslab_live before, after;
	void *large[3];
	pthread_t th;

	uslab_live(&before);
	CHECK_EQ(uslab_cache_live(s), 0);
	pthread_create(&th, NULL, live_alloc, &a);
	pthread_join(th, NULL);
	CHECK_EQ(uslab_cache_live(s), 300);
	for (int i = 0; i < 3; i++)
		large[i] = kmalloc(100000, GFP_KERNEL);
	uslab_live(&after);
	CHECK_EQ(after.cache_objects - before.cache_objects, 300);
	CHECK_EQ(after.cache_bytes - before.cache_bytes, 300 * 100);
	CHECK_EQ(after.large_objects - before.large_objects, 3);
	CHECK_EQ(after.large_bytes - before.large_bytes, 3 * 131072);
	CHECK_EQ(after.objects - before.objects, 303);
	CHECK_EQ(after.bytes - before.bytes, 300 * 100 + 3 * 131072);
	pthread_create(&th, NULL, live_free_half, &a);
	pthread_join(th, NULL);
	CHECK_EQ(uslab_cache_live(s), 150);
	for (int i = 1; i < 300; i += 2)
		kmem_cache_free(s, a.objs[i]);
	for (int i = 0; i < 3; i++)
		kfree(large[i]);
	CHECK_EQ(uslab_cache_live(s), 0);
	uslab_live(&after);
	CHECK_EQ(after.objects, before.objects);
	CHECK_EQ(after.bytes, before.bytes);
	CHECK_EQ(uslab_cache_live(NULL), 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST_MAIN()
