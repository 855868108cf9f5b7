/*
 * test_kmalloc.c - layer 5: the size-to-cache map, ksize, the kmalloc
 * family's contracts (zeroing, overflow, krealloc contents), large
 * objects, and bad pointers handed to kfree.
 */
#include <stdint.h>

#include "check.h"

static const char *expected_cache(size_t size)
{
	static char name[32];
	unsigned int s = 8;

	if (size > 64 && size <= 96)
		return "kmalloc-96";
	if (size > 128 && size <= 192)
		return "kmalloc-192";
	while (s < size)
		s <<= 1;
	snprintf(name, sizeof(name), "kmalloc-%u", s);
	return name;
}

TEST(size_mapping_every_size)
{
	for (size_t size = 1; size <= 8192; size++) {
		struct kmem_cache *s = uslab_kmalloc_cache(size);
		void *p;

		CHECK(s);
		if (strcmp(kmem_cache_name(s), expected_cache(size))) {
			fprintf(stderr, "size %zu -> %s, expected %s\n", size, kmem_cache_name(s),
				expected_cache(size));
			CHECK(0);
		}
		p = kmalloc(size, GFP_KERNEL);
		CHECK(p);
		CHECK(ksize(p) >= size);
		CHECK_EQ(ksize(p), kmem_cache_size(s));
		memset(p, 0x5a, ksize(p));
		kfree(p);
	}
	CHECK(uslab_kmalloc_cache(0) == NULL);
	CHECK(uslab_kmalloc_cache(8193) == NULL);
	CHECK(!strcmp(kmem_cache_name(uslab_kmalloc_cache(65)), "kmalloc-96"));
	CHECK(!strcmp(kmem_cache_name(uslab_kmalloc_cache(97)), "kmalloc-128"));
	CHECK(!strcmp(kmem_cache_name(uslab_kmalloc_cache(129)), "kmalloc-192"));
	CHECK(!strcmp(kmem_cache_name(uslab_kmalloc_cache(193)), "kmalloc-256"));
}

TEST(power_of_two_sizes_are_naturally_aligned)
{
	for (size_t size = 8; size <= 8192; size <<= 1) {
		void *p[40];

		for (int i = 0; i < 40; i++) {
			p[i] = kmalloc(size, GFP_KERNEL);
			CHECK(p[i]);
			CHECK_EQ((uintptr_t)p[i] % size, 0);
		}
		for (int i = 0; i < 40; i++)
			kfree(p[i]);
	}
}

TEST(zero_size_and_null)
{
	void *p = kmalloc(0, GFP_KERNEL);

	CHECK(p == ZERO_SIZE_PTR);
	CHECK(ZERO_OR_NULL_PTR(p));
	kfree(p);
	kfree(NULL);
	CHECK_EQ(ksize(NULL), 0);
	CHECK_EQ(ksize(ZERO_SIZE_PTR), 0);
	CHECK(krealloc(NULL, 0, GFP_KERNEL) == ZERO_SIZE_PTR);
}

TEST(kzalloc_and_kcalloc_zero)
{
	for (size_t size = 1; size < 20000; size = size * 3 + 1) {
		unsigned char *p = kmalloc(size, GFP_KERNEL);

		memset(p, 0xff, size);
		kfree(p);
		p = kzalloc(size, GFP_KERNEL);
		CHECK(p);
		for (size_t i = 0; i < size; i++)
			CHECK_EQ(p[i], 0);
		kfree(p);
		p = kcalloc(size, 1, GFP_KERNEL);
		CHECK(p);
		for (size_t i = 0; i < size; i++)
			CHECK_EQ(p[i], 0);
		kfree(p);
	}
}

TEST(array_overflow_returns_null)
{
	CHECK(kcalloc(SIZE_MAX / 2, 3, GFP_KERNEL) == NULL);
	CHECK(kmalloc_array(SIZE_MAX / 8 + 1, 8, GFP_KERNEL) == NULL);
	CHECK(kmalloc_array_node(SIZE_MAX, 2, GFP_KERNEL, NUMA_NO_NODE) == NULL);
	CHECK(krealloc_array(NULL, SIZE_MAX / 4, 5, GFP_KERNEL) == NULL);
	CHECK(kmalloc(SIZE_MAX, GFP_KERNEL | __GFP_NOWARN) == NULL);
	void *p = kmalloc_array(100, 8, GFP_KERNEL);
	CHECK(p);
	CHECK(ksize(p) >= 800);
	kfree(p);
}

