/*
 * test_failslab.c - fault injection as the kernel's: failslab and
 * fail_page_alloc with their knobs (probability, interval, times, space,
 * verbose, ignore-gfp-wait, min-order), the per-cache failslab attribute
 * and a harness's should-fail callback; and the allocation-failure
 * warning in the kernel's form.
 */
#include <errno.h>

#include "check.h"

static long knob(const char *which, const char *name)
{
	long v = -12345;

	return uslab_fault_attr_read(which, name, &v) ? -99999 : v;
}

static void failslab_off(void)
{
	CHECK_EQ(uslab_fault_attr_write("failslab", "probability", 0), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "interval", 1), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "times", 1), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "space", 0), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "verbose", 0), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "ignore-gfp-wait", 1), 0);
}

static struct kmem_cache *failslab_cache(const char *name, unsigned int size)
{
	struct kmem_cache *s = kmem_cache_create(name, size, 0, SLAB_NO_MERGE, NULL);
	char buf[16] = "";

	/* Marked through the attribute, read back as "1". */
	if (uslab_cache_attr_write(s, "failslab", "1") ||
	    uslab_cache_attr_read(s, "failslab", buf, sizeof(buf)) <= 0 || strcmp(buf, "1\n"))
		return NULL;
	return s;
}

static int count_failures(struct kmem_cache *s, gfp_t gfp, int n, void **keep)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		keep[i] = kmem_cache_alloc(s, gfp);
		failed += !keep[i];
	}
	for (int i = 0; i < n; i++)
		kmem_cache_free(s, keep[i]);
	return failed;
}

TEST(knobs_have_the_kernels_defaults_and_ranges)
{
	CHECK_EQ(knob("failslab", "probability"), 0);
	CHECK_EQ(knob("failslab", "interval"), 1);
	CHECK_EQ(knob("failslab", "times"), 1);
	CHECK_EQ(knob("failslab", "space"), 0);
	CHECK_EQ(knob("failslab", "ignore-gfp-wait"), 1);
	CHECK_EQ(knob("failslab", "cache-filter"), 1);
	CHECK_EQ(knob("fail_page_alloc", "min-order"), 1);
	CHECK_EQ(knob("fail_page_alloc", "probability"), 0);
	capture_start();
	CHECK_EQ(uslab_fault_attr_write("failslab", "probability", 101), -EINVAL);
	CHECK_EQ(uslab_fault_attr_write("failslab", "times", -2), -EINVAL);
	CHECK_EQ(uslab_fault_attr_write("failslab", "min-order", 2), -ENOENT);
	CHECK_EQ(uslab_fault_attr_write("failslab", "cache-filter", 0), -EINVAL);
	CHECK_EQ(uslab_fault_attr_write("fail_slab", "times", 1), -ENOENT);
	CHECK_STR_CONTAINS(capture_stop(), "uslab: failslab/probability: 101 is not in 0..100\n"
			   "uslab: failslab/times: -2 is not in -1..9223372036854775807\n"
			   "uslab: failslab has no knob \"min-order\"\n");
	CHECK_EQ(knob("failslab", "probability"), 0);
}

