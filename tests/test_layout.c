/*
 * test_layout.c - layer 2: where objects sit.  Every size 1..8192 with
 * every alignment 8..4096: objects aligned, power-of-two sizes aligned to
 * their size, slots not overlapping, waste per slab at most 1/8, and the
 * order options obeyed.
 */
#include "check.h"

static int check_cache_alignment(unsigned int size, unsigned int align)
{
	struct kmem_cache *s = kmem_cache_create("align-test", size, align, SLAB_NO_MERGE, NULL);
	struct uslab_cache_info ci;
	unsigned int want = align;
	void *objs[3][2];
	int bad = 0;

	if (!s)
		return 1;
	ci = cache_info(s);
	if ((size & (size - 1)) == 0 && size > want)
		want = size;
	/* Slots never overlap and the slab wastes at most 1/8. */
	if (ci.size < size || ci.size % align)
		bad = 1;
	if (((4096UL << ci.order) % ci.size) > (4096UL << ci.order) / 8)
		bad = 1;
	/* First, second and last objects of a slab, and one of the next. */
	for (int r = 0; r < 3; r++) {
		objs[r][0] = kmem_cache_alloc(s, GFP_KERNEL);
		objs[r][1] = kmem_cache_alloc(s, GFP_KERNEL);
		for (int k = 0; k < 2; k++) {
			if (!objs[r][k] || (uintptr_t)objs[r][k] % want)
				bad = 1;
			else
				memset(objs[r][k], r, size);
		}
	}
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 2; k++)
			if (objs[r][k] && ((unsigned char *)objs[r][k])[size - 1] != r)
				bad = 1;
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 2; k++)
			kmem_cache_free(s, objs[r][k]);
	kmem_cache_destroy(s);
	if (bad)
		fprintf(stderr, "size %u align %u: size %u order %u bad\n", size, align, ci.size,
			ci.order);
	return bad;
}

TEST(alignment_every_size_every_align)
{
	unsigned int step = 1;

#ifdef USLAB_TEST_SANITIZER
	step = 7; /* same coverage of classes, a seventh of the sizes */
#endif
	for (unsigned int align = 8; align <= 4096; align <<= 1)
		for (unsigned int size = 1; size <= 8192; size += step)
			CHECK_EQ(check_cache_alignment(size, align), 0);
}

TEST(all_objects_of_a_slab_are_distinct_and_aligned)
{
	unsigned int sizes[] = { 1, 8, 24, 40, 96, 100, 192, 250, 640, 1000, 3000, 5000, 8192 };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kmem_cache *s = kmem_cache_create("slab-fill", sizes[i], 0, SLAB_NO_MERGE, NULL);
		struct uslab_cache_info ci = cache_info(s);
		unsigned int n = ci.objs_per_slab * 2 + 1;
		unsigned char **p = calloc(n, sizeof(*p));

		for (unsigned int k = 0; k < n; k++) {
			p[k] = kmem_cache_alloc(s, GFP_KERNEL);
			CHECK(p[k]);
			CHECK_EQ((uintptr_t)p[k] % 8, 0);
			memset(p[k], (int)(k & 0xff), sizes[i]);
		}
		for (unsigned int k = 0; k < n; k++)
			for (unsigned int b = 0; b < sizes[i]; b += 7)
				CHECK_EQ(p[k][b], k & 0xff);
		for (unsigned int k = 0; k < n; k++)
			kmem_cache_free(s, p[k]);
		free(p);
		kmem_cache_destroy(s);
	}
}

TEST(hwcache_align)
{
	struct kmem_cache *s = kmem_cache_create("hw", 40, 0, SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE, NULL);
	struct kmem_cache *t = kmem_cache_create("hw-small", 20, 0, SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE, NULL);

	CHECK(s && t);
	CHECK_EQ(cache_info(s).align, 64);
	CHECK_EQ(cache_info(s).size, 64);
	/* Small objects share a line: alignment halves while size fits. */
	CHECK_EQ(cache_info(t).align, 32);
	kmem_cache_destroy(s);
	kmem_cache_destroy(t);
}

