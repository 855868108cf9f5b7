/*
 * test_soundness.c - regressions of the sound-core work: each test is a
 * defect that an outside review or an adversarial run found (bad frees
 * taken silently, slow paths that re-enter, reclaim from the wrong
 * places, misuse that crashed), and each fails on the code before the
 * fix.  Runs under both personalities like every behaviour test.
 */
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#include "check.h"
#if defined(USLAB_TEST_SANITIZER)
#define USLAB_TEST_SANITIZER_SET 1
#else
#define USLAB_TEST_SANITIZER_SET 0
#endif
#include "cache/fastpath.h"
#include "base/meta.h"
#include "base/os.h"

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
	CHECK_STR_CONTAINS(out, "uslab: USLAB_FAILSLAB=\"-1\" is not \"interval[,times]\" or \"knob=value,...\"; ignored\n");
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

/* ------------------------------------------------ re-entry (defect 2) */

/* Every object of a set differs from every other: nothing handed out
 * twice. */
static int all_distinct(void **p, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			if (p[i] == p[j])
				return 0;
	return 1;
}

static struct kmem_cache *later_cache;
static int ctor_calls;

/* Allocates from a cache created after its own: the thread needs a new
 * page of entries while the outer slow path holds its entry. */
static void ctor_uses_later_cache(void *obj)
{
	void *q = kmem_cache_alloc(later_cache, GFP_KERNEL);

	ctor_calls++;
	memset(obj, 0, 64);
	kmem_cache_free(later_cache, q);
}

static void *thread_ctor_grows_entries(void *arg)
{
	struct kmem_cache *a = arg;
	void *p[200];

	for (int i = 0; i < 200; i++)
		p[i] = kmem_cache_alloc(a, GFP_KERNEL);
	for (int i = 0; i < 200; i++)
		kmem_cache_free(a, p[i]);
	return all_distinct(p, 200) ? arg : NULL;
}

TEST(constructor_needing_new_entries_keeps_the_cpu_slab)
{
	struct kmem_cache *a = kmem_cache_create("ctor-grows", 64, 0, SLAB_NO_MERGE,
						 ctor_uses_later_cache);
	struct kmem_cache *filler[3 * CPU_ENTRIES_STEP];
	pthread_t th;
	void *ret;

	/* The later cache's entry lies pages of entries beyond a's. */
	for (unsigned int i = 0; i < ARRAY_SIZE(filler); i++)
		filler[i] = kmem_cache_create("ctor-filler", 32 + 8 * i, 0, SLAB_NO_MERGE, NULL);
	later_cache = kmem_cache_create("ctor-later", 48, 0, SLAB_NO_MERGE, NULL);
	CHECK(later_cache->cpu_index / CPU_ENTRIES_STEP > a->cpu_index / CPU_ENTRIES_STEP);
	/* A fresh thread: its first allocation from a makes the slab. */
	CHECK_EQ(pthread_create(&th, NULL, thread_ctor_grows_entries, a), 0);
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK(ret == a);
	CHECK(ctor_calls > 0);
	CHECK_EQ(cache_info(a).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(a), 0);
	CHECK_EQ(destroy_counting_reports(later_cache), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(filler); i++)
		kmem_cache_destroy(filler[i]);
}

static struct kmem_cache *self_cache;
static void *self_obj;

/* Allocates from its own cache, once: the nested allocation makes a slab
 * of its own while the outer one is being built. */
static void ctor_uses_own_cache(void *obj)
{
	memset(obj, 0x11, 96);
	if (!self_obj && self_cache) {
		self_obj = (void *)1;
		self_obj = kmem_cache_alloc(self_cache, GFP_KERNEL);
	}
}

TEST(constructor_allocating_from_its_own_cache)
{
	enum { N = 600 };
	void **p = calloc(N + 1, sizeof(void *));

	self_obj = NULL;
	self_cache = kmem_cache_create("ctor-self", 96, 0, SLAB_NO_MERGE, ctor_uses_own_cache);
	CHECK(p);
	for (int i = 0; i < N; i++)
		CHECK(p[i] = kmem_cache_alloc(self_cache, GFP_KERNEL));
	CHECK(self_obj && self_obj != (void *)1);
	p[N] = self_obj;
	CHECK(all_distinct(p, N + 1));
	for (int i = 0; i <= N; i++)
		kmem_cache_free(self_cache, p[i]);
	uslab_thread_flush();
	CHECK_EQ(cache_info(self_cache).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(self_cache), 0);
	self_cache = NULL;
	free(p);
}