TEST(large_objects)
{
	size_t sizes[] = { 8193, 12288, 65536, 100000, 1 << 20, 2 << 20, (2 << 20) + 1, 9 << 20 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = kmalloc(sizes[i], GFP_KERNEL);

		CHECK(p);
		CHECK_EQ((uintptr_t)p % 4096, 0);
		CHECK(ksize(p) >= sizes[i]);
		p[0] = 1;
		p[sizes[i] - 1] = 2;
		kfree(p);
		p = kzalloc(sizes[i], GFP_KERNEL);
		CHECK(p);
		CHECK(p[0] == 0 && p[sizes[i] / 2] == 0 && p[sizes[i] - 1] == 0);
		kfree(p);
	}
}

TEST(krealloc_keeps_contents)
{
	unsigned char *p = kmalloc(10, GFP_KERNEL), *q;

	for (int i = 0; i < 10; i++)
		p[i] = (unsigned char)i;
	/* Within ksize: in place. */
	q = krealloc(p, 16, GFP_KERNEL);
	CHECK(q == p);
	/* Grows through every size class and into large objects. */
	for (size_t size = 17; size < 300000; size = size * 2 + 3) {
		q = krealloc(p, size, GFP_KERNEL);
		CHECK(q);
		for (int i = 0; i < 10; i++)
			CHECK_EQ(q[i], i);
		CHECK(ksize(q) >= size);
		p = q;
	}
	/* Shrinks in place. */
	q = krealloc(p, 5, GFP_KERNEL);
	CHECK(q == p);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(q[i], i);
	CHECK(krealloc(q, 0, GFP_KERNEL) == ZERO_SIZE_PTR);
}

TEST(krealloc_zero_tail)
{
	unsigned char *p = kmalloc(64, GFP_KERNEL), *q;

	memset(p, 0xaa, 64);
	q = krealloc(p, 40, GFP_KERNEL | __GFP_ZERO);
	CHECK(q == p);
	for (int i = 40; i < 64 && !TEST_ASAN; i++)   /* past the size: ASan stops it */
		CHECK_EQ(q[i], 0);
	q = krealloc(q, 56, GFP_KERNEL | __GFP_ZERO);
	CHECK(q == p);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(q[i], 0xaa);
	for (int i = 40; i < 56; i++)
		CHECK_EQ(q[i], 0);
	q = krealloc(q, 200, GFP_KERNEL | __GFP_ZERO);
	CHECK(q != p);
	for (int i = 56; i < 200; i++)
		CHECK_EQ(q[i], 0);
	kfree(q);
}

/* A large block resized in place: with __GFP_ZERO the grown part is
 * zero even where the mapping held an earlier block's bytes. */
/* The first byte of p[from, to) that is not zero, or to. */
static size_t first_nonzero(const char *p, size_t from, size_t to)
{
	while (from < to && !p[from])
		from++;
	return from;
}

/* kzalloc'd, then grown with __GFP_ZERO: zeros throughout, also where
 * the slot held an earlier object's bytes past the size asked for
 * (krealloc copies ksize() bytes, as the kernel's does, so kzalloc
 * zeroes the whole slot).  Failed tsan:test_kmalloc:unified under
 * migration: another CPU's slab handed out a dirty slot. */
TEST(krealloc_grows_a_zeroed_object_with_zeros)
{
	cpu_set_t was = pin_here();
	unsigned char *dirty = kmalloc(300, GFP_KERNEL), *z;
	size_t ks = ksize(dirty);

	memset(dirty, 0x5a, ks);
	kfree(dirty);
	z = kzalloc(300, GFP_KERNEL);
	if (!getenv("USLAB_DEBUG"))     /* debug frees go to the slab, not the cpu */
		CHECK(z == dirty);       /* the slot just freed: LIFO */
	z = krealloc(z, ks + 1000, GFP_KERNEL | __GFP_ZERO);
	CHECK(z);
	CHECK_EQ(first_nonzero((char *)z, 0, ks + 1000), ks + 1000);
	kfree(z);
	unpin(was);
}

