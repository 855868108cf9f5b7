/*
 * test_fault_inject.c - every out-of-memory path, driven by the
 * fault-injecting page allocator: allocation returns NULL, nothing leaks,
 * the cache keeps working when memory returns.
 */
#include "check.h"

#define LIVE(s) (uslab_cache_stat(s, USLAB_STAT_ALLOC_FASTPATH) + \
		 uslab_cache_stat(s, USLAB_STAT_ALLOC_SLOWPATH) - \
		 uslab_cache_stat(s, USLAB_STAT_FREE_FASTPATH) - \
		 uslab_cache_stat(s, USLAB_STAT_FREE_SLOWPATH))

TEST(modes_nth_and_after)
{
	unsigned long reclaims = uslab_reclaim_count();
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_NTH, 3);
	/* Counting page requests: slub takes one slab at a time. */
	struct kmem_cache *s = kmem_cache_create("fi-modes", 256, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);
	unsigned int per = cache_info(s).objs_per_slab;

	CHECK_EQ(cache_info(s).order, 0);   /* no smaller order to fall back to */
	int got[6];

	uslab_cache_set_page_allocator(s, fi);
	uslab_option_set(USLAB_OPT_PURGE_DELAY_MS, 100);
	/* One slab request per 'per' objects: the third request fails. */
	for (int k = 0; k < 6; k++) {
		void *p = NULL;

		got[k] = 0;
		for (unsigned int i = 0; i < per; i++) {
			p = kmem_cache_alloc(s, GFP_KERNEL | __GFP_NOWARN);
			got[k] += p != NULL;
		}
	}
	/* Only the third request failed: the allocation reclaimed, asked
	 * again, and got its slab; nobody saw NULL. */
	CHECK_EQ(got[0] + got[1], 2 * per);
	CHECK_EQ(got[2], per);
	CHECK_EQ(uslab_fault_inject_failures(fi), 1);
	CHECK_EQ(got[3] + got[4] + got[5], 3 * per);
	CHECK_EQ(uslab_reclaim_count(), reclaims + 1);
	/* From now on every request fails: the slab in use runs out and then
	 * allocation returns NULL. */
	uslab_fault_inject_arm(fi, USLAB_FAULT_AFTER, 0);
	int nulls = 0;
	for (unsigned int i = 0; i <= per; i++)
		nulls += kmem_cache_alloc(s, GFP_KERNEL | __GFP_NOWARN) == NULL;
	CHECK(nulls > 0);
	CHECK(uslab_fault_inject_requests(fi) > 6);
	kmem_cache_shrink(s);
	capture_start();
	kmem_cache_destroy(s);
	capture_stop();
	uslab_page_allocator_destroy(fi);
}

TEST(alloc_returns_null_and_cache_recovers)
{
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_AFTER, 0);
	struct kmem_cache *s = kmem_cache_create("fi-recover", 128, 0, SLAB_NO_MERGE, NULL);
	unsigned long pages = pages_in_use();
	const char *text;
	void *p;

	uslab_cache_set_page_allocator(s, fi);
	capture_start();
	p = kmem_cache_alloc(s, GFP_KERNEL);
	text = capture_stop();
	CHECK(p == NULL);
	CHECK_STR_CONTAINS(text, "SLUB: Unable to allocate memory on node -1");
	CHECK_STR_CONTAINS(text, "cache: fi-recover, object size: 128, buffer size: 128");
	CHECK_EQ(LIVE(s), 0);
	CHECK(pages_in_use() <= pages);   /* reclaim may even have freed some */
	/* __GFP_NOWARN: no report. */
	capture_start();
	CHECK(kmem_cache_alloc(s, GFP_KERNEL | __GFP_NOWARN) == NULL);
	capture_stop();
	CHECK_EQ(capture_count(), 0);
	/* Memory comes back: the cache works. */
	uslab_fault_inject_arm(fi, USLAB_FAULT_OFF, 0);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p);
	memset(p, 1, 128);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	uslab_page_allocator_destroy(fi);
}

