/*
 * test_bulk.c - kmem_cache_alloc_bulk is all or nothing and counts every
 * object; kmem_cache_free_bulk and kfree_bulk free objects of many slabs
 * and caches in one call.
 */
#include "check.h"

static uint64_t live(struct kmem_cache *s)
{
	return uslab_cache_stat(s, USLAB_STAT_ALLOC_FASTPATH) +
	       uslab_cache_stat(s, USLAB_STAT_ALLOC_SLOWPATH) -
	       uslab_cache_stat(s, USLAB_STAT_FREE_FASTPATH) -
	       uslab_cache_stat(s, USLAB_STAT_FREE_SLOWPATH);
}

TEST(bulk_alloc_and_free)
{
	struct kmem_cache *s = kmem_cache_create("bulk", 48, 0, SLAB_NO_MERGE, NULL);
	void *p[5000];

	for (size_t n = 1; n <= 5000; n = n * 3 + 1) {
		CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, n, p), (int)n);
		CHECK_EQ(live(s), n);
		for (size_t i = 0; i < n; i++) {
			CHECK(p[i]);
			memset(p[i], (int)i, 48);
		}
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n && j < i + 4; j++)
				CHECK(p[i] != p[j]);
		kmem_cache_free_bulk(s, n, p);
		CHECK_EQ(live(s), 0);
	}
	kmem_cache_destroy(s);
}

TEST(bulk_zeroes)
{
	struct kmem_cache *s = kmem_cache_create("bulkz", 100, 0, SLAB_NO_MERGE, NULL);
	unsigned char *p[64];

	CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, 64, (void **)p), 64);
	for (int i = 0; i < 64; i++)
		memset(p[i], 0xff, 100);
	kmem_cache_free_bulk(s, 64, (void **)p);
	CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL | __GFP_ZERO, 64, (void **)p), 64);
	for (int i = 0; i < 64; i++)
		for (int b = 0; b < 100; b++)
			CHECK_EQ(p[i][b], 0);
	kmem_cache_free_bulk(s, 64, (void **)p);
	kmem_cache_destroy(s);
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

TEST(bulk_free_interleaved_slabs_out_of_order)
{
	struct kmem_cache *s = kmem_cache_create("bulk-mix", 512, 0, SLAB_NO_MERGE, NULL);
	void *p[600], *q[600];
	unsigned int seed = 1;

	CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, 600, p), 600);
	/* Shuffle so that neighbours come from different slabs. */
	for (int i = 599; i > 0; i--) {
		int j = (int)(rand_r(&seed) % (unsigned)(i + 1));
		void *t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
	kmem_cache_free_bulk(s, 600, p);
	CHECK_EQ(live(s), 0);
	for (int i = 0; i < 600; i++)
		CHECK(p[i] == NULL);
	/* Each object went back once: no freelist holds one twice, so 600
	 * new objects are 600 distinct ones. */
	CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, 600, p), 600);
	memcpy(q, p, sizeof(p));
	qsort(q, 600, sizeof(void *), cmp_ptr);
	for (int i = 1; i < 600; i++)
		CHECK(q[i] != q[i - 1]);
	kmem_cache_free_bulk(s, 600, p);
	kmem_cache_destroy(s);
}

TEST(kfree_bulk_across_caches_and_large)
{
	uint64_t before[14];
	void *p[320];
	size_t n = 0;

	for (size_t i = 0, size = 1; size <= 8192; size <<= 1)
		before[i++] = live(uslab_kmalloc_cache(size));
	for (size_t size = 1; size <= 20000; size += 67)
		p[n++] = kmalloc(size, GFP_KERNEL);
	p[n++] = NULL;
	p[n++] = ZERO_SIZE_PTR;
	capture_start();
	kfree_bulk(n, p);
	capture_stop();
	CHECK_EQ(capture_count(), 0);
	for (size_t i = 0, size = 1; size <= 8192; size <<= 1)
		CHECK_EQ(live(uslab_kmalloc_cache(size)), before[i++]);
}

