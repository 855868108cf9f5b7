/*
 * test_soundness.c - regressions of the sound-core work: each test is a
 * defect that an outside review or an adversarial run found (bad frees
 * taken silently, slow paths that re-enter, reclaim from the wrong
 * places, misuse that crashed), and each fails on the code before the
 * fix.  Runs under both personalities like every behaviour test.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>

#include "check.h"
#include "fastpath.h"

/* ---------------------------------------------------------- tail slots */

/* The slot boundary just past the last object of p's slab, if it lies
 * inside the slab (tail waste, or a unified slab's bitmap); NULL if the
 * objects fill the slab exactly. */
static char *tail_slot(struct kmem_cache *s, void *p)
{
	struct slab *slab = virt_to_slab(p);
	char *base = slab_address(slab);
	char *tail = base + s->red_left_pad + (size_t)slab_objects(slab) * s->size;

	return tail < base + slab_bytes(slab) ? tail : NULL;
}

static int tails_checked;

static void check_tail_slot_refused(size_t size)
{
	struct kmem_cache *s = uslab_kmalloc_cache(size);
	unsigned int objs = cache_info(s).objs_per_slab;
	void **held = calloc(4 * objs, sizeof(void *));
	char *p = kmalloc(size, GFP_KERNEL), *tail = tail_slot(s, p);
	const char *text;

	CHECK(held);
	if (!tail) {
		kfree(p);
		free(held);
		return;
	}
	tails_checked++;
	capture_start();
	kfree(tail);
	text = capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK_BUG_STARTS(text, s->name, "Invalid object pointer");
	/* The slot was not taken: no allocation returns it. */
	for (unsigned int i = 0; i < 4 * objs; i++) {
		held[i] = kmalloc(size, GFP_KERNEL);
		CHECK(held[i] != tail);
	}
	for (unsigned int i = 0; i < 4 * objs; i++)
		kfree(held[i]);
	kfree(p);
	free(held);
}

/* kmalloc-96: 42 objects and 64 bytes of tail in a page; kmalloc-8 in a
 * unified slab: the bitmap words at the end sit on slot boundaries. */
TEST(kfree_of_a_tail_slot_is_refused)
{
	check_tail_slot_refused(96);
	check_tail_slot_refused(8);
	check_tail_slot_refused(192);
	check_tail_slot_refused(16);
	CHECK(tails_checked >= 1);
}

/* kmem_cache_free() checks nothing on the fast path (SLUB's contract),
 * but a unified sheaf that took such a pointer must not set a bit past
 * the bitmap when it flushes: that slot would be handed out later. */