static void *bump_epoch(void *arg)
{
	(void)arg;
	uslab_reclaim(NULL);
	return NULL;
}

static struct kmem_cache *other_cache;
static int epoch_ctor_armed;

/* Inside the outer slow path: another thread asks every thread to give
 * back its caches, then this one allocates from a cache it has no entry
 * state for (a nested slow path, which must not answer the epoch), and
 * reclaims outright (which must not flush the thread's own caches). */
static void ctor_meets_a_reclaim(void *obj)
{
	pthread_t th;
	void *q;

	memset(obj, 0, 64);
	if (!epoch_ctor_armed)
		return;
	epoch_ctor_armed = 0;
	pthread_create(&th, NULL, bump_epoch, NULL);
	pthread_join(th, NULL);
	q = kmem_cache_alloc(other_cache, GFP_KERNEL);
	kmem_cache_free(other_cache, q);
	uslab_reclaim(NULL);
}

TEST(constructor_meets_a_reclaim)
{
	enum { N = 400 };
	struct kmem_cache *s = kmem_cache_create("ctor-reclaim", 64, 0, SLAB_NO_MERGE,
						 ctor_meets_a_reclaim);
	void **p = calloc(N, sizeof(void *));

	other_cache = kmem_cache_create("ctor-reclaim-other", 200, 0, SLAB_NO_MERGE, NULL);
	CHECK(p);
	for (int round = 0; round < 3; round++) {
		uslab_thread_flush();
		kmem_cache_shrink(s);
		kmem_cache_shrink(other_cache);
		epoch_ctor_armed = 1;
		for (int i = 0; i < N; i++)
			CHECK(p[i] = kmem_cache_alloc(s, GFP_KERNEL));
		CHECK(all_distinct(p, N));
		for (int i = 0; i < N; i++)
			kmem_cache_free(s, p[i]);
	}
	uslab_thread_flush();
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
	CHECK_EQ(destroy_counting_reports(other_cache), 0);
	free(p);
}

/* Past the first CPU_FAST_ENTRIES cache indexes, entries are reached
 * through a directory by the slow paths: everything still works, and the
 * entries stay put while more are added. */
static void *use_far_caches(void *arg)
{
	struct kmem_cache **far = arg;
	void *p[3][50];

	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 50; i++)
			if (!(p[k][i] = kmem_cache_alloc(far[k], GFP_KERNEL)))
				return NULL;
	for (int k = 0; k < 3; k++) {
		if (!all_distinct(p[k], 50))
			return NULL;
		for (int i = 0; i < 50; i++)
			kmem_cache_free(far[k], p[k][i]);
	}
	return arg;
}

TEST(caches_beyond_the_fast_block)
{
	enum { N = CPU_FAST_ENTRIES + 40 };
	struct kmem_cache **caches = calloc(N, sizeof(*caches)), *far[3];
	pthread_t th;
	void *ret;

	CHECK(caches);
	for (int i = 0; i < N; i++)
		CHECK(caches[i] = kmem_cache_create("far", 24, 0, SLAB_NO_MERGE, NULL));
	far[0] = caches[N - 1];
	far[1] = caches[N - 30];
	far[2] = caches[N - 39];
	CHECK(far[2]->cpu_index >= CPU_FAST_ENTRIES);
	CHECK(use_far_caches(far) == far);
	CHECK_EQ(pthread_create(&th, NULL, use_far_caches, far), 0);
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK(ret == far);
	for (int k = 0; k < 3; k++) {
		CHECK_EQ(cache_info(far[k]).active_objs, 0);
		CHECK(uslab_cache_stat(far[k], USLAB_STAT_ALLOC_SLOWPATH) +
		      uslab_cache_stat(far[k], USLAB_STAT_ALLOC_FASTPATH) >= 100);
	}
	for (int i = 0; i < N; i++)
		CHECK_EQ(destroy_counting_reports(caches[i]), 0);
	free(caches);
}

/* ------------------------------------------- reclaim gating (defect 3) */

static int gate_scans;

static unsigned long gate_count(struct shrinker *sh, struct shrink_control *sc)
{
	(void)sh; (void)sc;
	gate_scans++;
	return 0;
}

static unsigned long gate_scan(struct shrinker *sh, struct shrink_control *sc)
{
	(void)sh; (void)sc;
	return 0;
}

static struct shrinker gate_shrinker = { .count_objects = gate_count, .scan_objects = gate_scan };

static struct kmem_cache *failing_cache;

