/*
 * test_merge.c - slab merging: compatible caches become aliases of an
 * existing one with a refcount; never with a ctor, debug flags, RCU or
 * SLAB_NO_MERGE; USLAB_NOMERGE (option) turns it off.
 */
#include "check.h"

TEST(compatible_caches_merge_into_kmalloc)
{
	struct kmem_cache *k64 = uslab_kmalloc_cache(64);
	unsigned int refs = cache_info(k64).refcount;
	struct kmem_cache *a = kmem_cache_create("conn-a", 64, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("conn-b", 60, 8, 0, NULL);
	void *p;

	CHECK(a == k64);
	CHECK(b == k64);
	CHECK_EQ(cache_info(k64).refcount, refs + 2);
	p = kmem_cache_alloc(a, GFP_KERNEL);
	CHECK(p);
	kmem_cache_free(b, p);   /* same cache: fine */
	kmem_cache_destroy(a);
	CHECK_EQ(cache_info(k64).refcount, refs + 1);
	kmem_cache_destroy(b);
	CHECK_EQ(cache_info(k64).refcount, refs);
	/* The kmalloc cache itself is untouched. */
	p = kmalloc(64, GFP_KERNEL);
	CHECK(p);
	kfree(p);
}

TEST(user_caches_merge_with_each_other)
{
	struct kmem_cache *a = kmem_cache_create("obj-204", 204, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("obj-202", 202, 0, 0, NULL);
	struct kmem_cache *c = kmem_cache_create("obj-100", 100, 0, 0, NULL);

	/* 204 and 202 both round to a 208-byte slot: one cache. */
	CHECK(a == b);
	CHECK(a != uslab_kmalloc_cache(200));
	/* Waste of a word or more: not merged. */
	CHECK(c != a && c != uslab_kmalloc_cache(128));
	CHECK_EQ(kmem_cache_size(a), 204);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	kmem_cache_destroy(c);
}

TEST(never_merged)
{
	struct kmem_cache *k64 = uslab_kmalloc_cache(64);
	slab_flags_t never[] = { SLAB_NO_MERGE, SLAB_TYPESAFE_BY_RCU, SLAB_POISON,
				 SLAB_RED_ZONE, SLAB_STORE_USER, SLAB_CONSISTENCY_CHECKS };

	for (unsigned int i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		struct kmem_cache *s = kmem_cache_create("nomerge", 64, 0, never[i], NULL);

		CHECK(s && s != k64);
		CHECK_EQ(cache_info(s).refcount, 1);
		kmem_cache_destroy(s);
	}
	/* Different MERGE_SAME flags keep caches apart. */
	struct kmem_cache *r = kmem_cache_create("reclaimable", 64, 0, SLAB_RECLAIM_ACCOUNT, NULL);
	CHECK(r != k64);
	kmem_cache_destroy(r);
}

TEST(nomerge_option)
{
	struct kmem_cache *s;

	CHECK_EQ(uslab_option_set(USLAB_OPT_NOMERGE, 1), 0);
	s = kmem_cache_create("nomerge-opt", 64, 0, 0, NULL);
	CHECK(s != uslab_kmalloc_cache(64));
	kmem_cache_destroy(s);
	uslab_option_set(USLAB_OPT_NOMERGE, 0);
	s = kmem_cache_create("merge-again", 64, 0, 0, NULL);
	CHECK(s == uslab_kmalloc_cache(64));
	kmem_cache_destroy(s);
}

TEST(aliases_in_raw_report)
{
	struct kmem_cache *a = kmem_cache_create("my-alias", 32, 0, 0, NULL);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	uslab_report(f, USLAB_REPORT_RAW);
	fclose(f);
	CHECK_STR_CONTAINS(text, "alias name=my-alias cache=kmalloc-32");
	free(text);
	kmem_cache_destroy(a);
}

TEST_MAIN()