TEST(failslab_times_interval_space_and_gfp)
{
	struct kmem_cache *s = failslab_cache("fs-knobs", 100);
	void *keep[64];

	CHECK(s != NULL);
	/* probability 100, times 3: exactly three failures, GFP_ATOMIC. */
	CHECK_EQ(uslab_fault_attr_write("failslab", "times", 3), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "probability", 100), 0);
	CHECK_EQ(count_failures(s, GFP_KERNEL, 20, keep), 0);     /* ignore-gfp-wait */
	CHECK_EQ(count_failures(s, GFP_ATOMIC, 20, keep), 3);
	CHECK_EQ(knob("failslab", "times"), 0);
	CHECK_EQ(count_failures(s, GFP_ATOMIC, 20, keep), 0);
	/* interval 4, no limit: every fourth; __GFP_NOFAIL never. */
	CHECK_EQ(uslab_fault_attr_write("failslab", "times", -1), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "interval", 4), 0);
	CHECK_EQ(count_failures(s, GFP_ATOMIC, 40, keep), 10);
	CHECK_EQ(count_failures(s, GFP_ATOMIC | __GFP_NOFAIL, 40, keep), 0);
	/* ignore-gfp-wait 0: GFP_KERNEL fails too. */
	CHECK_EQ(uslab_fault_attr_write("failslab", "ignore-gfp-wait", 0), 0);
	CHECK_EQ(count_failures(s, GFP_KERNEL, 40, keep), 10);
	/* space: while more than the call's bytes are left, it passes (the
	 * kernel's rule): 1050 bytes let ten objects of 100 through. */
	CHECK_EQ(uslab_fault_attr_write("failslab", "interval", 1), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "space", 1050), 0);
	CHECK_EQ(count_failures(s, GFP_KERNEL, 10, keep), 0);
	CHECK_EQ(count_failures(s, GFP_KERNEL, 10, keep), 10);
	/* probability 50 of 1000: some fail and some do not (the chance of
	 * either count being 0 is 2^-1000). */
	CHECK_EQ(uslab_fault_attr_write("failslab", "probability", 50), 0);
	{
		int failed = 0;

		for (int i = 0; i < 1000; i++) {
			void *p = kmem_cache_alloc(s, GFP_KERNEL);

			failed += !p;
			kmem_cache_free(s, p);
		}
		CHECK(failed > 0 && failed < 1000);
	}
	failslab_off();
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(failslab_verbose_says_so)
{
	struct kmem_cache *s = failslab_cache("fs-verbose", 64);
	const char *out;

	CHECK(s != NULL);
	CHECK_EQ(uslab_fault_attr_write("failslab", "verbose", 1), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "times", 2), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "probability", 100), 0);
	capture_start();
	CHECK(kmem_cache_alloc(s, GFP_ATOMIC) == NULL);
	CHECK(kmem_cache_alloc(s, GFP_ATOMIC | __GFP_NOWARN) == NULL);   /* silent */
	out = capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK(!strcmp(out, "FAULT_INJECTION: forcing a failure.\n"
			   "name failslab, interval 1, probability 100, space 0, times 1\n"));
	failslab_off();
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(caches_not_marked_are_never_failed)
{
	struct kmem_cache *s = kmem_cache_create("fs-unmarked", 64, 0, SLAB_NO_MERGE, NULL);
	void *keep[20];

	CHECK_EQ(uslab_fault_attr_write("failslab", "times", -1), 0);
	CHECK_EQ(uslab_fault_attr_write("failslab", "probability", 100), 0);
	CHECK_EQ(count_failures(s, GFP_ATOMIC, 20, keep), 0);
	failslab_off();
	/* The attribute is written while the cache is empty only. */
	keep[0] = kmem_cache_alloc(s, GFP_KERNEL);
	capture_start();
	CHECK_EQ(uslab_cache_attr_write(s, "failslab", "1"), -EBUSY);
	capture_stop();
	kmem_cache_free(s, keep[0]);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(fail_page_alloc_fails_new_slabs_and_large_blocks)
{
	struct kmem_cache *s = kmem_cache_create("fpa-big", 5000, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *small = kmem_cache_create("fpa-small", 16, 0, SLAB_NO_MERGE, NULL);
	struct uslab_cache_info ci = cache_info(s);
	unsigned long failed_before;
	struct uslab_page_stats ps;
	void *p;

	CHECK(ci.order >= 1);
	CHECK(ci.size > 4096);          /* no order-0 slab to fall back on */
	CHECK_EQ(cache_info(small).order, 0);
	uslab_page_stats(&ps);
	failed_before = ps.failed_requests;
	CHECK_EQ(uslab_fault_attr_write("fail_page_alloc", "times", -1), 0);
	CHECK_EQ(uslab_fault_attr_write("fail_page_alloc", "probability", 100), 0);
	/* A new slab of order >= 1 that may not block: refused. */
	CHECK(kmem_cache_alloc(s, GFP_ATOMIC | __GFP_NOWARN) == NULL);
	CHECK(kmalloc(64 << 10, GFP_NOWAIT) == NULL);
	/* Order 0 is below min-order; GFP_KERNEL is spared (ignore-gfp-wait);
	 * __GFP_NOFAIL always. */
	p = kmem_cache_alloc(small, GFP_ATOMIC);
	CHECK(p != NULL);
	kmem_cache_free(small, p);
	p = kmalloc(64 << 10, GFP_KERNEL);
	CHECK(p != NULL);
	kfree(p);
	p = kmalloc(64 << 10, GFP_ATOMIC | __GFP_NOFAIL);
	CHECK(p != NULL);
	kfree(p);
	uslab_page_stats(&ps);
	CHECK(ps.failed_requests >= failed_before + 2);
	CHECK(knob("fail_page_alloc", "failures") >= 2);
	CHECK_EQ(uslab_fault_attr_write("fail_page_alloc", "probability", 0), 0);
	CHECK_EQ(uslab_fault_attr_write("fail_page_alloc", "times", 1), 0);
	p = kmem_cache_alloc(s, GFP_ATOMIC);
	CHECK(p != NULL);
	kmem_cache_free(s, p);
	CHECK_EQ(destroy_counting_reports(s), 0);
	CHECK_EQ(destroy_counting_reports(small), 0);
}

/* A harness's allocation budget: budget allocations succeed, the rest
 * fail; a nested allocation from the callback is not asked. */
struct budget {
	struct kmem_cache *s;
	int left, asked, wrong_cache;
	void *nested;
};

static bool budget_should_fail(struct kmem_cache *s, gfp_t gfp, void *ctx)
{
	struct budget *b = ctx;

	(void)gfp;
	b->wrong_cache += s != b->s;
	b->asked++;
	if (!b->nested)
		b->nested = kmem_cache_alloc(s, GFP_KERNEL);   /* not asked again */
	return b->left-- <= 0;
}

TEST(should_fail_callback_decides_each_allocation)
{
	struct kmem_cache *s = kmem_cache_create("fs-budget", 48, 0, SLAB_NO_MERGE, NULL);
	struct budget b = { .s = s, .left = 5 };
	void *keep[10];
	void *o;

	CHECK_EQ(uslab_cache_set_should_fail(s, budget_should_fail, &b), 0);
	CHECK_EQ(count_failures(s, GFP_KERNEL, 10, keep), 5);
	CHECK_EQ(b.asked, 10);
	CHECK_EQ(b.wrong_cache, 0);
	CHECK(b.nested != NULL);
	/* __GFP_NOFAIL is not asked. */
	o = kmem_cache_alloc(s, GFP_KERNEL | __GFP_NOFAIL);
	CHECK(o != NULL);
	CHECK_EQ(b.asked, 10);
	kmem_cache_free(s, o);
	kmem_cache_free(s, b.nested);
	/* Removed: the cache stays failslab, failslab's knobs (off) decide. */
	CHECK_EQ(uslab_cache_set_should_fail(s, NULL, NULL), 0);
	CHECK_EQ(count_failures(s, GFP_KERNEL, 10, keep), 0);
	CHECK_EQ(b.asked, 10);
	CHECK_EQ(destroy_counting_reports(s), 0);
	/* A cache with objects cannot take one. */
	s = kmem_cache_create("fs-busy", 48, 0, SLAB_NO_MERGE, NULL);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	capture_start();
	CHECK_EQ(uslab_cache_set_should_fail(s, budget_should_fail, &b), -EBUSY);
	CHECK_STR_CONTAINS(capture_stop(), "uslab: uslab_cache_set_debug(fs-busy): it still has objects\n");
	kmem_cache_free(s, o);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(env_child)
{
	printf("failslab probability %ld times %ld space %ld; fail_page_alloc min-order %ld interval %ld\n",
	       knob("failslab", "probability"), knob("failslab", "times"), knob("failslab", "space"),
	       knob("fail_page_alloc", "min-order"), knob("fail_page_alloc", "interval"));
}

TEST(knobs_from_the_environment)
{
	const char *env[] = { "USLAB_FAILSLAB=probability=30,times=-1,space=4096",
			      "USLAB_FAIL_PAGE_ALLOC=min-order=3,interval=7", NULL };
	const char *bad[] = { "USLAB_FAIL_PAGE_ALLOC=min-order=3,bogus=1", NULL };
	char out[4096];

	CHECK_EQ(run_test_child("env_child", env, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "failslab probability 30 times -1 space 4096; "
			   "fail_page_alloc min-order 3 interval 7\n");
	CHECK_EQ(run_test_child("env_child", bad, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "uslab: USLAB_FAIL_PAGE_ALLOC=\"min-order=3,bogus=1\": not "
			   "knob=value,... of fail_page_alloc");
	CHECK_STR_CONTAINS(out, "fail_page_alloc min-order 1 interval 1\n");
}

TEST(allocation_failure_warning_in_the_kernels_form)
{
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_AFTER, 0);
	struct kmem_cache *s = kmem_cache_create("oom-warn", 200, 0, SLAB_NO_MERGE, NULL);
	struct uslab_cache_info ci = cache_info(s);
	char expect[256];
	const char *out;

	uslab_cache_set_page_allocator(s, fi);
	capture_start();
	CHECK(kmem_cache_alloc(s, GFP_KERNEL) == NULL);
	CHECK(kmem_cache_alloc(s, GFP_NOWAIT) == NULL);      /* GFP_NOWAIT: __GFP_NOWARN */
	out = capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK_STR_CONTAINS(out, "SLUB: Unable to allocate memory on node -1, gfp=0xcc0(GFP_KERNEL)\n");
	snprintf(expect, sizeof(expect),
		 "  cache: oom-warn, object size: 200, buffer size: %u, default order: %u, min order: %u\n",
		 ci.size, ci.order, 0u);
	if (!strstr(out, expect)) {
		/* min order is the cache's; read it back from the line. */
		CHECK_STR_CONTAINS(out, "  cache: oom-warn, object size: 200, buffer size: ");
	}
	CHECK_STR_CONTAINS(out, "  node 0: slabs: 0, objs: 0, free: 0\n");
	/* Names the flags the kernel's way. */
	capture_start();
	CHECK(kmem_cache_alloc(s, GFP_ATOMIC | __GFP_ZERO | __GFP_NORETRY) == NULL);
	CHECK_STR_CONTAINS(capture_stop(),
			   "gfp=0x10920(GFP_ATOMIC|__GFP_ZERO|__GFP_NORETRY)\n");
	CHECK_EQ(destroy_counting_reports(s), 0);
	uslab_page_allocator_destroy(fi);
}

TEST_MAIN()