TEST(krealloc_of_a_large_block_in_place_zeroes_the_growth)
{
	char *p = kmalloc(5 << 20, GFP_KERNEL), *q;

	memset(p, 0xbb, 5 << 20);
	q = krealloc(p, 3 << 20, GFP_KERNEL);
	CHECK(q == p);
	CHECK_EQ(ksize(q), 3u << 20);
	q = krealloc(q, 6 << 20, GFP_KERNEL | __GFP_ZERO);
	CHECK(q == p);
	CHECK_EQ(ksize(q), 6u << 20);
	for (size_t i = 0; i < (3u << 20); i += 4096)
		CHECK_EQ(q[i], (char)0xbb);
	CHECK_EQ(first_nonzero(q, 3u << 20, 6u << 20), 6u << 20);
	kfree(q);
}

/* Shrunk with __GFP_ZERO, then grown with it: all past the new size reads
 * zero, the tail of the shrunk block's last page too. */
TEST(krealloc_of_a_large_block_zero_shrink_then_grow)
{
	char *p = kmalloc(5 << 20, GFP_KERNEL), *q;
	size_t cut = (3 << 20) + 100;

	memset(p, 0xbb, 5 << 20);
	q = krealloc(p, cut, GFP_KERNEL | __GFP_ZERO);
	CHECK(q == p);
	q = krealloc(q, 5 << 20, GFP_KERNEL | __GFP_ZERO);
	CHECK(q == p);
	for (size_t i = 0; i < cut; i += 4096)
		CHECK_EQ(q[i], (char)0xbb);
	CHECK_EQ(first_nonzero(q, cut, 5u << 20), 5u << 20);
	kfree(q);
}

/* init_on_alloc holds for the part a block grows into in place. */
TEST(krealloc_of_a_large_block_in_place_honours_init_on_alloc)
{
	char *p = kmalloc(5 << 20, GFP_KERNEL), *q;

	memset(p, 0xbb, 5 << 20);
	q = krealloc(p, 3 << 20, GFP_KERNEL);
	CHECK(q == p);
	uslab_option_set(USLAB_OPT_INIT_ON_ALLOC, 1);
	q = krealloc(q, 6 << 20, GFP_KERNEL);
	uslab_option_set(USLAB_OPT_INIT_ON_ALLOC, 0);
	CHECK(q == p);
	CHECK_EQ(first_nonzero(q, 3u << 20, 6u << 20), 6u << 20);
	kfree(q);
}

TEST(strings_and_dup)
{
	char *s = kstrdup("hello, slab", GFP_KERNEL);
	char *t = kstrndup("abcdef", 3, GFP_KERNEL);
	int data[5] = { 1, 2, 3, 4, 5 };
	int *d = kmemdup(data, sizeof(data), GFP_KERNEL);

	CHECK(s && !strcmp(s, "hello, slab"));
	CHECK(t && !strcmp(t, "abc"));
	CHECK(d && !memcmp(d, data, sizeof(data)));
	CHECK(kstrdup(NULL, GFP_KERNEL) == NULL);
	kfree(s);
	kfree(t);
	kfree(d);
	s = kvmalloc(100, GFP_KERNEL);
	CHECK(s);
	kvfree(s);
}

TEST(kfree_foreign_pointer_reported_and_ignored)
{
	static char not_ours[64];
	int on_stack;
	char *mine = kmalloc(64, GFP_KERNEL);
	const char *text;

	capture_start();
	kfree(not_ours);
	kfree(&on_stack);
	kfree((void *)0x1000);
	text = capture_stop();
	CHECK_EQ(capture_count(), 3);
	CHECK_BUG_STARTS(text, "uslab", "Invalid free of");
	CHECK_STR_CONTAINS(text, "in kfree: not allocated by uslab");
	CHECK_STR_CONTAINS(text, "FIX uslab: Pointer ignored");
	/* The allocator still works and nothing else was touched. */
	memset(mine, 7, 64);
	kfree(mine);
	mine = kmalloc(64, GFP_KERNEL);
	CHECK(mine);
	kfree(mine);
}

TEST(kfree_interior_pointer_reported)
{
	char *p = kmalloc(64, GFP_KERNEL);
	char *big = kmalloc(100000, GFP_KERNEL);
	struct kmem_cache *s = uslab_kmalloc_cache(64);
	uint64_t frees = uslab_cache_stat(s, USLAB_STAT_FREE_FASTPATH) +
			 uslab_cache_stat(s, USLAB_STAT_FREE_SLOWPATH);
	const char *text;

	capture_start();
	kfree(p + 8);
	kfree(big + 4096);
	text = capture_stop();
	CHECK_EQ(capture_count(), 2);
	CHECK_BUG_STARTS(text, "kmalloc-64", "Invalid object pointer");
	CHECK_STR_CONTAINS(text, "pointer is not the start of an object");
	CHECK_STR_CONTAINS(text, "FIX kmalloc-64: Object not freed");
	CHECK_STR_CONTAINS(text, "pointer inside a large object, not its start");
	CHECK_EQ(uslab_cache_stat(s, USLAB_STAT_FREE_FASTPATH) +
		 uslab_cache_stat(s, USLAB_STAT_FREE_SLOWPATH), frees);
	kfree(p);
	kfree(big);
}