static void ctor_allocates_from_failing(void *obj)
{
	void *q = kmem_cache_alloc(failing_cache, GFP_KERNEL);

	memset(obj, 0, 32);
	kmem_cache_free(failing_cache, q);
}

TEST(reclaim_only_where_an_allocation_may_block)
{
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_AFTER, 0);
	struct kmem_cache *s = kmem_cache_create("gated", 300, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *outer = kmem_cache_create("gated-outer", 32, 0, SLAB_NO_MERGE,
						     ctor_allocates_from_failing);
	unsigned long before = uslab_reclaim_count();
	void *p;

	failing_cache = s;
	uslab_cache_set_page_allocator(s, fi);
	CHECK_EQ(register_shrinker(&gate_shrinker, "gate"), 0);
	gate_scans = 0;
	capture_start();
	CHECK(!kmem_cache_alloc(s, GFP_NOWAIT));
	CHECK(!kmem_cache_alloc(s, GFP_ATOMIC));
	CHECK_EQ(gate_scans, 0);
	CHECK_EQ(uslab_reclaim_count(), before);
	/* A constructor's allocation is nested: it may not reclaim either. */
	p = kmem_cache_alloc(outer, GFP_KERNEL);
	CHECK(p);
	kmem_cache_free(outer, p);
	CHECK_EQ(gate_scans, 0);
	CHECK_EQ(uslab_reclaim_count(), before);
	/* A plain GFP_KERNEL allocation does. */
	CHECK(!kmem_cache_alloc(s, GFP_KERNEL));
	capture_stop();
	CHECK_EQ(gate_scans, 1);
	CHECK_EQ(uslab_reclaim_count(), before + 1);
	unregister_shrinker(&gate_shrinker);
	kmem_cache_destroy(outer);
	kmem_cache_destroy(s);
	uslab_page_allocator_destroy(fi);
}

/* ----------------------------------------- any number of shrinkers (4) */

#define NR_MANY_SHRINKERS 150
static struct shrinker many[NR_MANY_SHRINKERS];
static int many_counts[NR_MANY_SHRINKERS];

static unsigned long many_count(struct shrinker *sh, struct shrink_control *sc)
{
	int i = (int)(sh - many);

	(void)sc;
	many_counts[i]++;
	/* The 10th leaves from inside its own callback, and takes the 11th
	 * (not yet visited: registered before it) with it. */
	if (i == 10) {
		unregister_shrinker(&many[10]);
		unregister_shrinker(&many[9]);
	}
	return 0;
}

TEST(every_shrinker_is_asked)
{
	for (int i = 0; i < NR_MANY_SHRINKERS; i++) {
		many[i].count_objects = many_count;
		many[i].scan_objects = gate_scan;
		CHECK_EQ(register_shrinker(&many[i], "many"), 0);
	}
	uslab_reclaim(NULL);
	for (int i = 0; i < NR_MANY_SHRINKERS; i++)
		CHECK_EQ(many_counts[i], i == 9 ? 0 : 1);
	uslab_reclaim(NULL);
	for (int i = 0; i < NR_MANY_SHRINKERS; i++)
		CHECK_EQ(many_counts[i], i == 9 ? 0 : i == 10 ? 1 : 2);
	for (int i = 0; i < NR_MANY_SHRINKERS; i++)
		if (i != 9 && i != 10)
			unregister_shrinker(&many[i]);
}

/* ---------------------------- a thread met in the last round (defect 7) */

static pthread_key_t late_key;
static struct kmem_cache *late_cache;

/* Re-arms itself until glibc's last round, then makes the thread's first
 * uslab call: uslab's own key destructor will not be called. */
static void late_destructor(void *v)
{
	intptr_t round = (intptr_t)v;

	if (round < _POSIX_THREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(late_key, (void *)(round + 1));
		return;
	}
	kmem_cache_free(late_cache, kmem_cache_alloc(late_cache, GFP_KERNEL));
}

static void *late_thread(void *arg)
{
	(void)arg;
	pthread_setspecific(late_key, (void *)1);
	return NULL;
}

static unsigned int thread_list_length(void)
{
	struct list_head *pos;
	unsigned int n = 0;

	spin_lock(&thread_list_lock);
	/* Threads only: a CPU's registration (cpu mode) comes at the first
	 * slow path on that CPU and stays. */
	for (pos = thread_list.next; pos != &thread_list; pos = pos->next)
		n += !list_entry(pos, struct thread_reg, list)->is_cpu;
	spin_unlock(&thread_list_lock);
	return n;
}

