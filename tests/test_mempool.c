/*
 * test_mempool.c - the kernel's mempools: the reserve is allocated up
 * front and handed out when the allocator fails (the fault-injecting page
 * allocator failing every request), a blocked mempool_alloc() wakes with
 * the element another thread frees, the reserve refills before anything
 * goes back, and nothing is lost or handed out twice.
 */
#include <stdatomic.h>

#include "check.h"

struct elem {
	long id;
	char data[120];
};

static bool distinct(void **p, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (p[i] == p[j])
				return false;
	return true;
}

TEST(slab_pool_keeps_its_reserve)
{
	struct kmem_cache *s = kmem_cache_create("pool-elems", sizeof(struct elem), 0, SLAB_NO_MERGE, NULL);
	mempool_t *pool = mempool_create_slab_pool(4, s);
	void *e[10];

	CHECK(pool && mempool_initialized(pool));
	CHECK_EQ(pool->curr_nr, 4);
	CHECK_EQ(cache_info(s).active_objs, 4);
	CHECK(mempool_is_saturated(pool));
	for (int i = 0; i < 10; i++)
		CHECK((e[i] = mempool_alloc(pool, GFP_KERNEL)) != NULL);
	CHECK(distinct(e, 10));
	CHECK_EQ(pool->curr_nr, 4);           /* the allocator served them */
	for (int i = 0; i < 10; i++)
		mempool_free(e[i], pool);
	CHECK_EQ(pool->curr_nr, 4);
	CHECK_EQ(cache_info(s).active_objs, 4);
	mempool_free(NULL, pool);
	CHECK_EQ(mempool_resize(pool, 8), 0);
	CHECK_EQ(pool->curr_nr, 8);
	CHECK_EQ(cache_info(s).active_objs, 8);
	CHECK_EQ(mempool_resize(pool, 2), 0);
	CHECK_EQ(pool->curr_nr, 2);
	CHECK_EQ(cache_info(s).active_objs, 2);
	mempool_destroy(pool);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(kmalloc_pool)
{
	mempool_t pool;
	void *a, *b;

	CHECK_EQ(mempool_init_kmalloc_pool(&pool, 2, 100), 0);
	a = mempool_alloc(&pool, GFP_KERNEL);
	b = mempool_alloc_preallocated(&pool);   /* from the reserve only */
	CHECK(a && b && a != b);
	CHECK(ksize(a) >= 100 && ksize(b) >= 100);
	CHECK_EQ(pool.curr_nr, 1);
	mempool_free(a, &pool);
	mempool_free(b, &pool);
	CHECK_EQ(pool.curr_nr, 2);
	mempool_exit(&pool);
	CHECK(!mempool_initialized(&pool));
}

/* The allocator failing every request: the reserve, then NULL for a
 * caller that may not sleep. */
static struct kmem_cache *starved_cache(const char *name, struct uslab_page_allocator **fi,
					void ***held, int *nheld)
{
	struct kmem_cache *s = kmem_cache_create(name, sizeof(struct elem), 0, SLAB_NO_MERGE, NULL);
	int cap = 4096, n = 0;
	void **h = kmalloc_array((size_t)cap, sizeof(void *), GFP_KERNEL);

	*fi = uslab_fault_inject_create(NULL, USLAB_FAULT_AFTER, 0);
	uslab_cache_set_page_allocator(s, *fi);
	*held = h;
	*nheld = n;
	return s;
}

/* Takes every object the cache still has without a new slab. */
static void starve(struct kmem_cache *s, void **held, int *nheld)
{
	void *o;

	while (*nheld < 4096 && (o = kmem_cache_alloc(s, GFP_NOWAIT | __GFP_NOWARN)))
		held[(*nheld)++] = o;
	CHECK(*nheld < 4096);
}

static void unstarve(struct kmem_cache *s, struct uslab_page_allocator *fi, void **held, int nheld)
{
	for (int i = 0; i < nheld; i++)
		kmem_cache_free(s, held[i]);
	kfree(held);
	CHECK_EQ(destroy_counting_reports(s), 0);
	uslab_page_allocator_destroy(fi);
}

TEST(reserve_when_the_allocator_fails)
{
	struct uslab_page_allocator *fi;
	void **held, *e[3];
	int nheld;
	struct kmem_cache *s = starved_cache("pool-starved", &fi, &held, &nheld);
	mempool_t pool;

	/* The reserve is made before the pages fail... */
	uslab_fault_inject_arm(fi, USLAB_FAULT_NTH, 1000000);
	CHECK_EQ(mempool_init_slab_pool(&pool, 3, s), 0);
	uslab_fault_inject_arm(fi, USLAB_FAULT_AFTER, 0);
	starve(s, held, &nheld);
	CHECK(!kmem_cache_alloc(s, GFP_NOWAIT | __GFP_NOWARN));
	/* ...and is what the pool hands out, then NULL without sleeping. */
	for (int i = 0; i < 3; i++)
		CHECK((e[i] = mempool_alloc(&pool, GFP_NOWAIT)) != NULL);
	CHECK(distinct(e, 3));
	CHECK_EQ(pool.curr_nr, 0);
	CHECK(mempool_alloc(&pool, GFP_NOWAIT) == NULL);
	CHECK(mempool_alloc(&pool, GFP_ATOMIC) == NULL);
	CHECK(uslab_fault_inject_failures(fi) > 0);
	for (int i = 0; i < 3; i++)
		mempool_free(e[i], &pool);
	CHECK_EQ(pool.curr_nr, 3);
	mempool_exit(&pool);
	unstarve(s, fi, held, nheld);
}

/* A caller that may sleep waits for an element to come back, and gets
 * exactly the one freed. */
static mempool_t wait_pool;
static void *waited;

static void *blocked_alloc(void *arg)
{
	(void)arg;
	waited = mempool_alloc(&wait_pool, GFP_KERNEL);
	return NULL;
}

static void wait_for_waiter(mempool_t *pool)
{
	while (!__atomic_load_n(&pool->waiters, __ATOMIC_ACQUIRE))
		sched_yield();
}

TEST(blocked_alloc_wakes_when_an_element_is_freed)
{
	struct uslab_page_allocator *fi;
	void **held, *e[2];
	int nheld;
	struct kmem_cache *s = starved_cache("pool-blocked", &fi, &held, &nheld);
	pthread_t t;

	uslab_fault_inject_arm(fi, USLAB_FAULT_NTH, 1000000);
	CHECK_EQ(mempool_init_slab_pool(&wait_pool, 2, s), 0);
	uslab_fault_inject_arm(fi, USLAB_FAULT_AFTER, 0);
	starve(s, held, &nheld);
	e[0] = mempool_alloc(&wait_pool, GFP_KERNEL);
	e[1] = mempool_alloc(&wait_pool, GFP_KERNEL);
	CHECK(e[0] && e[1] && e[0] != e[1]);
	CHECK_EQ(wait_pool.curr_nr, 0);
	waited = NULL;
	pthread_create(&t, NULL, blocked_alloc, NULL);
	wait_for_waiter(&wait_pool);
	CHECK(waited == NULL);
	mempool_free(e[1], &wait_pool);
	pthread_join(t, NULL);
	CHECK(waited == e[1]);
	mempool_free(e[0], &wait_pool);
	mempool_free(waited, &wait_pool);
	CHECK_EQ(wait_pool.curr_nr, 2);
	mempool_exit(&wait_pool);
	unstarve(s, fi, held, nheld);
}

/* Threads that take and give back more elements than the reserve holds,
 * with the allocator failing: every element is one of the reserve's, none
 * is held by two threads at once, and all come back. */
#define CHURN_THREADS 4
#define CHURN_ROUNDS 5000

static mempool_t churn_pool;
static atomic_long owner_check[8];
static atomic_int churn_bad;

static void *churn(void *arg)
{
	long me = (long)(uintptr_t)arg;

	for (int i = 0; i < CHURN_ROUNDS; i++) {
		struct elem *e = mempool_alloc(&churn_pool, GFP_KERNEL);

		if (!e) {
			atomic_fetch_add(&churn_bad, 1);
			continue;
		}
		/* Nobody else holds it: its id is ours to set. */
		e->id = me;
		sched_yield();
		if (e->id != me)
			atomic_fetch_add(&churn_bad, 1);
		mempool_free(e, &churn_pool);
	}
	return NULL;
}

TEST(reserve_shared_by_threads_is_never_handed_out_twice)
{
	struct uslab_page_allocator *fi;
	void **held;
	int nheld;
	struct kmem_cache *s = starved_cache("pool-churn", &fi, &held, &nheld);
	pthread_t t[CHURN_THREADS];

	(void)owner_check;
	uslab_fault_inject_arm(fi, USLAB_FAULT_NTH, 1000000);
	CHECK_EQ(mempool_init_slab_pool(&churn_pool, 2, s), 0);
	uslab_fault_inject_arm(fi, USLAB_FAULT_AFTER, 0);
	starve(s, held, &nheld);
	for (long i = 0; i < CHURN_THREADS; i++)
		pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < CHURN_THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(atomic_load(&churn_bad), 0);
	CHECK_EQ(churn_pool.curr_nr, 2);
	mempool_exit(&churn_pool);
	unstarve(s, fi, held, nheld);
}

/* A pool of min_nr 0 still hands a freed element to a waiter, and keeps
 * one freed element parked. */
TEST(empty_pool_parks_an_element_for_a_waiter)
{
	struct uslab_page_allocator *fi;
	void **held, *e;
	int nheld;
	struct kmem_cache *s = starved_cache("pool-zero", &fi, &held, &nheld);
	pthread_t t;

	CHECK_EQ(mempool_init_slab_pool(&wait_pool, 0, s), 0);
	uslab_fault_inject_arm(fi, USLAB_FAULT_NTH, 1000000);
	e = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(e);
	uslab_fault_inject_arm(fi, USLAB_FAULT_AFTER, 0);
	starve(s, held, &nheld);
	waited = NULL;
	pthread_create(&t, NULL, blocked_alloc, NULL);
	wait_for_waiter(&wait_pool);
	mempool_free(e, &wait_pool);
	pthread_join(t, NULL);
	CHECK(waited == e);
	/* Parked even with no one waiting yet (one may be on its way to
	 * sleep), as the kernel's; a second goes back to the cache. */
	mempool_free(waited, &wait_pool);
	CHECK_EQ(wait_pool.curr_nr, 1);
	e = mempool_alloc(&wait_pool, GFP_NOWAIT);
	CHECK(e == waited);
	CHECK_EQ(wait_pool.curr_nr, 0);
	mempool_free(e, &wait_pool);
	CHECK_EQ(wait_pool.curr_nr, 1);
	mempool_exit(&wait_pool);
	unstarve(s, fi, held, nheld);
}

/* An element not given back by destroy: a report. */
TEST(destroy_reports_elements_not_returned)
{
	mempool_t *pool = mempool_create_kmalloc_pool(2, 64);
	void *a = mempool_alloc_preallocated(pool);

	CHECK(a);
	capture_start();
	mempool_destroy(pool);
	capture_stop();
	CHECK_STR_CONTAINS(capture_buf, "): 1 of its 2 reserved elements not returned\n");
	kfree(a);
	capture_start();
	CHECK(!mempool_create(2, NULL, mempool_kfree, NULL));
	capture_stop();
	CHECK_STR_CONTAINS(capture_buf, "a pool needs min_nr >= 0 and both functions");
}

TEST_MAIN()