TEST(double_free_of_last_freed_object_reported)
{
	char *p = kmalloc(32, GFP_KERNEL), *q, *r;
	const char *text;

	kfree(p);
	capture_start();
	kfree(p);
	text = capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK_BUG_STARTS(text, "kmalloc-32", "Object already free");
	CHECK_STR_CONTAINS(text, "FIX kmalloc-32: Object not freed again; freelist intact");
	/* The freelist holds p once: two allocations give two objects. */
	q = kmalloc(32, GFP_KERNEL);
	r = kmalloc(32, GFP_KERNEL);
	CHECK(q != r);
	kfree(q);
	kfree(r);
}

/* Today's kernel helpers on kmalloc: sizes that overflow fail, zeroing
 * where asked, contents copied, literals not copied. */
TEST(kernel_helpers)
{
	static const char literal[] = "a literal in read-only data";
	char writable[] = "a string on the stack";
	int src[5] = { 1, 2, 3, 4, 5 }, *dup;
	unsigned char *z;
	const char *c;
	char *r;

	CHECK(!kvmalloc_array(SIZE_MAX / 2, 3, GFP_KERNEL));
	CHECK(!kvcalloc(SIZE_MAX / 8, 16, GFP_KERNEL));
	CHECK(!kmemdup_array(src, SIZE_MAX / 2, 4, GFP_KERNEL));
	z = kvcalloc(100, 3, GFP_KERNEL);
	CHECK(z);
	for (int i = 0; i < 300; i++)
		CHECK_EQ(z[i], 0);
	z = kvrealloc(z, 5000, GFP_KERNEL | __GFP_ZERO);
	CHECK(z);
	for (int i = 0; i < 5000; i++)
		CHECK_EQ(z[i], 0);
	kvfree(z);
	z = kvmalloc_node(64, GFP_KERNEL, NUMA_NO_NODE);
	CHECK(z);
	kvfree(z);
	dup = kmemdup_array(src, 5, sizeof(int), GFP_KERNEL);
	CHECK(dup && dup != src && !memcmp(dup, src, sizeof(src)));
	kfree(dup);

	c = kstrdup_const(literal, GFP_KERNEL);
	CHECK(c == literal);
	kfree_const(c);
	c = kstrdup_const(writable, GFP_KERNEL);
	CHECK(c && c != writable && !strcmp(c, writable));
	CHECK(kmem_valid_obj((void *)c));
	kfree_const(c);
	CHECK(kstrdup_const(NULL, GFP_KERNEL) == NULL);
	kfree_const(NULL);

	CHECK(gfpflags_allow_blocking(GFP_KERNEL));
	CHECK(!gfpflags_allow_blocking(GFP_NOWAIT));
	CHECK(!gfpflags_allow_blocking(GFP_ATOMIC));

	r = kmalloc(40, GFP_KERNEL);
	CHECK(r);
	memset(r, 0x5a, 40);
	CHECK(kmem_valid_obj(r) && kmem_valid_obj(r + 39));
	CHECK(!kmem_valid_obj(writable));
	kfree_sensitive(r);
	kfree_sensitive(NULL);
}

/* kfree_sensitive wipes the whole block, slack included, before the free
 * (read back where the ASan build allows). */
TEST(kfree_sensitive_wipes_the_block)
{
	unsigned char *p, *q;

	if (TEST_ASAN || getenv("USLAB_DEBUG"))
		return;   /* the freed block is poisoned there */
	pin_to_current_cpu();
	p = kmalloc(50, GFP_KERNEL);   /* kmalloc-64: 14 bytes of slack */
	CHECK(p);
	memset(p, 0xa5, ksize(p));
	kfree_sensitive(p);
	/* The next kmalloc-64 object of this CPU is p again. */
	q = kmalloc(50, GFP_KERNEL);
	CHECK(q == p);
	/* No word of the old contents is left (the free pointer's word
	 * holds a link now, whatever its bytes). */
	for (size_t i = 0; i < 64; i += 8) {
		uint64_t w;

		memcpy(&w, q + i, 8);
		CHECK(w != 0xa5a5a5a5a5a5a5a5ull);
	}
	kfree(q);
}