TEST(thread_first_seen_in_the_last_destructor_round)
{
	unsigned int before;
	pthread_t th;

	/* ThreadSanitizer finishes a thread from its own key destructor in
	 * the last round: work done in that round after it faults in TSan. */
#if defined(__SANITIZE_THREAD__)
	return;
#endif
	late_cache = kmem_cache_create("late", 56, 0, SLAB_NO_MERGE, NULL);
	kmem_cache_free(late_cache, kmem_cache_alloc(late_cache, GFP_KERNEL));
	before = thread_list_length();
	CHECK_EQ(pthread_key_create(&late_key, late_destructor), 0);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(pthread_create(&th, NULL, late_thread, NULL), 0);
		CHECK_EQ(pthread_join(th, NULL), 0);
	}
	/* Reclaim (and destroy) walk every thread: the dead are flushed and
	 * forgotten there.  A thread the kernel has not released yet (its
	 * exit is past pthread_join's wake-up but tgkill still finds it) is
	 * forgotten by a later walk: walk until it is, boundedly. */
	uslab_reclaim(NULL);
	for (int i = 0; i < 2000 && thread_list_length() != before; i++) {
		usleep(1000);
		uslab_reclaim(NULL);
	}
	CHECK_EQ(thread_list_length(), before);
	CHECK_EQ(cache_info(late_cache).cpu_slabs, 0);
	CHECK_EQ(destroy_counting_reports(late_cache), 0);
	pthread_key_delete(late_key);
}

/* ------------------------------- reports with no lock held (defect 5) */

static struct kmem_cache *sink_cache;
static int sink_calls, sink_allocs;

/* A sink that allocates from the very cache the report is about. */
static void allocating_sink(void *ctx, const char *text)
{
	void *p[100];

	(void)ctx;
	(void)text;
	sink_calls++;
	for (int i = 0; i < 100; i++)
		p[i] = kmem_cache_alloc(sink_cache, GFP_KERNEL);
	for (int i = 0; i < 100; i++) {
		sink_allocs += p[i] != NULL;
		kmem_cache_free(sink_cache, p[i]);
	}
}

TEST(report_sink_may_allocate_from_the_reported_cache)
{
	void *p, *q;

	/* unified: the double free is found under list_lock at the flush. */
	sink_cache = kmem_cache_create("sink-unified", 64, 0, SLAB_UNIFIED | SLAB_NO_MERGE, NULL);
	sink_calls = sink_allocs = 0;
	uslab_set_report_sink(allocating_sink, NULL, NULL, NULL);
	p = kmem_cache_alloc(sink_cache, GFP_KERNEL);
	q = kmem_cache_alloc(sink_cache, GFP_KERNEL);
	kmem_cache_free(sink_cache, p);
	kmem_cache_free(sink_cache, q);
	kmem_cache_free(sink_cache, p);
	uslab_thread_flush();
	uslab_set_report_sink(NULL, NULL, NULL, NULL);
	CHECK(sink_calls >= 1);
	CHECK_EQ(sink_allocs, 100 * sink_calls);
	kmem_cache_destroy(sink_cache);

	/* debug: the red zone is checked under list_lock (ASan would stop
	 * the overwrite itself). */
	if (TEST_ASAN)
		return;
	sink_cache = kmem_cache_create("sink-debug", 64, 0, SLAB_RED_ZONE | SLAB_NO_MERGE, NULL);
	sink_calls = sink_allocs = 0;
	p = kmem_cache_alloc(sink_cache, GFP_KERNEL);
	((char *)p)[64] = 0x42;
	uslab_set_report_sink(allocating_sink, NULL, NULL, NULL);
	kmem_cache_free(sink_cache, p);
	uslab_set_report_sink(NULL, NULL, NULL, NULL);
	CHECK(sink_calls >= 1);
	CHECK_EQ(sink_allocs, 100 * sink_calls);
	capture_start();
	kmem_cache_destroy(sink_cache);
	capture_stop();
}

static int nested_reports;

/* A sink whose own work is reported: it is not called inside itself. */
static void reporting_sink(void *ctx, const char *text)
{
	static char not_ours[8];
	static int depth;

	(void)ctx;
	(void)text;
	CHECK(depth == 0);
	depth++;
	nested_reports++;
	if (nested_reports < 3)
		kfree(not_ours);
	depth--;
}

TEST(report_sink_that_reports)
{
	static char bogus[8];

	nested_reports = 0;
	uslab_set_report_sink(reporting_sink, NULL, NULL, NULL);
	kfree(bogus);
	uslab_set_report_sink(NULL, NULL, NULL, NULL);
	CHECK_EQ(nested_reports, 3);
}

