/*
 * test_prefill.c - today's kernel calls on object caches: pre-filled
 * sheaves (every allocation from one succeeds, even with the page
 * allocator failing every request; what is returned goes back), private
 * kmalloc buckets (their blocks never share a slab with kmalloc's), and
 * kmem_cache_alloc_lru.
 */
#include <errno.h>

#include "check.h"
#include "core/object.h"

struct node {
	long key;
	void *slots[14];
};

static struct kmem_cache *object_cache(const void *p)
{
	return virt_to_slab(p)->slab_cache;
}

TEST(prefilled_sheaf_never_fails)
{
	struct kmem_cache *s = kmem_cache_create("maple-node", sizeof(struct node), 0, SLAB_NO_MERGE, NULL);
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_OFF, 0);
	struct slab_sheaf *sheaf;
	void *got[40];

	uslab_cache_set_page_allocator(s, fi);
	sheaf = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 40);
	CHECK(sheaf != NULL);
	CHECK_EQ(kmem_cache_sheaf_size(sheaf), 40);
	CHECK_EQ(cache_info(s).active_objs, 40);
	/* From now on no page comes: the section that must not fail. */
	uslab_fault_inject_arm(fi, USLAB_FAULT_AFTER, 0);
	for (int i = 0; i < 40; i++) {
		got[i] = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL | __GFP_ZERO, sheaf);
		CHECK(got[i] != NULL);
		CHECK_EQ(((struct node *)got[i])->key, 0);
		CHECK(object_cache(got[i]) == s);
		((struct node *)got[i])->key = i + 1;
		for (int j = 0; j < i; j++)
			CHECK(got[j] != got[i]);
	}
	CHECK_EQ(kmem_cache_sheaf_size(sheaf), 0);
	CHECK(kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sheaf) == NULL);
	/* Refilling while pages fail: -ENOMEM, the sheaf as it was. */
	if (cache_info(s).total_objs == cache_info(s).active_objs) {
		CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_NOWAIT, &sheaf, 4000), -ENOMEM);
		CHECK_EQ(kmem_cache_sheaf_size(sheaf), 0);
	}
	uslab_fault_inject_arm(fi, USLAB_FAULT_OFF, 0);
	for (int i = 0; i < 40; i++) {
		CHECK_EQ(((struct node *)got[i])->key, i + 1);
		kmem_cache_free(s, got[i]);
	}
	kmem_cache_return_sheaf(s, GFP_KERNEL, sheaf);
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
	uslab_page_allocator_destroy(fi);
}

TEST(refill_grows_and_return_gives_back)
{
	struct kmem_cache *s = kmem_cache_create("sheaf-refill", 64, 0, SLAB_NO_MERGE, NULL);
	struct slab_sheaf *sheaf = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 0);
	void *a;

	CHECK(sheaf != NULL);
	CHECK_EQ(kmem_cache_sheaf_size(sheaf), 0);
	CHECK(kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sheaf) == NULL);
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sheaf, 5), 0);
	CHECK_EQ(kmem_cache_sheaf_size(sheaf), 5);
	a = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sheaf);
	CHECK(a != NULL);
	CHECK_EQ(kmem_cache_sheaf_size(sheaf), 4);
	/* Enough already: nothing changes. */
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sheaf, 3), 0);
	CHECK_EQ(kmem_cache_sheaf_size(sheaf), 4);
	/* Beyond its room: it grows (and may move), keeping its objects. */
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sheaf, 1000), 0);
	CHECK_EQ(kmem_cache_sheaf_size(sheaf), 1000);
	CHECK_EQ(cache_info(s).active_objs, 1001);
	kmem_cache_free(s, a);
	kmem_cache_return_sheaf(s, GFP_KERNEL, sheaf);
	CHECK_EQ(cache_info(s).active_objs, 0);
	kmem_cache_return_sheaf(s, GFP_KERNEL, NULL);
	CHECK_EQ(kmem_cache_sheaf_size(NULL), 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(prefill_fails_whole_when_pages_fail)
{
	struct kmem_cache *s = kmem_cache_create("sheaf-starved", 512, 0, SLAB_NO_MERGE, NULL);
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_AFTER, 1);

	uslab_cache_set_page_allocator(s, fi);
	/* One slab's worth comes, the rest does not: NULL, nothing held. */
	CHECK(kmem_cache_prefill_sheaf(s, GFP_NOWAIT, 500) == NULL);
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
	uslab_page_allocator_destroy(fi);
}

