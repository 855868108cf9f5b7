/*
 * test_tunables.c - the attributes of a cache (the sysfs of user space):
 * every one reads; writable ones change what they say; errors for unknown
 * names, read-only attributes, bad values and the wrong personality;
 * USLAB_TUNE and uslab_tune() set them at start and at creation.
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static long attr(struct kmem_cache *s, const char *name)
{
	char buf[64];

	if (uslab_cache_attr_read(s, name, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 0);
}

TEST(every_attribute_reads)
{
	struct kmem_cache *s = kmem_cache_create("tune-read", 100, 0, SLAB_NO_MERGE, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	char buf[64];
	unsigned int n = 0;

	for (const char *name; (name = uslab_cache_attr_name(n)); n++)
		CHECK(uslab_cache_attr_read(s, name, buf, sizeof(buf)) > 0);
	CHECK(n >= 25);
	CHECK_EQ(attr(s, "object_size"), 100);
	CHECK_EQ(attr(s, "slab_size"), 104);
	CHECK_EQ(attr(s, "objects"), 1);
	CHECK_EQ(attr(s, "aliases"), 0);
	CHECK_EQ(attr(s, "ctor"), 0);
	CHECK_EQ(attr(s, "objs_per_slab"), cache_info(s).objs_per_slab);
	CHECK_EQ(uslab_cache_attr_writable("min_partial"), 1);
	CHECK_EQ(uslab_cache_attr_writable("object_size"), 0);
	CHECK_EQ(uslab_cache_attr_writable("nonsense"), -ENOENT);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

TEST(errors)
{
	struct kmem_cache *s = kmem_cache_create("tune-err", 64, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);
	const char *text;

	capture_start();
	CHECK_EQ(uslab_cache_attr_write(s, "nonsense", "1"), -ENOENT);
	CHECK_EQ(uslab_cache_attr_write(s, "object_size", "8"), -EACCES);
	CHECK_EQ(uslab_cache_attr_write(s, "min_partial", "-1"), -EINVAL);
	CHECK_EQ(uslab_cache_attr_write(s, "min_partial", "ten"), -EINVAL);
	CHECK_EQ(uslab_cache_attr_write(s, "queue_limit", "10"), -EINVAL);   /* a slub cache */
	CHECK_EQ(uslab_cache_attr_write(s, "order", "12"), -EINVAL);
	text = capture_stop();
	CHECK_EQ(capture_count(), 6);
	CHECK_STR_CONTAINS(text, "uslab: tune-err: no attribute \"nonsense\"");
	CHECK_STR_CONTAINS(text, "uslab: tune-err: object_size is read-only");
	CHECK_STR_CONTAINS(text, "uslab: tune-err: cannot set min_partial=-1: out of range, or not for a slub cache");
	CHECK_STR_CONTAINS(text, "uslab: tune-err: min_partial=\"ten\" is not a number");
	CHECK_STR_CONTAINS(text, "cannot set queue_limit=10: out of range, or not for a slub cache");
	CHECK_EQ(attr(s, "min_partial"), cache_info(s).min_partial);
	kmem_cache_destroy(s);
}