/* ------------------------------------------------ the lock-rank checker */

TEST(wrong_lock_order_child)
{
	static spinlock_t inner = SPINLOCK_INIT(LOCK_RANK_LIST);

	if (!getenv("TEST_WRONG_ORDER"))
		return;
	kfree(kmalloc(8, GFP_KERNEL));          /* initialised: the checker is on */
	spin_lock(&inner);
	spin_lock(&thread_list_lock);           /* thread_list_lock ranks before list_lock */
	spin_unlock(&thread_list_lock);
	spin_unlock(&inner);
	printf("wrong order not caught\n");
}

TEST(wrong_lock_order_is_caught)
{
	static char out[4096];
	const char *env[] = { "USLAB_LOCKDEP=1", "TEST_WRONG_ORDER=1", NULL };

	CHECK(run_test_child("wrong_lock_order_child", env, out, sizeof(out)) != 0);
	CHECK_STR_CONTAINS(out, "uslab: lock order violation: taking thread_list_lock while holding node->list_lock\n");
	CHECK(!strstr(out, "wrong order not caught"));
}

/* --------------------------------- purging without the node lock (8) */

static int purge_hook_calls, purge_hook_allocs;

/* Runs where madvise runs: the page allocator must be free to use. */
static void allocating_purge_hook(void *addr, size_t size)
{
	struct uslab_page_allocator *pa = uslab_root_page_allocator();
	struct slab *run = pa->ops->alloc_pages(pa, 0, NUMA_NO_NODE, GFP_KERNEL, PAGE_LARGE);

	(void)addr;
	(void)size;
	purge_hook_calls++;
	if (run) {
		purge_hook_allocs++;
		pa->ops->free_pages(pa, run);
	}
}

TEST(purging_leaves_the_page_allocator_free)
{
	void *p[16];
	struct uslab_page_stats st;

	for (int i = 0; i < 16; i++)
		CHECK(p[i] = kmalloc(64 << 10, GFP_KERNEL));
	/* One stays: its segment is not empty, its free runs are purged
	 * (an empty segment would be unmapped whole instead). */
	for (int i = 1; i < 16; i++)
		kfree(p[i]);
	purge_hook_calls = purge_hook_allocs = 0;
	os_purge_hook = allocating_purge_hook;
	uslab_page_purge();
	os_purge_hook = NULL;
	kfree(p[0]);
	CHECK(purge_hook_calls > 0);
	CHECK_EQ(purge_hook_allocs, purge_hook_calls);
	/* Every free page was given back, even those the hook freed again
	 * meanwhile, or they wait for the next pass: none is lost. */
	uslab_page_purge();
	uslab_page_stats(&st);
	CHECK_EQ(st.pages_free_cached, 0);
}

/* ------------------------------------ interleaved double free (10) */

/* free(p); free(q); free(p): reported once, and nothing is handed out
 * twice afterwards. */
static void check_interleaved_double_free(struct kmem_cache *s, bool through_kfree)
{
	void *p, *q, *got[8];
	const char *text;

	p = s ? kmem_cache_alloc(s, GFP_KERNEL) : kmalloc(100, GFP_KERNEL);
	q = s ? kmem_cache_alloc(s, GFP_KERNEL) : kmalloc(100, GFP_KERNEL);
	CHECK(p && q);
	capture_start();
	if (through_kfree) {
		kfree(p);
		kfree(q);
		kfree(p);
	} else {
		kmem_cache_free(s, p);
		kmem_cache_free(s, q);
		kmem_cache_free(s, p);
	}
	text = capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK_STR_CONTAINS(text, "Object already free");
	for (int i = 0; i < 8; i++)
		got[i] = s ? kmem_cache_alloc(s, GFP_KERNEL) : kmalloc(100, GFP_KERNEL);
	CHECK(all_distinct(got, 8));
	for (int i = 0; i < 8; i++)
		if (s)
			kmem_cache_free(s, got[i]);
		else
			kfree(got[i]);
}