TEST(unified_flush_never_sets_a_bit_past_the_bitmap)
{
	struct kmem_cache *s = kmem_cache_create("tail-96", 96, 8, SLAB_NO_MERGE | SLAB_UNIFIED,
						 NULL);
	const char *text;
	unsigned int objs = cache_info(s).objs_per_slab;
	void **held = calloc(4 * objs, sizeof(void *));
	char *p = kmem_cache_alloc(s, GFP_KERNEL), *tail = tail_slot(s, p);

	CHECK(held && tail);
	/* Under ASan the unchecked fast path poisons the bad object's bytes,
	 * past the slab's end: the misuse is the point, not the poisoning. */
	if (TEST_ASAN) {
		kmem_cache_free(s, p);
		free(held);
		kmem_cache_destroy(s);
		return;
	}
	capture_start();
	kmem_cache_free(s, tail);
	uslab_thread_flush();
	text = capture_stop();
	CHECK_BUG_STARTS(text, "tail-96", "Invalid object pointer");
	for (unsigned int i = 0; i < 4 * objs; i++) {
		held[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(held[i] != tail);
	}
	for (unsigned int i = 0; i < 4 * objs; i++)
		kmem_cache_free(s, held[i]);
	kmem_cache_free(s, p);
	free(held);
	capture_start();
	kmem_cache_destroy(s);
	capture_stop();
}

/* ------------------------------------------------------ smaller ones */

TEST(kmalloc_size_roundup_never_wraps)
{
	CHECK_EQ(kmalloc_size_roundup(SIZE_MAX), SIZE_MAX);
	CHECK_EQ(kmalloc_size_roundup(SIZE_MAX - 100), SIZE_MAX - 100);
	CHECK_EQ(kmalloc_size_roundup(SIZE_MAX - 4095), SIZE_MAX - 4095);
	CHECK_EQ(kmalloc_size_roundup(3 << 20), 3 << 20);
	CHECK_EQ(kmalloc_size_roundup(1), 8);
}

TEST(interior_pointer_deep_in_a_huge_object)
{
	size_t bytes = 10 << 20;
	char *p = kmalloc(bytes, GFP_KERNEL);
	const char *text;

	CHECK(p);
	p[bytes - 1] = 1;
	capture_start();
	kfree(p + (6 << 20));
	kfree(p + (9 << 20) + 8);
	text = capture_stop();
	CHECK_EQ(capture_count(), 2);
	CHECK_STR_CONTAINS(text, "in kfree: pointer inside a large object, not its start");
	CHECK(!strstr(text, "not allocated by uslab"));
	CHECK_EQ(p[bytes - 1], 1);
	kfree(p);
}

/* The one rule: an empty slab stays while fewer than min_partial others
 * are on the node's partial list. */
static void check_min_partial_kept(slab_flags_t flags, const char *name)
{
	struct kmem_cache *s = kmem_cache_create(name, 256, 0, SLAB_NO_MERGE | flags, NULL);
	unsigned int objs = cache_info(s).objs_per_slab, n = 10 * objs;
	void **p = calloc(n, sizeof(void *));

	CHECK(p);
	CHECK_EQ(uslab_cache_attr_write(s, "min_partial", "3"), 0);
	for (unsigned int i = 0; i < n; i++)
		CHECK(p[i] = kmem_cache_alloc(s, GFP_KERNEL));
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	uslab_thread_flush();
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(cache_info(s).nr_slabs, 3);
	CHECK_EQ(cache_info(s).nr_partial, 3);
	CHECK_EQ(destroy_counting_reports(s), 0);
	free(p);
}

TEST(empty_slabs_kept_by_one_rule)
{
	check_min_partial_kept(SLAB_SLUB, "minpartial-slub");
	check_min_partial_kept(SLAB_CONSISTENCY_CHECKS, "minpartial-debug");
}

TEST(unified_double_free_report_has_no_free_pointer)
{
	struct kmem_cache *s = kmem_cache_create("df-unified", 64, 0, SLAB_UNIFIED | SLAB_NO_MERGE,
						 NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	kmem_cache_free(s, p);
	capture_start();
	kmem_cache_free(s, p);
	text = capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK_BUG_STARTS(text, "df-unified", "Object already free");
	CHECK(!strstr(text, "fp="));
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* ---------------------------------------------------- cheap misuse */

TEST(null_cache_alloc_and_free)
{
	struct kmem_cache *s = kmem_cache_create("nullfree", 48, 0, SLAB_NO_MERGE, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	capture_start();
	CHECK(!kmem_cache_alloc(NULL, GFP_KERNEL));
	CHECK(!kmem_cache_zalloc(NULL, GFP_KERNEL));
	CHECK(!kmem_cache_alloc_node(NULL, GFP_KERNEL, 0));
	text = capture_stop();
	CHECK_EQ(capture_count(), 3);
	CHECK_STR_CONTAINS(text, "uslab: kmem_cache_alloc(NULL): no cache; returning NULL\n");
	CHECK_STR_CONTAINS(text, "uslab: kmem_cache_zalloc(NULL): no cache; returning NULL\n");
	CHECK_EQ(cache_info(s).active_objs, 1);
	capture_start();
	kmem_cache_free(NULL, p);       /* the descriptor knows the cache */
	capture_stop();
	CHECK_EQ(capture_count(), 0);
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(second_destroy_is_reported)
{
	struct kmem_cache *s = kmem_cache_create("destroyed-twice", 72, 0, SLAB_NO_MERGE, NULL);
	char line[160];
	const char *text;

	kmem_cache_destroy(s);
	capture_start();
	kmem_cache_destroy(s);
	text = capture_stop();
	CHECK_EQ(capture_count(), 1);
	snprintf(line, sizeof(line),
		 "uslab: kmem_cache_destroy(%p): not a live cache (destroyed twice?); ignored\n",
		 (void *)s);
	CHECK_STR_CONTAINS(text, line);
}

TEST(ksize_and_krealloc_of_foreign_pointers)
{
	static char not_ours[64];
	char line[160];
	const char *text;

	capture_start();
	CHECK_EQ(ksize(not_ours), 0);
	CHECK(!krealloc(not_ours, 100, GFP_KERNEL));
	text = capture_stop();
	CHECK_EQ(capture_count(), 2);
	snprintf(line, sizeof(line), "Invalid pointer %p in ksize: not allocated by uslab",
		 (void *)not_ours);
	CHECK_BUG(text, "uslab", line);
	snprintf(line, sizeof(line), "Invalid pointer %p in krealloc: not allocated by uslab",
		 (void *)not_ours);
	CHECK_BUG(text, "uslab", line);
	CHECK(!strstr(text, "Invalid free"));
}

/* Fault injection follows the kernel's failslab: never __GFP_NOFAIL,
 * never uslab's own caches, and by default only allocations that may
 * not block. */
TEST(failslab_follows_gfp)
{
	struct kmem_cache *s;
	int fails = 0;

	uslab_debug_config("A,failslab-gfp");
	s = kmem_cache_create("failslab-gfp", 64, 0, 0, NULL);
	uslab_debug_config("");
	uslab_failslab(1, -1);
	for (int i = 0; i < 8; i++) {
		void *p = kmem_cache_alloc(s, GFP_KERNEL);

		CHECK(p);
		kmem_cache_free(s, p);
		p = kmem_cache_alloc(s, GFP_NOWAIT | __GFP_NOFAIL);
		CHECK(p);
		kmem_cache_free(s, p);
		p = kmem_cache_alloc(s, GFP_ATOMIC);
		fails += !p;
		kmem_cache_free(s, p);
	}
	uslab_failslab_ignore_gfp_wait(0);
	CHECK(!kmem_cache_alloc(s, GFP_KERNEL));
	uslab_failslab_ignore_gfp_wait(1);
	uslab_failslab(0, 0);
	CHECK_EQ(fails, 8);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* A child started with every cache failing on every allocation. */
TEST(failslab_everywhere_child)
{
	struct kmem_cache *s = kmem_cache_create("child-cache", 40, 0, 0, NULL);
	void *p = kmalloc(100, GFP_KERNEL);

	CHECK(s && p);
	kfree(p);
	if (getenv("USLAB_DEBUG"))
		CHECK(!kmalloc(100, GFP_NOWAIT));
	kmem_cache_destroy(s);
	printf("failslab child ran\n");
}

TEST(failslab_at_start_spares_uslab_itself)
{
	static char out[16384];
	const char *env[] = { "USLAB_DEBUG=A", "USLAB_FAILSLAB=1", NULL };
	const char *bad[] = { "USLAB_FAILSLAB=-1", NULL };

	CHECK_EQ(run_test_child("failslab_everywhere_child", env, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "failslab child ran");
	CHECK_EQ(run_test_child("failslab_everywhere_child", bad, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "uslab: USLAB_FAILSLAB=\"-1\" is not \"interval[,times]\"; ignored\n");
}

/* ------------------------------------------------------ promises kept */

/* Until RCU grace periods exist, a SLAB_TYPESAFE_BY_RCU cache keeps every
 * slab it ever had: a lockless reader may look at a freed object, whose
 * memory must stay an object of this type. */
TEST(typesafe_by_rcu_cache_never_gives_a_slab_away)
{
	struct kmem_cache *s = kmem_cache_create("typesafe", 128, 0,
						 SLAB_TYPESAFE_BY_RCU | SLAB_NO_MERGE, NULL);
	unsigned int n = 20 * cache_info(s).objs_per_slab;
	void **p = calloc(n, sizeof(void *));
	unsigned long slabs, pages;

	CHECK(p);
	for (unsigned int i = 0; i < n; i++) {
		CHECK(p[i] = kmem_cache_alloc(s, GFP_KERNEL));
		memset(p[i], 0x5a, 128);
	}
	slabs = cache_info(s).nr_slabs;
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	uslab_thread_flush();
	kmem_cache_shrink(s);
	uslab_reclaim(NULL);
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(cache_info(s).nr_slabs, slabs);
	/* Still this cache's slabs, still mapped. */
	for (unsigned int i = 0; i < n; i++)
		CHECK(virt_to_slab(p[i])->slab_cache == s);
	pages = pages_in_use();
	CHECK_EQ(destroy_counting_reports(s), 0);
	CHECK(pages_in_use() < pages);
	free(p);
}

static int overcommit_mode(void)
{
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	int mode = -1;

	if (f) {
		if (fscanf(f, "%d", &mode) != 1)
			mode = -1;
		fclose(f);
	}
	return mode;
}

/* A request no machine here can back fails as glibc's does, unless the
 * kernel is told to overcommit always. */
TEST(impossible_request_fails)
{
	void *p;

	if (overcommit_mode() == 1)
		return;
	errno = 0;
	p = kmalloc(1UL << 40, GFP_KERNEL | __GFP_NOWARN);
	CHECK(!p);
	CHECK_EQ(errno, ENOMEM);
	CHECK(!kmalloc((1UL << 46) + 12345, GFP_KERNEL | __GFP_NOWARN));
	p = kmalloc(64 << 20, GFP_KERNEL);
	CHECK(p);
	kfree(p);
}

TEST_MAIN()