TEST(order_options)
{
	long min_order = uslab_option_get(USLAB_OPT_MIN_ORDER);
	long max_order = uslab_option_get(USLAB_OPT_MAX_ORDER);
	long min_objects = uslab_option_get(USLAB_OPT_MIN_OBJECTS);
	struct kmem_cache *s;

	CHECK_EQ(uslab_option_set(USLAB_OPT_MIN_ORDER, 2), 0);
	s = kmem_cache_create("order-min", 64, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);
	CHECK_EQ(cache_info(s).order, 2);
	CHECK_EQ(cache_info(s).objs_per_slab, 256);
	kmem_cache_destroy(s);
	uslab_option_set(USLAB_OPT_MIN_ORDER, min_order);

	uslab_option_set(USLAB_OPT_MIN_OBJECTS, 64);
	s = kmem_cache_create("order-objs", 1000, 0, SLAB_NO_MERGE, NULL);
	CHECK(cache_info(s).objs_per_slab >= 32);
	kmem_cache_destroy(s);
	uslab_option_set(USLAB_OPT_MIN_OBJECTS, min_objects);

	uslab_option_set(USLAB_OPT_MAX_ORDER, 0);
	s = kmem_cache_create("order-max", 1024, 0, SLAB_NO_MERGE, NULL);
	CHECK_EQ(cache_info(s).order, 0);
	kmem_cache_destroy(s);
	uslab_option_set(USLAB_OPT_MAX_ORDER, max_order);

	/* Out of range values are refused with a report. */
	capture_start();
	CHECK_EQ(uslab_option_set(USLAB_OPT_MAX_ORDER, 99), -1);
	CHECK_STR_CONTAINS(capture_stop(), "USLAB_MAX_ORDER=99 out of range");
	CHECK_EQ(uslab_option_get(USLAB_OPT_MAX_ORDER), max_order);
}

TEST(waste_at_most_one_eighth)
{
	for (unsigned int size = 8; size <= 65536; size += size / 16 + 8) {
		struct kmem_cache *s = kmem_cache_create("waste", size, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);
		struct kmem_cache *u = kmem_cache_create("waste-u", size, 0, SLAB_NO_MERGE | SLAB_UNIFIED, NULL);
		struct uslab_cache_info ci = cache_info(s), cu = cache_info(u);
		unsigned long slab = 4096UL << ci.order, uslab = 4096UL << cu.order;
		unsigned long words = cu.objs_per_slab > 64 ? (cu.objs_per_slab + 63) / 64 : 0;

		CHECK(slab % ci.size <= slab / 8);
		CHECK_EQ(ci.objs_per_slab, slab / ci.size);
		/* Unified: a bitmap of more than one word is out of band; the
		 * objects fill the slab as slub's do. */
		(void)words;
		CHECK_EQ(cu.objs_per_slab, uslab / cu.size > 32767 ? 32767 : uslab / cu.size);
		CHECK(uslab - cu.objs_per_slab * cu.size <= uslab / 8);
		kmem_cache_destroy(s);
		kmem_cache_destroy(u);
	}
}

TEST(free_pointer_inside_object_keeps_the_rest)
{
	/* Without a ctor the free pointer sits in the middle: the first and
	 * last bytes of a freed object survive until it is reused. */
	struct kmem_cache *s = kmem_cache_create("fp-mid", 64, 0, SLAB_NO_MERGE, NULL);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL), *q;

	memset(p, 0x77, 64);
	kmem_cache_free(s, p);
	if (!TEST_ASAN) {
		CHECK_EQ(p[0], 0x77);
		CHECK_EQ(p[63], 0x77);
	}
	q = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(q == p);
	CHECK_EQ(cache_info(s).size, 64);
	kmem_cache_free(s, q);
	kmem_cache_destroy(s);
}

TEST_MAIN()