TEST(sheaf_of_another_cache_reported)
{
	struct kmem_cache *s = kmem_cache_create("sheaf-a", 32, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *t = kmem_cache_create("sheaf-b", 32, 0, SLAB_NO_MERGE, NULL);
	struct slab_sheaf *sheaf = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 3);
	const char *out;

	capture_start();
	CHECK(kmem_cache_alloc_from_sheaf(t, GFP_KERNEL, sheaf) == NULL);
	CHECK_EQ(kmem_cache_refill_sheaf(t, GFP_KERNEL, &sheaf, 10), -EINVAL);
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, NULL, 10), -EINVAL);
	CHECK(kmem_cache_prefill_sheaf(NULL, GFP_KERNEL, 1) == NULL);
	/* Given back to the wrong cache: reported, the objects still go home. */
	kmem_cache_return_sheaf(t, GFP_KERNEL, sheaf);
	out = capture_stop();
	CHECK_STR_CONTAINS(out, "uslab: kmem_cache_alloc_from_sheaf: the sheaf was filled from another cache\n");
	CHECK_STR_CONTAINS(out, "uslab: kmem_cache_refill_sheaf: the sheaf was filled from another cache\n");
	CHECK_STR_CONTAINS(out, "uslab: kmem_cache_refill_sheaf: no sheaf\n");
	CHECK_STR_CONTAINS(out, "uslab: kmem_cache_prefill_sheaf(NULL): no cache; returning NULL\n");
	CHECK_STR_CONTAINS(out, "uslab: kmem_cache_return_sheaf: the sheaf was filled from another cache\n");
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
	CHECK_EQ(destroy_counting_reports(t), 0);
}

TEST(buckets_keep_their_own_slabs)
{
	kmem_buckets *b = kmem_buckets_create("msg", 0, 8, 32, NULL);
	void *mine[5], *theirs;
	static const size_t sizes[5] = { 1, 64, 100, 4000, 8192 };

	CHECK(b != NULL);
	for (int i = 0; i < 5; i++) {
		char name[32];

		mine[i] = kmem_buckets_alloc(b, sizes[i], GFP_KERNEL);
		CHECK(mine[i] != NULL);
		CHECK(ksize(mine[i]) >= sizes[i]);
		snprintf(name, sizeof(name), "msg-%zu", ksize(mine[i]));
		CHECK(uslab_cache_find(name) == object_cache(mine[i]));
		theirs = kmalloc(sizes[i], GFP_KERNEL);
		CHECK(object_cache(theirs) != object_cache(mine[i]));
		CHECK(virt_to_slab(theirs) != virt_to_slab(mine[i]));
		kfree(theirs);
	}
	/* Never merged, even with a cache of the same shape. */
	CHECK_EQ(cache_info(uslab_cache_find("msg-64")).refcount, 1);
	CHECK(uslab_cache_find("msg-64") != uslab_kmalloc_cache(64));
	/* The other calls: the same caches; above 8 KiB kmalloc's large
	 * blocks; no buckets, kmalloc's. */
	theirs = kmem_buckets_valloc(b, 64, GFP_KERNEL);
	CHECK(object_cache(theirs) == uslab_cache_find("msg-64"));
	kfree(theirs);
	theirs = kmem_buckets_alloc_track_caller(b, 30, GFP_KERNEL | __GFP_ZERO);
	CHECK(object_cache(theirs) == uslab_cache_find("msg-32"));
	for (int i = 0; i < 30; i++)
		CHECK_EQ(((unsigned char *)theirs)[i], 0);
	kfree(theirs);
	theirs = kmem_buckets_alloc(b, 100000, GFP_KERNEL);
	CHECK(theirs && ksize(theirs) >= 100000);
	kfree(theirs);
	theirs = kmem_buckets_alloc(NULL, 64, GFP_KERNEL);
	CHECK(object_cache(theirs) == uslab_kmalloc_cache(64));
	kfree(theirs);
	CHECK(kmem_buckets_alloc(b, 0, GFP_KERNEL) == ZERO_SIZE_PTR);
	for (int i = 0; i < 5; i++)
		kfree(mine[i]);
	capture_start();
	uslab_kmem_buckets_destroy(b);
	CHECK_EQ(capture_count(), 0);
	capture_stop();
	CHECK(uslab_cache_find("msg-64") == NULL);
	capture_start();
	CHECK(kmem_buckets_create(NULL, 0, 0, 0, NULL) == NULL);
	CHECK_STR_CONTAINS(capture_stop(), "uslab: kmem_buckets_create(NULL): a set needs a name\n");
}

TEST(alloc_lru_is_an_allocation_of_the_cache)
{
	struct kmem_cache *s = kmem_cache_create("dentry-like", 192, 0, SLAB_NO_MERGE, NULL);
	void *o = kmem_cache_alloc_lru(s, NULL, GFP_KERNEL);

	CHECK(o != NULL);
	CHECK(object_cache(o) == s);
	CHECK_EQ(cache_info(s).active_objs, 1);
	kmem_cache_free(s, o);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST_MAIN()
