/*
 * test_debug.c - the corruption suite: each case injects one fault into a
 * debug cache, asserts the exact lines of the report, that the program
 * goes on, and that validation is clean after the FIX.  Modeled on the
 * kernel's lib/tests/slub_kunit.c, with more cases: double free with both
 * owners, invalid pointers, corrupted free pointers and counters, leaks at
 * destroy, tracing, failslab, the USLAB_DEBUG syntax, runtime debug
 * switching, and the hardening options.
 *
 * Built with -rdynamic so that owners are symbolized by name.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "debug/debug.h"
#include "page/segment.h"

static struct kmem_cache *debug_cache(const char *name, unsigned int size, slab_flags_t flags)
{
	return kmem_cache_create(name, size, 0, flags | SLAB_NO_MERGE, NULL);
}

/* Writes a byte where the test injects a fault.  Under ASan uslab poisons
 * red zones and free objects, and ASan would stop the write itself: the
 * byte is unpoisoned first, so that uslab's own detection is what runs. */
#if TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif
static void poke(void *addr, unsigned char value)
{
#if TEST_ASAN
	__asan_unpoison_memory_region(addr, 1);
#endif
	*(volatile unsigned char *)addr = value;
}

static void poke_word(void *addr, void *value)
{
	for (size_t i = 0; i < sizeof(void *); i++)
		poke((char *)addr + i, ((unsigned char *)&value)[i]);
}

static unsigned char peek(void *addr)
{
#if TEST_ASAN
	__asan_unpoison_memory_region(addr, 1);
#endif
	return *(volatile unsigned char *)addr;
}

static char expect[512];
#define LINE(...) (snprintf(expect, sizeof(expect), __VA_ARGS__), expect)

static unsigned long slab_off(const void *p)
{
	return (unsigned long)((const char *)p - (const char *)slab_address(virt_to_slab(p)));
}

static uint64_t live(struct kmem_cache *s)
{
	return cache_info(s).active_objs;
}

/* ------------------------------------------------------------ red zones */