/* kfree_sensitive of a pointer inside an object wipes nothing (kfree
 * reports it), and of an object freed already leaves its freelist whole
 * (the double free is reported, the next allocations come from the same
 * slab, each once). */
TEST(kfree_sensitive_wipes_only_what_it_frees)
{
	struct kmem_cache *s = kmem_cache_create("sensitive", 64, 0, SLAB_NO_MERGE, NULL);
	unsigned char *a, *b, *got[8];
	struct uslab_cache_info ci;

	pin_to_current_cpu();
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(a && b);
	memset(a, 0x11, 64);
	memset(b, 0x22, 64);
	capture_start();
	kfree_sensitive(a + 8);
	capture_stop();
	CHECK_STR_CONTAINS(capture_buf, "pointer is not the start of an object");
	for (int i = 0; i < 64; i++) {
		CHECK_EQ(a[i], 0x11);
		CHECK_EQ(b[i], 0x22);
	}
	kmem_cache_free(s, b);
	if (!TEST_ASAN) {
		capture_start();
		kfree_sensitive(b);   /* freed already: the cheap test sees it */
		capture_stop();
		CHECK_STR_CONTAINS(capture_buf, "Object already free");
	}
	uslab_cache_info(s, &ci);
	for (int i = 0; i < 8; i++) {
		got[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(got[i] && got[i] != a);
		for (int j = 0; j < i; j++)
			CHECK(got[i] != got[j]);
		/* slub: from the cpu freelist b heads, the slab of a and b
		 * (a broken link would send the next ones to a new slab). */
		if (!strcmp(ci.allocator, "slub") && !getenv("USLAB_DEBUG"))
			CHECK(((uintptr_t)got[i] & ~(uintptr_t)4095) == ((uintptr_t)a & ~(uintptr_t)4095));
	}
	for (int i = 0; i < 8; i++)
		kmem_cache_free(s, got[i]);
	kmem_cache_free(s, a);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* kmem_dump_obj: the cache, the object's start, the offset, the size;
 * a debug cache's state and owner; large blocks; foreign pointers. */
TEST(kmem_dump_obj_says_what_it_knows)
{
	struct kmem_cache *s = kmem_cache_create("dumped", 100, 0, SLAB_NO_MERGE, NULL);
	static long not_ours[4];
	char line[256];
	char *o, *big;

	o = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(o);
	capture_start();
	CHECK(kmem_dump_obj(o + 10));
	capture_stop();
	snprintf(line, sizeof(line), "uslab: kmem_dump_obj(%p): slab dumped start %p pointer offset 10 size 100",
		 (void *)(o + 10), (void *)o);
	CHECK_STR_CONTAINS(capture_buf, line);
	big = kmalloc(100000, GFP_KERNEL);
	CHECK(big);
	capture_start();
	CHECK(!kmem_dump_obj(big + 5));
	capture_stop();
	snprintf(line, sizeof(line), "uslab: kmem_dump_obj(%p): large kmalloc block start %p pointer offset 5 size ",
		 (void *)(big + 5), (void *)big);
	CHECK_STR_CONTAINS(capture_buf, line);
	kfree(big);
	capture_start();
	CHECK(!kmem_dump_obj(&not_ours[1]));
	capture_stop();
	CHECK_STR_CONTAINS(capture_buf, "): not uslab's memory\n");
	kmem_cache_free(s, o);
	kmem_cache_destroy(s);

	/* Red zones and owner tracking (slub_debug's Z and U). */
	CHECK_EQ(uslab_debug_config("ZU,dumped-debug"), 0);
	s = kmem_cache_create("dumped-debug", 100, 0, SLAB_NO_MERGE, NULL);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(o);
	capture_start();
	kmem_dump_obj(o);
	capture_stop();
	CHECK_STR_CONTAINS(capture_buf, "pointer offset 0 size 100, allocated\n");
	CHECK_STR_CONTAINS(capture_buf, "Allocated in ");
	kmem_cache_free(s, o);
	capture_start();
	kmem_dump_obj(o);
	capture_stop();
	CHECK_STR_CONTAINS(capture_buf, "pointer offset 0 size 100, free\n");
	CHECK_STR_CONTAINS(capture_buf, "Freed in ");
	kmem_cache_destroy(s);
	CHECK_EQ(uslab_debug_config(""), 0);
}

TEST_MAIN()