TEST(bulk_free_wrong_cache_reported)
{
	struct kmem_cache *a = kmem_cache_create("bulk-a", 64, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *b = kmem_cache_create("bulk-b", 64, 0, SLAB_NO_MERGE, NULL);
	void *p[2];

	p[0] = kmem_cache_alloc(a, GFP_KERNEL);
	p[1] = kmem_cache_alloc(b, GFP_KERNEL);
	capture_start();
	kmem_cache_free_bulk(a, 2, p);
	CHECK_STR_CONTAINS(capture_stop(), "Wrong slab cache. bulk-a but object is from bulk-b");
	CHECK_EQ(live(a), 0);
	CHECK_EQ(live(b), 1);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);   /* reports the one left */
}

/* A bulk free of an object the thread has just freed (the head of its
 * cpu freelist, or its sheaf's last): reported as the single free reports
 * it, and the freelist stays sound (two allocations, two objects). */
TEST(bulk_free_of_an_object_just_freed_reported)
{
	struct kmem_cache *s = kmem_cache_create("bulk-double", 48, 0, SLAB_NO_MERGE, NULL);
	void *x, *y, *a, *b, *p[2];

	pin_to_current_cpu();
	x = kmem_cache_alloc(s, GFP_KERNEL);
	y = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, x);
	capture_start();
	p[0] = y;
	p[1] = x;
	kmem_cache_free_bulk(s, 2, p);
	capture_stop();
	CHECK_BUG_STARTS(capture_buf, "bulk-double", "Object already free");
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(a && b && a != b);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* One object twice among one slab's objects in one call: the second is
 * reported and skipped, the others are freed, and the counts stay true
 * (the program's live object is not handed out again).  For kmem_cache_free_bulk and kfree_bulk; the second time
 * adjacent, and (slub, whose bulk free groups a slab's objects) apart too:
 * unified frees one by one and, as for kmem_cache_free, sees the sheaf's
 * last two objects only. */
TEST(bulk_free_of_one_object_twice_in_a_call_reported)
{
	struct kmem_cache *s = kmem_cache_create("bulk-twice", 48, 0, SLAB_NO_MERGE, NULL);
	void *keep, *o[4], *p[5], *again[4];
	struct uslab_cache_info ci;

	pin_to_current_cpu();
	keep = kmem_cache_alloc(s, GFP_KERNEL);
	uslab_cache_info(s, &ci);
	for (int round = 0; round < (strcmp(ci.allocator, "slub") ? 1 : 2); round++) {
		for (int i = 0; i < 4; i++)
			o[i] = kmem_cache_alloc(s, GFP_KERNEL);
		/* Freed from the end: round 0 o[0] twice in a row, then o[3],
		 * o[2], o[1]; round 1 o[3], o[0], o[2], o[1], o[0] again. */
		if (round == 0)
			memcpy(p, (void *[]){ o[1], o[2], o[3], o[0], o[0] }, sizeof(p));
		else
			memcpy(p, (void *[]){ o[0], o[1], o[2], o[0], o[3] }, sizeof(p));
		capture_start();
		if (round)
			kfree_bulk(5, p);
		else
			kmem_cache_free_bulk(s, 5, p);
		capture_stop();
		CHECK_BUG_STARTS(capture_buf, "bulk-twice", "Object already free");
		uslab_cache_info(s, &ci);
		CHECK_EQ(ci.active_objs, 1);
		for (int i = 0; i < 4; i++) {
			again[i] = kmem_cache_alloc(s, GFP_KERNEL);
			CHECK(again[i] && again[i] != keep);
			for (int j = 0; j < i; j++)
				CHECK(again[i] != again[j]);
		}
		for (int i = 0; i < 4; i++)
			kmem_cache_free(s, again[i]);
	}
	kmem_cache_free(s, keep);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST_MAIN()