TEST(min_partial_and_order)
{
	struct kmem_cache *s = kmem_cache_create("tune-slub", 256, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);
	void *p[2000];

	CHECK_EQ(uslab_cache_attr_write(s, "min_partial", "2"), 0);
	CHECK_EQ(attr(s, "min_partial"), 2);
	CHECK_EQ(uslab_cache_attr_write(s, "order", "2"), 0);
	CHECK_EQ(attr(s, "order"), 2);
	CHECK_EQ(attr(s, "objs_per_slab"), 64);
	for (int i = 0; i < 2000; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(cache_info(s).pages, 4 * cache_info(s).nr_slabs);
	for (int i = 0; i < 2000; i++)
		kmem_cache_free(s, p[i]);
	uslab_thread_flush();
	/* Empty slabs beyond min_partial went back. */
	CHECK(cache_info(s).nr_slabs <= 2);
	CHECK_EQ(uslab_cache_attr_write(s, "cpu_partial", "0"), 0);
	CHECK_EQ(attr(s, "cpu_partial"), 0);
	CHECK_EQ(uslab_cache_attr_write(s, "shrink", "1"), 0);
	CHECK_EQ(cache_info(s).nr_slabs, 0);
	kmem_cache_destroy(s);

	/* No order whose slab would have more than 32767 slots. */
	s = kmem_cache_create("tune-tiny", 8, 0, SLAB_NO_MERGE, NULL);
	CHECK_EQ(uslab_cache_attr_write(s, "order", "5"), 0);
	CHECK_EQ(attr(s, "objs_per_slab"), 16384);
	capture_start();
	CHECK_EQ(uslab_cache_attr_write(s, "order", "6"), -EINVAL);
	capture_stop();
	CHECK_EQ(attr(s, "order"), 5);
	kmem_cache_destroy(s);
}

TEST(queue_limit_and_batchcount)
{
	struct kmem_cache *s = kmem_cache_create("tune-unified", 64, 0, SLAB_NO_MERGE | SLAB_UNIFIED, NULL);
	void *p;

	CHECK_EQ(uslab_cache_attr_write(s, "queue_limit", "8"), 0);
	CHECK_EQ(uslab_cache_attr_write(s, "batchcount", "4"), 0);
	capture_start();
	CHECK_EQ(uslab_cache_attr_write(s, "batchcount", "9"), -EINVAL);   /* over the limit */
	CHECK_EQ(uslab_cache_attr_write(s, "queue_limit", "255"), -EINVAL);
	capture_stop();
	CHECK_EQ(attr(s, "queue_limit"), 8);
	CHECK_EQ(attr(s, "batchcount"), 4);
	/* A refill now brings 4 objects: one handed out, 3 queued. */
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(attr(s, "queued_objects"), 3);
	kmem_cache_free(s, p);
	CHECK_EQ(attr(s, "queued_objects"), 4);
	CHECK(!strcmp(cache_info(s).allocator, "unified"));
	kmem_cache_destroy(s);
}

TEST(debug_toggles_while_empty)
{
	struct kmem_cache *s = kmem_cache_create("tune-debug", 64, 0, SLAB_NO_MERGE, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	char buf[32];

	capture_start();
	CHECK_EQ(uslab_cache_attr_write(s, "red_zone", "1"), -EBUSY);
	CHECK_STR_CONTAINS(capture_stop(), "cannot set red_zone=1: the cache has objects");
	kmem_cache_free(s, p);
	CHECK_EQ(uslab_cache_attr_write(s, "red_zone", "1"), 0);
	CHECK_EQ(uslab_cache_attr_write(s, "sanity_checks", "1"), 0);
	CHECK_EQ(attr(s, "red_zone"), 1);
	CHECK_EQ(attr(s, "sanity_checks"), 1);
	CHECK(uslab_cache_attr_read(s, "allocator", buf, sizeof(buf)) > 0);
	CHECK(!strcmp(buf, "debug\n"));
	CHECK_EQ(uslab_cache_attr_write(s, "validate", "1"), 0);
	CHECK_EQ(uslab_cache_attr_write(s, "red_zone", "0"), 0);
	CHECK_EQ(uslab_cache_attr_write(s, "sanity_checks", "0"), 0);
	CHECK_EQ(attr(s, "red_zone"), 0);
	kmem_cache_destroy(s);
}

TEST(tune_before_creation)
{
	struct kmem_cache *s;

	CHECK_EQ(uslab_tune("tune-later:min_partial=7"), 0);
	s = kmem_cache_create("tune-later", 48, 0, SLAB_NO_MERGE, NULL);
	CHECK_EQ(attr(s, "min_partial"), 7);
	kmem_cache_destroy(s);
	capture_start();
	CHECK_EQ(uslab_tune("no-colon"), -EINVAL);
	CHECK_EQ(uslab_tune("x:object_size=3"), -EINVAL);
	CHECK_STR_CONTAINS(capture_stop(), "no writable attribute \"object_size\"");
	CHECK(uslab_cache_find("kmalloc-64") == uslab_kmalloc_cache(64));
	CHECK(uslab_cache_find("no-such-cache") == NULL);
}

/* Run by tune_env in a child started with USLAB_TUNE. */
TEST(tune_env_child)
{
	struct kmem_cache *k = uslab_kmalloc_cache(64), *conn;

	if (!getenv("USLAB_TUNE"))
		return;
	CHECK_EQ(attr(k, "min_partial"), 9);
	conn = kmem_cache_create("conn", 200, 0, SLAB_NO_MERGE, NULL);
	CHECK_EQ(attr(conn, "min_partial"), 10);
	printf("tune_env_child checked\n");
}

TEST(tune_env)
{
	static const char *const env[] = {
		"USLAB_TUNE=kmalloc-64:min_partial=9;conn:min_partial=10", NULL,
	};
	static char out[16384];

	CHECK_EQ(run_test_child("tune_env_child", env, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "tune_env_child checked");
}

TEST_MAIN()