TEST(order_fallback_when_the_preferred_order_fails)
{
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_NTH, 1);
	struct kmem_cache *s = kmem_cache_create("fi-fallback", 1024, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);
	struct uslab_cache_info ci = cache_info(s);
	void *p;

	CHECK(ci.order > 0);
	uslab_cache_stat_clear(s);
	uslab_cache_set_page_allocator(s, fi);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p);
	CHECK_EQ(uslab_cache_stat(s, USLAB_STAT_ORDER_FALLBACK), 1);
	CHECK_EQ(cache_info(s).total_objs, 4);   /* one page of 1 KiB objects */
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	uslab_page_allocator_destroy(fi);
}

TEST(bulk_is_all_or_nothing)
{
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_AFTER, 2);
	struct kmem_cache *s = kmem_cache_create("fi-bulk", 512, 0, SLAB_NO_MERGE, NULL);
	unsigned int per = cache_info(s).objs_per_slab;
	unsigned long pages = pages_in_use();
	void *p[1000];

	uslab_cache_set_page_allocator(s, fi);
	CHECK(per * 2 < 1000);
	CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL | __GFP_NOWARN, 1000, p), 0);
	CHECK_EQ(LIVE(s), 0);
	kmem_cache_shrink(s);
	CHECK(pages_in_use() <= pages);
	uslab_fault_inject_arm(fi, USLAB_FAULT_OFF, 0);
	CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, 1000, p), 1000);
	kmem_cache_free_bulk(s, 1000, p);
	kmem_cache_destroy(s);
	uslab_page_allocator_destroy(fi);
}

TEST(kmalloc_paths)
{
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_AFTER, 0);
	char *small = kmalloc(100, GFP_KERNEL), *p;

	strcpy(small, "kept");
	uslab_set_page_allocator(fi);
	capture_start();
	CHECK(kmalloc(100000, GFP_KERNEL) == NULL);
	CHECK(kmalloc(10 << 20, GFP_KERNEL) == NULL);
	CHECK_STR_CONTAINS(capture_stop(), "kmalloc(100000): unable to allocate memory");
	/* krealloc that needs new memory fails and leaves the old object. */
	CHECK(krealloc(small, 50000, GFP_KERNEL | __GFP_NOWARN) == NULL);
	CHECK(!strcmp(small, "kept"));
	CHECK(kmemdup(small, 20000, GFP_KERNEL | __GFP_NOWARN) == NULL);
	CHECK(uslab_set_page_allocator(NULL) == fi);
	p = krealloc(small, 50000, GFP_KERNEL);
	CHECK(p && !strcmp(p, "kept"));
	kfree(p);
	uslab_page_allocator_destroy(fi);
}

struct oom_worker {
	struct kmem_cache *s;
	int nulls, objects;
};

static void *oom_thread(void *arg)
{
	struct oom_worker *w = arg;
	void *held[256];
	int n = 0;

	for (int i = 0; i < 20000; i++) {
		void *p = kmem_cache_alloc(w->s, GFP_KERNEL | __GFP_NOWARN);

		if (!p) {
			w->nulls++;
		} else {
			w->objects++;
			held[n++] = p;
		}
		if (n == 256 || (!p && n)) {
			while (n)
				kmem_cache_free(w->s, held[--n]);
		}
	}
	while (n)
		kmem_cache_free(w->s, held[--n]);
	return NULL;
}

TEST(threads_under_memory_pressure)
{
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_AFTER, 6);
	struct kmem_cache *s = kmem_cache_create("fi-threads", 200, 0, SLAB_NO_MERGE, NULL);
	struct oom_worker w[4];
	pthread_t th[4];

	memset(w, 0, sizeof(w));
	uslab_cache_set_page_allocator(s, fi);
	for (int i = 0; i < 4; i++) {
		w[i].s = s;
		pthread_create(&th[i], NULL, oom_thread, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(LIVE(s), 0);
	/* Only six slabs could ever be made. */
	CHECK(cache_info(s).nr_slabs <= 6);
	CHECK_EQ(destroy_counting_reports(s), 0);
	uslab_page_allocator_destroy(fi);
}

/* A second destroy is reported; nothing calls through reused memory. */
TEST(second_destroy_is_reported)
{
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_NTH, 1);
	struct kmem_cache *s = kmem_cache_create("fi-twice", 64, 0, SLAB_NO_MERGE, NULL);
	void *p;

	CHECK(fi != NULL);
	uslab_page_allocator_destroy(fi);
	/* Metadata of the same size class is allocated meanwhile. */
	for (int i = 0; i < 8; i++)
		CHECK(uslab_fault_inject_create(NULL, USLAB_FAULT_OFF, 0) != NULL);
	capture_start();
	uslab_page_allocator_destroy(fi);
	capture_stop();
	CHECK_EQ(capture_reports, 1);
	CHECK(strstr(capture_buf, "uslab_page_allocator_destroy: ") != NULL);
	CHECK(strstr(capture_buf, "was destroyed already") != NULL);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p != NULL);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