TEST(interleaved_double_free_is_caught)
{
	struct kmem_cache *s = kmem_cache_create("df-interleaved", 40, 0, SLAB_NO_MERGE, NULL);

	check_interleaved_double_free(s, false);
	check_interleaved_double_free(s, true);
	check_interleaved_double_free(NULL, true);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(interleaved_double_free_hardened_child)
{
	if (!getenv("TEST_HARDENED_CHILD"))
		return;
	test_interleaved_double_free_is_caught();
	if (!test_failed)
		printf("hardened double free caught\n");
}

TEST(interleaved_double_free_hardened)
{
	static char out[16384];
	const char *env[] = { "USLAB_FREELIST_HARDENED=1", "TEST_HARDENED_CHILD=1", NULL };

	CHECK_EQ(run_test_child("interleaved_double_free_hardened_child", env, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "hardened double free caught");
}

/* ------------------------- reports read other threads' sheaves (6) */

static struct kmem_cache *churn_cache;
static int churn_stop;

static void *churn(void *arg)
{
	void *p[300];

	(void)arg;
	while (!__atomic_load_n(&churn_stop, __ATOMIC_RELAXED)) {
		for (int i = 0; i < 300; i++)
			p[i] = kmem_cache_alloc(churn_cache, GFP_KERNEL);
		for (int i = 0; i < 300; i++)
			kmem_cache_free(churn_cache, p[i]);
		/* Sheaves go back and come anew: flushed and freed. */
		uslab_thread_flush();
	}
	return NULL;
}

/* cache_info and slabinfo read every thread's sheaves while their owners
 * swap, flush and free them: memory-safe and race-free (TSan runs it). */
TEST(reports_while_threads_churn)
{
	pthread_t th[2];
	struct uslab_cache_info ci;
	char buf[256];

	churn_cache = kmem_cache_create("churn", 48, 0, SLAB_UNIFIED | SLAB_NO_MERGE, NULL);
	__atomic_store_n(&churn_stop, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, churn, NULL), 0);
	for (int i = 0; i < 2000; i++) {
		CHECK_EQ(uslab_cache_info(churn_cache, &ci), 0);
		CHECK(ci.queued_objs <= ci.total_objs);
		if (i % 100 == 0)
			uslab_cache_attr_read(churn_cache, "objects", buf, sizeof(buf));
	}
	__atomic_store_n(&churn_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(destroy_counting_reports(churn_cache), 0);
}

/* ------------------- internal allocations failing, each in turn */

static struct kmem_cache *fault_caches[4];

static void fault_ctor(void *p)
{
	memset(p, 0x3c, 40);
}

static void *fault_worker(void *arg)
{
	intptr_t k = (intptr_t)arg;
	void *p[200];

	for (int round = 0; round < 3; round++) {
		int n = 0;

		for (int i = 0; i < 200; i++) {
			struct kmem_cache *s = fault_caches[(i + k) % 4];

			p[i] = s ? kmem_cache_alloc(s, GFP_KERNEL | __GFP_NOWARN) : NULL;
			n += p[i] != NULL;
		}
		for (int i = 0; i < 200; i++)
			for (int j = i + 1; j < 200; j++)
				if (p[i] && p[i] == p[j])
					return NULL;
		for (int i = 0; i < 200; i++)
			if (p[i])
				kmem_cache_free(fault_caches[(i + k) % 4], p[i]);
		(void)n;
	}
	return (void *)1;
}

/* The workload: caches of each kind, two threads, a destroy. */
TEST(meta_fault_child)
{
	const char *nth = getenv("TEST_META_FAULT");
	pthread_t th[2];
	void *ret[2];
	int dup = 0;

	if (!nth)
		return;
	kfree(kmalloc(8, GFP_KERNEL));
	meta_fail(strtoul(nth, NULL, 0));
	fault_caches[0] = kmem_cache_create("fault-slub", 40, 0, SLAB_SLUB | SLAB_NO_MERGE, fault_ctor);
	fault_caches[1] = kmem_cache_create("fault-unified", 24, 0, SLAB_UNIFIED | SLAB_NO_MERGE, NULL);
	fault_caches[2] = kmem_cache_create("fault-debug", 64, 0, SLAB_CONSISTENCY_CHECKS |
					    SLAB_RED_ZONE | SLAB_NO_MERGE, NULL);
	fault_caches[3] = kmem_cache_create("fault-many", 8, 0, SLAB_UNIFIED | SLAB_NO_MERGE, NULL);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, fault_worker, (void *)(intptr_t)(i + 1)))
			th[i] = 0;
	ret[0] = fault_worker(0) ? (void *)1 : NULL;
	for (int i = 0; i < 2; i++)
		if (th[i] && (pthread_join(th[i], &ret[1]), !ret[1]))
			dup = 1;
	if (!ret[0])
		dup = 1;
	if (fault_caches[2])
		CHECK_EQ(kmem_cache_validate(fault_caches[2]), 0);
	uslab_reclaim(NULL);
	for (int i = 0; i < 4; i++)
		kmem_cache_destroy(fault_caches[i]);
	CHECK(!dup);
	printf("meta allocations: %lu\nmeta child ok\n", meta_calls_since_fail());
}