TEST(right_redzone_overwritten_found_by_validate)
{
	struct kmem_cache *s = debug_cache("TestSlub_RZ_alloc", 64, SLAB_RED_ZONE);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	poke(p + 64, 0x12);
	capture_start();
	CHECK_EQ(kmem_cache_validate(s), 1);
	text = capture_stop();
	CHECK_BUG(text, "TestSlub_RZ_alloc", "Right Redzone overwritten");
	CHECK_STR_CONTAINS(text, LINE("INFO: %p-%p @offset=%lu. First byte 0x12 instead of 0xcc\n",
				      (void *)(p + 64), (void *)(p + 64), slab_off(p + 64)));
	CHECK_STR_CONTAINS(text, LINE("INFO: Object %p @offset=%lu fp=", (void *)p, slab_off(p)));
	CHECK_STR_CONTAINS(text, "Redzone  ");
	CHECK_STR_CONTAINS(text, "Object   ");
	CHECK_STR_CONTAINS(text, LINE("FIX TestSlub_RZ_alloc: Restoring Right Redzone %p-%p=0xcc\n",
				      (void *)(p + 64), (void *)(p + 64)));
	/* Fixed: clean now, and the object frees normally. */
	CHECK_EQ(kmem_cache_validate(s), 0);
	capture_start();
	kmem_cache_free(s, p);
	capture_stop();
	CHECK_EQ(capture_count(), 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(left_redzone_overwritten)
{
	struct kmem_cache *s = debug_cache("TestSlub_LRZ", 64, SLAB_RED_ZONE);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	poke(p - 1, 0x34);
	capture_start();
	CHECK_EQ(kmem_cache_validate(s), 1);
	text = capture_stop();
	CHECK_BUG(text, "TestSlub_LRZ", "Left Redzone overwritten");
	CHECK_STR_CONTAINS(text, LINE("INFO: %p-%p @offset=%lu. First byte 0x34 instead of 0xcc\n",
				      (void *)(p - 1), (void *)(p - 1), slab_off(p - 1)));
	CHECK_STR_CONTAINS(text, "FIX TestSlub_LRZ: Restoring Left Redzone");
	CHECK_EQ(kmem_cache_validate(s), 0);
	kmem_cache_free(s, p);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(redzone_overwrite_found_at_free)
{
	struct kmem_cache *s = debug_cache("TestSlub_RZ_free", 64, SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	poke(p + 65, 0x99);
	poke(p + 66, 0x99);
	capture_start();
	kmem_cache_free(s, p);
	text = capture_stop();
	CHECK_BUG(text, "TestSlub_RZ_free", "Right Redzone overwritten");
	CHECK_STR_CONTAINS(text, LINE("INFO: %p-%p @offset=%lu. First byte 0x99 instead of 0xcc\n",
				      (void *)(p + 65), (void *)(p + 66), slab_off(p + 65)));
	CHECK_STR_CONTAINS(text, LINE("FIX TestSlub_RZ_free: Object at %p not freed\n", (void *)p));
	/* Not freed, still counted; the red zone is whole again. */
	CHECK_EQ(live(s), 1);
	CHECK_EQ(kmem_cache_validate(s), 0);
	/* The program freed it once: a second free is a double free. */
	capture_start();
	kmem_cache_free(s, p);
	text = capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK_BUG(text, "TestSlub_RZ_free", "Object already free");
	CHECK_STR_CONTAINS(text, LINE("FIX TestSlub_RZ_free: Object %p, whose free was refused before, not freed\n",
				      (void *)p));
	CHECK_EQ(live(s), 1);
	CHECK_EQ(kmem_cache_validate(s), 0);
	capture_start();
	kmem_cache_destroy(s);
	CHECK_STR_CONTAINS(capture_stop(), "Objects remaining in TestSlub_RZ_free");
}

/* The same with red zones alone (no consistency checks), through kfree. */
TEST(redzone_refused_free_then_kfree_again)
{
	struct kmem_cache *s = debug_cache("TestSlub_RZ_twice", 64, SLAB_RED_ZONE);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	poke(p + 64, 0x77);
	capture_start();
	kfree(p);
	kfree(p);
	text = capture_stop();
	/* The red zone, the refusal, the second free. */
	CHECK_EQ(capture_count(), 3);
	CHECK_BUG(text, "TestSlub_RZ_twice", "Right Redzone overwritten");
	CHECK_BUG(text, "TestSlub_RZ_twice", "Object already free");
	CHECK_EQ(live(s), 1);
	capture_start();
	kmem_cache_destroy(s);
	capture_stop();
}

TEST(redzone_of_a_free_object_overwritten)
{
	struct kmem_cache *s = debug_cache("TestSlub_RZ_freed", 64, SLAB_RED_ZONE);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);
	void *keep = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	kmem_cache_free(s, p);
	poke(p + 64, 0xab);
	capture_start();
	CHECK_EQ(kmem_cache_validate(s), 1);
	text = capture_stop();
	CHECK_BUG(text, "TestSlub_RZ_freed", "Right Redzone overwritten");
	CHECK_STR_CONTAINS(text, "First byte 0xab instead of 0xbb");
	CHECK_EQ(kmem_cache_validate(s), 0);
	kmem_cache_free(s, keep);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* -------------------------------------------------------------- poison */

static void poison_case(const char *name, unsigned int offset, unsigned char value)
{
	struct kmem_cache *s = debug_cache(name, 64, SLAB_CONSISTENCY_CHECKS | SLAB_POISON);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL), *q;
	void *keep = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	kmem_cache_free(s, p);
	poke(p + offset, value);
	/* Found at the next allocation, which takes p from the freelist. */
	capture_start();
	q = kmem_cache_alloc(s, GFP_KERNEL);
	text = capture_stop();
	CHECK(q && q != p);
	CHECK_BUG(text, name, "Poison overwritten");
	CHECK_STR_CONTAINS(text, LINE("INFO: %p-%p @offset=%lu. First byte 0x%x instead of 0x6b\n",
				      (void *)(p + offset), (void *)(p + offset),
				      slab_off(p + offset), value));
	CHECK_STR_CONTAINS(text, LINE("FIX %s: Restoring Poison %p-%p=0x6b\n", name,
				      (void *)(p + offset), (void *)(p + offset)));
	CHECK_STR_CONTAINS(text, LINE("FIX %s: Marking all objects used (slab %p isolated)\n", name,
				      slab_address(virt_to_slab(p))));
	/* The isolated slab is off every list: validation is clean. */
	CHECK_EQ(kmem_cache_validate(s), 0);
	kmem_cache_free(s, q);
	capture_start();
	kmem_cache_destroy(s);   /* the isolated slab's objects are leaked on purpose */
	capture_stop();
	(void)keep;
}

TEST(poison_first_word_overwritten)
{
	poison_case("TestSlub_1th_word_free", 0, 0x78);
}

TEST(poison_50th_byte_overwritten)
{
	poison_case("TestSlub_50th_word_free", 50, 0x9a);
}

TEST(end_poison_overwritten_found_by_validate)
{
	struct kmem_cache *s = debug_cache("TestSlub_end_poison", 64, SLAB_POISON);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);
	void *keep = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	kmem_cache_free(s, p);
	poke(p + 63, 0);
	capture_start();
	CHECK_EQ(kmem_cache_validate(s), 1);
	text = capture_stop();
	CHECK_BUG(text, "TestSlub_end_poison", "End Poison overwritten");
	CHECK_STR_CONTAINS(text, "First byte 0x0 instead of 0xa5");
	CHECK_EQ(kmem_cache_validate(s), 0);
	kmem_cache_free(s, keep);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(poisoned_object_contents)
{
	struct kmem_cache *s = debug_cache("TestSlub_poison_bytes", 32, SLAB_POISON | SLAB_RED_ZONE);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

	/* Uninitialised objects read as 0x6b..0xa5, red zones as 0xcc. */
	if (!TEST_ASAN) {
		for (int i = 0; i < 31; i++)
			CHECK_EQ(p[i], 0x6b);
		CHECK_EQ(p[31], 0xa5);
		CHECK_EQ(p[32], 0xcc);
		CHECK_EQ(p[-1], 0xcc);
	}
	kmem_cache_free(s, p);
	if (!TEST_ASAN) {
		CHECK_EQ(p[0], 0x6b);
		CHECK_EQ(p[32], 0xbb);
	}
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* ------------------------------------------------- pointers and counters */

TEST(free_pointer_corrupted_found_by_validate)
{
	struct kmem_cache *s = debug_cache("TestSlub_next_ptr_free", 64, SLAB_POISON);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;
	void *q;

	kmem_cache_free(s, p);
	/* The free pointer sits after the object (P moves it out). */
	poke(p + s->offset, peek(p + s->offset) ^ 0xff);
	capture_start();
	CHECK_EQ(kmem_cache_validate(s), 2);
	text = capture_stop();
	CHECK_BUG(text, "TestSlub_next_ptr_free", "Freechain corrupt");
	CHECK_STR_CONTAINS(text, "FIX TestSlub_next_ptr_free: Isolate corrupted freechain\n");
	CHECK_BUG(text, "TestSlub_next_ptr_free",
		  LINE("Wrong object count. Counter is 0 but counted were %u",
		       cache_info(s).objs_per_slab - 1));
	CHECK_STR_CONTAINS(text, "FIX TestSlub_next_ptr_free: Object count adjusted\n");
	CHECK_EQ(kmem_cache_validate(s), 0);
	/* The cache still works. */
	capture_start();
	q = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, q);
	capture_stop();
	CHECK_EQ(capture_count(), 0);
	capture_start();
	kmem_cache_destroy(s);
	capture_stop();
}

TEST(free_pointer_corrupted_found_at_alloc_isolates_slab)
{
	struct kmem_cache *s = debug_cache("TestSlub_fp_alloc", 64, SLAB_CONSISTENCY_CHECKS);
	unsigned char *a = kmem_cache_alloc(s, GFP_KERNEL);
	unsigned char *b = kmem_cache_alloc(s, GFP_KERNEL);
	unsigned char *c;
	const char *text;

	kmem_cache_free(s, b);
	kmem_cache_free(s, a);          /* freelist: a -> b -> ... */
	poke_word(a + s->offset, (void *)0x4141414141414141UL);
	capture_start();
	c = kmem_cache_alloc(s, GFP_KERNEL);
	text = capture_stop();
	/* No garbage handed out: a fresh slab served it. */
	CHECK(c && c != a && c != b);
	CHECK(virt_to_slab(c) != virt_to_slab(a));
	CHECK_BUG(text, "TestSlub_fp_alloc", "Freepointer corrupt");
	CHECK_STR_CONTAINS(text, LINE("FIX TestSlub_fp_alloc: Marking all objects used (slab %p isolated)\n",
				      slab_address(virt_to_slab(a))));
	CHECK_EQ(kmem_cache_validate(s), 0);
	kmem_cache_free(s, c);
	capture_start();
	kmem_cache_destroy(s);
	capture_stop();
}

TEST(object_counter_corrupted)
{
	struct kmem_cache *s = debug_cache("TestSlub_counter", 128, SLAB_CONSISTENCY_CHECKS);
	void *p = kmem_cache_alloc(s, GFP_KERNEL), *q = kmem_cache_alloc(s, GFP_KERNEL);
	struct slab *slab = virt_to_slab(p);
	union slab_counters cnt = { .counters = slab->counters };
	const char *text;

	cnt.inuse = 7;
	slab->counters = cnt.counters;
	capture_start();
	CHECK_EQ(kmem_cache_validate(s), 1);
	text = capture_stop();
	CHECK_BUG(text, "TestSlub_counter", "Wrong object count. Counter is 7 but counted were 2");
	CHECK_STR_CONTAINS(text, "FIX TestSlub_counter: Object count adjusted\n");
	CHECK_EQ(kmem_cache_validate(s), 0);
	kmem_cache_free(s, p);
	kmem_cache_free(s, q);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(object_counter_corrupted_found_at_alloc_isolates_slab)
{
	struct kmem_cache *s = debug_cache("TestSlub_counter_alloc", 128, SLAB_CONSISTENCY_CHECKS);
	void *p = kmem_cache_alloc(s, GFP_KERNEL), *q;
	struct slab *slab = virt_to_slab(p);
	union slab_counters cnt = { .counters = slab->counters };
	const char *text;

	cnt.inuse = cnt.objects;   /* says full, yet it has free objects */
	slab->counters = cnt.counters;
	capture_start();
	q = kmem_cache_alloc(s, GFP_KERNEL);
	text = capture_stop();
	CHECK(q && virt_to_slab(q) != slab);
	CHECK_BUG(text, "TestSlub_counter_alloc",
		  LINE("inuse %u >= max %u with a free object", cnt.objects, cnt.objects));
	CHECK_STR_CONTAINS(text, LINE("FIX TestSlub_counter_alloc: Marking all objects used (slab %p isolated)\n",
				      slab_address(slab)));
	CHECK_EQ(kmem_cache_validate(s), 0);
	kmem_cache_free(s, q);
	capture_start();
	kmem_cache_destroy(s);
	capture_stop();
}

/* ----------------------------------------------------- bad frees */

__attribute__((noinline)) void *debug_test_alloc_site(struct kmem_cache *s);
__attribute__((noinline)) void debug_test_free_site(struct kmem_cache *s, void *p);

__attribute__((noinline)) void *debug_test_alloc_site(struct kmem_cache *s)
{
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	__asm__ __volatile__("" ::: "memory");
	return p;
}

__attribute__((noinline)) void debug_test_free_site(struct kmem_cache *s, void *p)
{
	kmem_cache_free(s, p);
	__asm__ __volatile__("" ::: "memory");
}

TEST(double_free_reported_with_both_owners)
{
	struct kmem_cache *s = debug_cache("TestSlub_double_free", 48,
					   SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON |
					   SLAB_STORE_USER);
	void *p = debug_test_alloc_site(s), *q, *r;
	const char *text;

	debug_test_free_site(s, p);
	capture_start();
	kmem_cache_free(s, p);
	text = capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK_BUG(text, "TestSlub_double_free", "Object already free");
	CHECK_STR_CONTAINS(text, "INFO: Allocated in debug_test_alloc_site+0x");
	CHECK_STR_CONTAINS(text, "INFO: Freed in debug_test_free_site+0x");
	CHECK_STR_CONTAINS(text, LINE(" pid=%d\n", (int)gettid()));
	CHECK_STR_CONTAINS(text, LINE("FIX TestSlub_double_free: Object %p not freed again; freelist intact\n", p));
	/* The freelist holds p once. */
	q = kmem_cache_alloc(s, GFP_KERNEL);
	r = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(q && r && q != r);
	CHECK_EQ(kmem_cache_validate(s), 0);
	kmem_cache_free(s, q);
	kmem_cache_free(s, r);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(double_free_without_consistency_checks)
{
	/* Z alone: the red zone says the object is free already. */
	struct kmem_cache *s = debug_cache("TestSlub_df_Z", 48, SLAB_RED_ZONE);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, p);
	capture_start();
	kmem_cache_free(s, p);
	CHECK_BUG(capture_stop(), "TestSlub_df_Z", "Object already free");
	CHECK_EQ(live(s), 0);
	CHECK_EQ(kmem_cache_validate(s), 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(invalid_pointers_reported_nothing_freed)
{
	struct kmem_cache *s = debug_cache("TestSlub_invalid", 64, SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE);
	struct kmem_cache *other = debug_cache("TestSlub_other", 64, SLAB_CONSISTENCY_CHECKS);
	char *p = kmem_cache_alloc(s, GFP_KERNEL), *o = kmem_cache_alloc(other, GFP_KERNEL);
	int on_stack;
	const char *text;

	capture_start();
	kmem_cache_free(s, p + 8);
	kmem_cache_free(s, &on_stack);
	kmem_cache_free(s, o);
	kfree(p + 1);
	text = capture_stop();
	CHECK_EQ(capture_count(), 4);
	CHECK_BUG(text, "TestSlub_invalid", LINE("Invalid object pointer %p", (void *)(p + 8)));
	CHECK_STR_CONTAINS(text, "FIX TestSlub_invalid: Object not freed\n");
	CHECK_STR_CONTAINS(text, "in kmem_cache_free: not allocated by uslab");
	CHECK_BUG(text, "TestSlub_invalid", "Wrong slab cache. TestSlub_invalid but object is from TestSlub_other");
	CHECK_BUG(text, "TestSlub_invalid", LINE("Invalid object pointer %p", (void *)(p + 1)));
	CHECK_EQ(live(s), 1);
	CHECK_EQ(live(other), 1);
	CHECK_EQ(kmem_cache_validate(s), 0);
	CHECK_EQ(kmem_cache_validate(other), 0);
	kmem_cache_free(s, p);
	kmem_cache_free(other, o);
	CHECK_EQ(destroy_counting_reports(s), 0);
	CHECK_EQ(destroy_counting_reports(other), 0);
}

__attribute__((noinline)) void *debug_test_leak_site(struct kmem_cache *s);
__attribute__((noinline)) void *debug_test_leak_site(struct kmem_cache *s)
{
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	__asm__ __volatile__("" ::: "memory");
	return p;
}

TEST(leaks_listed_with_owners_at_destroy)
{
	struct kmem_cache *s = debug_cache("TestSlub_leak", 96, SLAB_STORE_USER);
	void *p = debug_test_leak_site(s), *q = debug_test_leak_site(s);
	const char *text;

	capture_start();
	kmem_cache_destroy(s);
	text = capture_stop();
	CHECK_BUG(text, "TestSlub_leak", "Objects remaining in TestSlub_leak on __kmem_cache_shutdown()");
	CHECK_STR_CONTAINS(text, "INFO: 2 objects remaining in 1 slabs\n");
	CHECK_STR_CONTAINS(text, LINE("INFO: Object %p @offset=%lu\n", p, slab_off(p)));
	CHECK_STR_CONTAINS(text, LINE("INFO: Object %p @offset=%lu\n", q, slab_off(q)));
	CHECK_STR_CONTAINS(text, "INFO: Allocated in debug_test_leak_site+0x");
	/* The cache and its objects stay valid; freeing them completes it. */
	kmem_cache_free(s, p);
	kmem_cache_free(s, q);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* ---------------------------------------------------- kmalloc red zone */

/* In a child started with USLAB_DEBUG=ZU,kmalloc-32: kmalloc(18) gets a
 * 32-byte object whose 14 bytes of slack are red zone. */
TEST(kmalloc_redzone_child)
{
	unsigned char *p;
	struct kmem_cache *k32 = uslab_kmalloc_cache(32);
	const char *text;

	if (!(cache_info(k32).flags & SLAB_RED_ZONE))
		return;   /* run alone: nothing to check */
	p = kmalloc(18, GFP_KERNEL);
	poke(p + 18, 0xab);
	poke(p + 19, 0xab);
	capture_start();
	CHECK_EQ(kmem_cache_validate(k32), 1);
	text = capture_stop();
	CHECK_BUG(text, "kmalloc-32", "kmalloc Redzone overwritten");
	CHECK_STR_CONTAINS(text, LINE("INFO: %p-%p @offset=%lu. First byte 0xab instead of 0xcc\n",
				      (void *)(p + 18), (void *)(p + 19), slab_off(p + 18)));
	CHECK_STR_CONTAINS(text, "FIX kmalloc-32: Restoring kmalloc Redzone");
	CHECK_EQ(kmem_cache_validate(k32), 0);
	/* krealloc within the object moves the red zone with the size. */
	p = krealloc(p, 10, GFP_KERNEL);
	poke(p + 12, 1);
	capture_start();
	CHECK_EQ(kmem_cache_validate(k32), 1);
	CHECK_STR_CONTAINS(capture_stop(), "kmalloc Redzone overwritten");
	p = krealloc(p, 24, GFP_KERNEL | __GFP_ZERO);
	for (int i = 10; i < 24; i++)
		CHECK_EQ(p[i], 0);
	CHECK_EQ(kmem_cache_validate(k32), 0);
	kfree(p);
	CHECK_EQ(kmem_cache_validate(k32), 0);
	printf("kmalloc_redzone_child checked\n");
}

/* A test in a child that reads USLAB_DEBUG=debug at start. */
static int run_child(const char *test, const char *debug, char *out, size_t len)
{
	char env[256];
	const char *envv[] = { env, NULL };

	snprintf(env, sizeof(env), "USLAB_DEBUG=%s", debug);
	return run_test_child(test, envv, out, len);
}

TEST(kmalloc_redzone)
{
	static char out[16384];

	CHECK_EQ(run_child("kmalloc_redzone_child", "ZU,kmalloc-32", out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "kmalloc_redzone_child checked");
}

/* --------------------------------------------------------- USLAB_DEBUG */

TEST(debug_option_syntax)
{
	struct kmem_cache *a, *b, *c, *d, *e;
	slab_flags_t all = SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER;

	CHECK_EQ(uslab_debug_config("FZ;P,conn*,other;-,quiet;,dentry"), 0);
	a = kmem_cache_create("anything", 40, 0, 0, NULL);
	b = kmem_cache_create("conn-table", 40, 0, 0, NULL);
	c = kmem_cache_create("other", 40, 0, 0, NULL);
	d = kmem_cache_create("quiet", 40, 0, 0, NULL);
	e = kmem_cache_create("dentry", 40, 0, 0, NULL);
	CHECK_EQ(cache_info(a).flags & all, SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE);
	CHECK_EQ(cache_info(b).flags & all, SLAB_POISON);
	CHECK_EQ(cache_info(c).flags & all, SLAB_POISON);
	CHECK_EQ(cache_info(d).flags & all, 0);
	CHECK_EQ(cache_info(e).flags & all, all);
	/* Debug caches are not merged; "quiet" merges into kmalloc-40's class. */
	CHECK(a != uslab_kmalloc_cache(40) && b != uslab_kmalloc_cache(40));
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	kmem_cache_destroy(c);
	kmem_cache_destroy(d);
	kmem_cache_destroy(e);

	capture_start();
	CHECK_EQ(uslab_debug_config("FX"), -1);
	CHECK_STR_CONTAINS(capture_stop(), "uslab: USLAB_DEBUG option 'X' unknown, skipped");
	a = kmem_cache_create("after-bad-letter", 40, 0, 0, NULL);
	CHECK_EQ(cache_info(a).flags & all, SLAB_CONSISTENCY_CHECKS);
	kmem_cache_destroy(a);

	CHECK_EQ(uslab_debug_config(""), 0);
	a = kmem_cache_create("after-off", 40, 0, SLAB_NO_MERGE, NULL);
	CHECK_EQ(cache_info(a).flags & all, 0);
	kmem_cache_destroy(a);
}

TEST(option_O_skips_caches_whose_order_would_rise)
{
	struct kmem_cache *big, *small;
	slab_flags_t meta = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER;

	CHECK_EQ(uslab_debug_config("FZPUO"), 0);
	big = kmem_cache_create("order-sensitive", 4096, 0, 0, NULL);
	small = kmem_cache_create("order-fine", 64, 0, 0, NULL);
	uslab_debug_config("");
	CHECK_EQ(cache_info(big).flags & meta, 0);
	CHECK_EQ(cache_info(small).flags & meta, meta);
	CHECK_EQ(cache_info(big).size, 4096);
	kmem_cache_destroy(big);
	kmem_cache_destroy(small);
}

TEST(trace_every_alloc_and_free)
{
	struct kmem_cache *s;
	const char *text;
	void *p;

	uslab_debug_config("T,trace-cache");
	s = kmem_cache_create("trace-cache", 32, 0, 0, NULL);
	uslab_debug_config("");
	capture_start();
	p = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, p);
	text = capture_stop();
	CHECK_EQ(capture_count(), 2);
	CHECK_STR_CONTAINS(text, LINE("TRACE trace-cache alloc %p inuse=1 fp=0x", p));
	CHECK_STR_CONTAINS(text, LINE("TRACE trace-cache free %p inuse=0 fp=%p\n", p, p));
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(failslab_fails_on_purpose)
{
	struct kmem_cache *s;
	void *p[9];
	int nulls = 0;

	uslab_debug_config("A,failing");
	s = kmem_cache_create("failing", 64, 0, 0, NULL);
	uslab_debug_config("");
	uslab_failslab(3, 2);
	for (int i = 0; i < 9; i++) {
		p[i] = kmem_cache_alloc(s, GFP_NOWAIT);
		nulls += !p[i];
	}
	uslab_failslab(0, 0);
	CHECK(p[0] && p[1] && !p[2] && p[3] && p[4] && !p[5] && p[6]);
	CHECK_EQ(nulls, 2);   /* at most 'times' failures */
	for (int i = 0; i < 9; i++)
		kmem_cache_free(s, p[i]);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(debug_switched_on_at_runtime_for_an_empty_cache)
{
	struct kmem_cache *s = kmem_cache_create("runtime-debug", 64, 0, SLAB_NO_MERGE, NULL);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

	capture_start();
	CHECK_EQ(uslab_cache_set_debug(s, SLAB_RED_ZONE), -1);
	CHECK_STR_CONTAINS(capture_stop(), "uslab: uslab_cache_set_debug(runtime-debug): it still has objects");
	kmem_cache_free(s, p);
	CHECK_EQ(uslab_cache_set_debug(s, SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON), 0);
	CHECK(cache_info(s).flags & SLAB_RED_ZONE);
	CHECK(cache_info(s).size > 64);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	poke(p + 64, 0);
	capture_start();
	kmem_cache_free(s, p);
	CHECK_BUG(capture_stop(), "runtime-debug", "Right Redzone overwritten");
	CHECK_EQ(kmem_cache_validate(s), 0);
	capture_start();
	kmem_cache_destroy(s);
	capture_stop();
}

TEST(plain_caches_keep_the_fast_path)
{
	struct kmem_cache *plain = kmem_cache_create("plain-fast", 64, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *dbg = debug_cache("debug-slow", 64, SLAB_RED_ZONE);
	cpu_set_t was = pin_here();

	for (int i = 0; i < 100; i++) {
		kmem_cache_free(plain, kmem_cache_alloc(plain, GFP_KERNEL));
		kmem_cache_free(dbg, kmem_cache_alloc(dbg, GFP_KERNEL));
	}
	unpin(was);
	CHECK(uslab_cache_stat(plain, USLAB_STAT_ALLOC_FASTPATH) >= 99);
	CHECK_EQ(uslab_cache_stat(dbg, USLAB_STAT_ALLOC_FASTPATH), 0);
	CHECK_EQ(uslab_cache_stat(dbg, USLAB_STAT_ALLOC_SLOWPATH), 100);
	capture_start();
	CHECK_EQ(kmem_cache_validate(plain), -1);
	CHECK_STR_CONTAINS(capture_stop(), "not a debug cache");
	CHECK_EQ(uslab_validate_all(), 0);
	kmem_cache_destroy(plain);
	kmem_cache_destroy(dbg);
}

/* Debug caches serialize on list_lock: threads allocating, and freeing
 * each other's objects, leave every check clean. */
struct debug_worker {
	struct kmem_cache *s;
	void *mine[64];
};

static pthread_mutex_t mailbox_lock = PTHREAD_MUTEX_INITIALIZER;
static void *mailbox[64];
static int mailbox_full;

/* Hands 64 objects over and takes the last 64 another thread left. */
static void swap_with_mailbox(void **objs)
{
	pthread_mutex_lock(&mailbox_lock);
	if (mailbox_full) {
		for (int i = 0; i < 64; i++) {
			void *t = mailbox[i];

			mailbox[i] = objs[i];
			objs[i] = t;
		}
	} else {
		memcpy(mailbox, objs, sizeof(mailbox));
		mailbox_full = 1;
		memset(objs, 0, 64 * sizeof(void *));
	}
	pthread_mutex_unlock(&mailbox_lock);
}

static void *debug_worker_main(void *arg)
{
	struct debug_worker *w = arg;
	int rounds = TEST_ASAN ? 50 : 200;

	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < 64; i++) {
			w->mine[i] = kmem_cache_alloc(w->s, GFP_KERNEL);
			memset(w->mine[i], r, 40);
		}
		swap_with_mailbox(w->mine);
		for (int i = 0; i < 64; i++)
			kmem_cache_free(w->s, w->mine[i]);
	}
	return NULL;
}

TEST(debug_cache_under_threads)
{
	struct kmem_cache *s = debug_cache("TestSlub_threads", 40,
					   SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON |
					   SLAB_STORE_USER);
	struct debug_worker w[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		w[i].s = s;
		pthread_create(&th[i], NULL, debug_worker_main, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 64; i++)
		kmem_cache_free(s, mailbox[i]);
	mailbox_full = 0;
	CHECK_EQ(live(s), 0);
	CHECK_EQ(kmem_cache_validate(s), 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* ------------------------------------------------------------ hardening */

TEST(hardened_freelist_is_encoded_and_checked)
{
	struct kmem_cache *s;
	void *p[4], *q, *r;
	long fake[8];
	const char *text;

	uslab_option_set(USLAB_OPT_FREELIST_HARDENED, 1);
	/* Freelists are slub's: the unified personality keeps bitmaps. */
	s = kmem_cache_create("hardened", 64, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);
	uslab_option_set(USLAB_OPT_FREELIST_HARDENED, 0);
	for (int i = 0; i < 4; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 4; i++)
		kmem_cache_free(s, p[i]);
	/* p[3] is the head: its stored free pointer is not p[2] itself. */
	{
		void *stored;

		for (size_t i = 0; i < sizeof(void *); i++)
			((unsigned char *)&stored)[i] = peek((char *)p[3] + s->offset + i);
		CHECK(stored != p[2]);
		/* An attacker writes a plain pointer to memory of his own. */
		poke_word((char *)p[3] + s->offset, fake);
		capture_start();
		q = kmem_cache_alloc(s, GFP_KERNEL);
		r = kmem_cache_alloc(s, GFP_KERNEL);
		text = capture_stop();
		CHECK(q == p[3]);
		CHECK(r != (void *)fake && r != p[2]);
		CHECK_BUG(text, "hardened", "Freelist pointer corrupt");
		CHECK_STR_CONTAINS(text, "FIX hardened: Isolating the slab (its free objects are leaked)\n");
		kmem_cache_free(s, q);
		kmem_cache_free(s, r);
	}
	capture_start();
	kmem_cache_destroy(s);
	capture_stop();
}

TEST(random_freelist_order)
{
	struct kmem_cache *s = kmem_cache_create("shuffled", 64, 0, SLAB_RANDOM_FREELIST, NULL);
	struct kmem_cache *t = kmem_cache_create("ordered", 64, 0, SLAB_NO_MERGE, NULL);
	unsigned int n = cache_info(s).objs_per_slab, ascending = 0, in_order = 0;
	void **p = calloc(n, sizeof(void *)), **q = calloc(n, sizeof(void *));

	CHECK(s != uslab_kmalloc_cache(64));   /* kept apart from plain caches */
	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		q[i] = kmem_cache_alloc(t, GFP_KERNEL);
	}
	/* In order: neighbours in memory, up (slub freelists) or down (unified
	 * sheaves pop their last object first), but for batch seams. */
	for (unsigned int i = 1; i < n; i++) {
		long d1 = (char *)p[i] - (char *)p[i - 1], d2 = (char *)q[i] - (char *)q[i - 1];

		ascending += d1 == 64 || d1 == -64;
		in_order += d2 == 64 || d2 == -64;
	}
	CHECK(in_order >= n - 4);
	CHECK(ascending < n / 2);
	for (unsigned int i = 0; i < n; i++) {
		kmem_cache_free(s, p[i]);
		kmem_cache_free(t, q[i]);
	}
	free(p);
	free(q);
	kmem_cache_destroy(s);
	kmem_cache_destroy(t);
}

TEST(init_on_alloc_and_free)
{
	struct kmem_cache *s;
	unsigned char *p, *q;

	uslab_option_set(USLAB_OPT_INIT_ON_FREE, 1);
	uslab_option_set(USLAB_OPT_INIT_ON_ALLOC, 1);
	s = kmem_cache_create("zeroing", 96, 0, SLAB_NO_MERGE, NULL);
	uslab_option_set(USLAB_OPT_INIT_ON_FREE, 0);
	uslab_option_set(USLAB_OPT_INIT_ON_ALLOC, 0);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 96; i++)
		CHECK_EQ(p[i], 0);
	memset(p, 0xff, 96);
	kmem_cache_free(s, p);
	if (!TEST_ASAN) {
		/* Zeroed at free, except the free pointer's word. */
		int zero = 0;

		for (int i = 0; i < 96; i++)
			zero += p[i] == 0;
		CHECK(zero >= 96 - 8);
	}
	q = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(q == p);
	for (int i = 0; i < 96; i++)
		CHECK_EQ(q[i], 0);
	kmem_cache_free(s, q);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST_MAIN()