/* __GFP_NOFAIL never returns NULL: with every page request failing, the
 * allocation waits and retries until another thread lets memory through
 * (here: turns the failures off once it has seen five), for a cache's
 * objects and for a large kmalloc alike.  __GFP_NORETRY is bounded: one
 * reclaim pass where the flags allow reclaim, then NULL. */
static struct uslab_page_allocator *nofail_fi;
static int nofail_returned;

static void *lift_failures(void *arg)
{
	unsigned long seen = (unsigned long)(uintptr_t)arg;

	/* Also stops if the allocation came back (with NULL: a failure). */
	while (uslab_fault_inject_failures(nofail_fi) < seen + 5 &&
	       !__atomic_load_n(&nofail_returned, __ATOMIC_ACQUIRE))
		sched_yield();
	uslab_fault_inject_arm(nofail_fi, USLAB_FAULT_OFF, 0);
	return NULL;
}

TEST(nofail_waits_and_noretry_is_bounded)
{
	struct kmem_cache *s = kmem_cache_create("fi-nofail", 256, 0, SLAB_NO_MERGE, NULL);
	unsigned long reclaims, failures;
	void *held[4096], *p;
	int n = 0;
	pthread_t t;

	nofail_fi = uslab_fault_inject_create(NULL, USLAB_FAULT_AFTER, 0);
	uslab_cache_set_page_allocator(s, nofail_fi);
	capture_start();
	/* Nothing but what the cache holds already (nothing: no slab yet). */
	while (n < 4096 && (p = kmem_cache_alloc(s, GFP_NOWAIT | __GFP_NOWARN)))
		held[n++] = p;
	CHECK(n < 4096);
	reclaims = uslab_reclaim_count();
	failures = uslab_fault_inject_failures(nofail_fi);
	/* One reclaim pass (the kernel's light direct reclaim), then NULL;
	 * none at all for a caller that may not reclaim. */
	CHECK(!kmem_cache_alloc(s, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN));
	CHECK_EQ(uslab_reclaim_count(), reclaims + 1);
	CHECK(uslab_fault_inject_failures(nofail_fi) > failures);
	CHECK(!kmem_cache_alloc(s, GFP_NOWAIT | __GFP_NORETRY | __GFP_NOWARN));
	CHECK_EQ(uslab_reclaim_count(), reclaims + 1);

	failures = uslab_fault_inject_failures(nofail_fi);
	__atomic_store_n(&nofail_returned, 0, __ATOMIC_RELEASE);
	pthread_create(&t, NULL, lift_failures, (void *)(uintptr_t)failures);
	p = kmem_cache_alloc(s, GFP_KERNEL | __GFP_NOFAIL);
	__atomic_store_n(&nofail_returned, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK(p != NULL);
	CHECK(uslab_fault_inject_failures(nofail_fi) >= failures + 5);
	kmem_cache_free(s, p);

	/* A large kmalloc (the global page allocator). */
	uslab_fault_inject_arm(nofail_fi, USLAB_FAULT_AFTER, 0);
	uslab_set_page_allocator(nofail_fi);
	failures = uslab_fault_inject_failures(nofail_fi);
	__atomic_store_n(&nofail_returned, 0, __ATOMIC_RELEASE);
	pthread_create(&t, NULL, lift_failures, (void *)(uintptr_t)failures);
	p = kmalloc(100000, GFP_KERNEL | __GFP_NOFAIL);
	__atomic_store_n(&nofail_returned, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK(uslab_set_page_allocator(NULL) == nofail_fi);
	CHECK(p != NULL);
	kfree(p);
	capture_stop();
	for (int i = 0; i < n; i++)
		kmem_cache_free(s, held[i]);
	CHECK_EQ(destroy_counting_reports(s), 0);
	uslab_page_allocator_destroy(nofail_fi);
}

TEST_MAIN()