TEST(internal_allocations_fail_each_in_turn)
{
	static char out[65536];
	unsigned long calls = 0;

	/* First with none failing, to count them; then each one failing. */
	for (unsigned long nth = 1000000; nth; nth = nth == 1000000 ? 1 : nth + 1) {
		char env[64];
		const char *envv[] = { env, NULL };
		const char *line;

		if (nth != 1000000 && nth > calls)
			break;
		snprintf(env, sizeof(env), "TEST_META_FAULT=%lu", nth);
		CHECK_EQ(run_test_child("meta_fault_child", envv, out, sizeof(out)), 0);
		CHECK_STR_CONTAINS(out, "meta child ok");
		CHECK(!strstr(out, "Object already free"));
		line = strstr(out, "meta allocations: ");
		CHECK(line);
		if (nth == 1000000)
			calls = strtoul(line + 18, NULL, 10);
	}
	CHECK(calls > 5);
}

/* ------------------------------- descriptors fenced off objects (9) */

/* A linear write out of an object toward the descriptor table faults on a
 * guard page instead of rewriting descriptors. */
static int write_faults(volatile char *where)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		*where = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	/* A sanitizer reports the fault itself and exits or aborts. */
	if (USLAB_TEST_SANITIZER_SET)
		return WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status));
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

TEST(segment_descriptors_are_fenced)
{
	char *p = kmalloc(8, GFP_KERNEL);
	char *seg = (char *)ptr_segment(p);
	size_t header = segment_header_pages() << PAGE_SHIFT;

	CHECK(p >= seg + header + PAGE_SIZE);
	if (!uslab_option_get(USLAB_OPT_SEGMENT_GUARDS)) {
		kfree(p);
		return;                     /* USLAB_SEGMENT_GUARDS=0 */
	}
	/* Below the first run: the guard after the table. */
	CHECK(write_faults(seg + header));
	CHECK(write_faults(seg + header + PAGE_SIZE - 1));
	/* Below the table: the guard that is part of the mapping. */
	CHECK(write_faults(seg - 1));
	/* The descriptors themselves stay writable for uslab. */
	CHECK(!write_faults(seg + header - 64 + 60));
	kfree(p);
}

/* ------------------------------------------- found in review */

TEST(destroying_a_merged_kmalloc_cache_twice)
{
	struct kmem_cache *a = kmem_cache_create("merged-twice", 64, 0, 0, NULL);
	void *p;

	if (!(cache_info(a).flags & SLAB_KMALLOC)) {
		kmem_cache_destroy(a);
		return;               /* not merged into kmalloc-64 here */
	}
	kmem_cache_destroy(a);
	capture_start();
	kmem_cache_destroy(a);
	CHECK_STR_CONTAINS(capture_stop(), "(destroyed twice?); ignored");
	p = kmalloc(64, GFP_KERNEL);
	CHECK(p);
	kfree(p);
	CHECK(uslab_kmalloc_cache(64) == a);
}

static struct shrinker rereg;

static unsigned long rereg_scan(struct shrinker *sh, struct shrink_control *sc)
{
	(void)sc;
	unregister_shrinker(sh);
	register_shrinker(sh, "again");
	return SHRINK_STOP;
}

static unsigned long one_count(struct shrinker *sh, struct shrink_control *sc)
{
	(void)sh;
	(void)sc;
	return 1;
}

TEST(shrinker_registered_again_by_its_own_callback)
{
	rereg.count_objects = one_count;
	rereg.scan_objects = rereg_scan;
	CHECK_EQ(register_shrinker(&rereg, "rereg"), 0);
	uslab_reclaim(NULL);
	CHECK_EQ(rereg.uslab_running, 0);
	unregister_shrinker(&rereg);          /* returns: nothing runs it */
	capture_start();
	unregister_shrinker(&rereg);
	CHECK_STR_CONTAINS(capture_stop(), "): not registered\n");
}

TEST(shrinker_registered_twice_is_refused)
{
	static struct shrinker twice = { .count_objects = one_count, .scan_objects = gate_scan };

	CHECK_EQ(register_shrinker(&twice, "twice"), 0);
	capture_start();
	CHECK_EQ(register_shrinker(&twice, "twice"), -1);
	CHECK_STR_CONTAINS(capture_stop(), "uslab: register_shrinker(twice): registered already\n");
	uslab_reclaim(NULL);                  /* the list is still a list */
	unregister_shrinker(&twice);
}

static int fork_pipe_in[2], fork_pipe_out[2];

static unsigned long blocking_count(struct shrinker *sh, struct shrink_control *sc)
{
	char c = 0;

	(void)sh;
	(void)sc;
	if (write(fork_pipe_in[1], &c, 1) != 1 || read(fork_pipe_out[0], &c, 1) != 1)
		return 0;
	return 0;
}

static struct shrinker fork_shrinker = { .count_objects = blocking_count, .scan_objects = gate_scan };

static void *reclaim_thread(void *arg)
{
	(void)arg;
	uslab_reclaim(NULL);
	return NULL;
}

/* fork() while another thread is inside a shrinker: the child may
 * unregister it (nothing runs it there). */
TEST(fork_during_a_shrinker_callback)
{
	pthread_t th;
	int status;
	pid_t pid;
	char c = 0;

	CHECK_EQ(pipe(fork_pipe_in), 0);
	CHECK_EQ(pipe(fork_pipe_out), 0);
	CHECK_EQ(register_shrinker(&fork_shrinker, "fork"), 0);
	CHECK_EQ(pthread_create(&th, NULL, reclaim_thread, NULL), 0);
	CHECK_EQ(read(fork_pipe_in[0], &c, 1), 1);     /* the callback runs */
	pid = fork();
	if (pid == 0) {
		alarm(10);
		unregister_shrinker(&fork_shrinker);
		_exit(0);
	}
	CHECK_EQ(write(fork_pipe_out[1], &c, 1), 1);
	pthread_join(th, NULL);
	unregister_shrinker(&fork_shrinker);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < 2; i++) {
		close(fork_pipe_in[i]);
		close(fork_pipe_out[i]);
	}
}

/* A callback unregisters its shrinker; another thread registers it again
 * while that callback still runs: the pin stays, nothing hangs. */
static struct shrinker moving;
static int moving_in[2], moving_out[2];

static unsigned long moving_count(struct shrinker *sh, struct shrink_control *sc)
{
	char c = 0;

	(void)sc;
	unregister_shrinker(sh);
	if (write(moving_in[1], &c, 1) != 1 || read(moving_out[0], &c, 1) != 1)
		return 0;
	return 0;
}

TEST(shrinker_registered_again_while_its_callback_runs)
{
	pthread_t th;
	char c = 0;

	CHECK_EQ(pipe(moving_in), 0);
	CHECK_EQ(pipe(moving_out), 0);
	moving.count_objects = moving_count;
	moving.scan_objects = gate_scan;
	CHECK_EQ(register_shrinker(&moving, "moving"), 0);
	CHECK_EQ(pthread_create(&th, NULL, reclaim_thread, NULL), 0);
	CHECK_EQ(read(moving_in[0], &c, 1), 1);      /* callback runs, unregistered */
	CHECK_EQ(register_shrinker(&moving, "moving"), 0);
	CHECK_EQ(write(moving_out[1], &c, 1), 1);
	pthread_join(th, NULL);
	CHECK_EQ(moving.uslab_running, 0);
	moving.count_objects = one_count;           /* the next reclaim finds no work */
	unregister_shrinker(&moving);
	for (int i = 0; i < 2; i++) {
		close(moving_in[i]);
		close(moving_out[i]);
	}
}

static struct kmem_cache *df_cache;

static void *double_free_thread(void *arg)
{
	void *p = kmem_cache_alloc(df_cache, GFP_KERNEL);

	(void)arg;
	kmem_cache_free(df_cache, p);
	kmem_cache_free(df_cache, p);         /* reported from inside the slow path */
	return NULL;
}

/* A report queued inside uslab leaves no buffer behind once delivered. */
TEST(queued_reports_leave_nothing_behind)
{
	unsigned long mapped, before, after;
	pthread_t th;

	df_cache = kmem_cache_create("df-threads", 40, 0, SLAB_NO_MERGE, NULL);
	capture_start();
	CHECK_EQ(pthread_create(&th, NULL, double_free_thread, NULL), 0);
	pthread_join(th, NULL);
	meta_stats(&mapped, &before);
	for (int i = 0; i < 40; i++) {
		CHECK_EQ(pthread_create(&th, NULL, double_free_thread, NULL), 0);
		pthread_join(th, NULL);
	}
	meta_stats(&mapped, &after);
	capture_stop();
	CHECK_EQ(capture_count(), 41);
	CHECK(after < before + (64UL << 10));
	kmem_cache_destroy(df_cache);
}

TEST_MAIN()

