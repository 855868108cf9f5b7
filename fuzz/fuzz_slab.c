/*
 * fuzz_slab.c - a libFuzzer harness: each input is a program of cache
 * operations (create, alloc, free, bulk, shrink, destroy, kmalloc,
 * krealloc, validate) mixed with bad frees and red-zone writes on debug
 * caches.  uslab must survive all of it: every object keeps the pattern
 * it was given, every bad free is reported and changes nothing, every
 * injected red-zone fault is found and fixed, and validation is clean.
 * A broken invariant aborts, which libFuzzer records as a crash.
 *
 *   make fuzz FUZZ_TIME=3600     run it for an hour
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>
#include <uslab.h>

#define MAX_CACHES 4
#define MAX_OBJS 256

struct obj {
	void *p;
	int cache;          /* -1: kmalloc */
	size_t size;
	uint8_t pattern;
};

static struct kmem_cache *caches[MAX_CACHES];
static unsigned int cache_size[MAX_CACHES];
static slab_flags_t cache_flags[MAX_CACHES];
static struct obj objs[MAX_OBJS];
static unsigned long reports;

static void count_report(void *ctx, const char *text)
{
	(void)ctx;
	(void)text;
	reports++;
}

#define REQUIRE(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_slab: %s:%d: %s\n", __FILE__,    \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

struct input {
	const uint8_t *data;
	size_t len, pos;
};

static unsigned int next(struct input *in)
{
	return in->pos < in->len ? in->data[in->pos++] : 0;
}

static unsigned int next16(struct input *in)
{
	return next(in) | next(in) << 8;
}

static void ctor(void *p)
{
	*(uint8_t *)p = 0;   /* objects may be a single byte */
}

static void fill(struct obj *o)
{
	memset(o->p, o->pattern, o->size);
}

static void check(const struct obj *o)
{
	const uint8_t *p = o->p;

	for (size_t i = 0; i < o->size; i++)
		REQUIRE(p[i] == o->pattern);
}

static void release(struct obj *o)
{
	check(o);
	if (o->cache < 0)
		kfree(o->p);
	else
		kmem_cache_free(caches[o->cache], o->p);
	o->p = NULL;
}

static bool is_debug(int c)
{
	return cache_flags[c] & SLAB_CONSISTENCY_CHECKS;
}

static void destroy_cache(int c)
{
	for (int i = 0; i < MAX_OBJS; i++)
		if (objs[i].p && objs[i].cache == c)
			release(&objs[i]);
	kmem_cache_destroy(caches[c]);
	caches[c] = NULL;
}

static void op_create(struct input *in)
{
	static const unsigned int aligns[] = { 0, 8, 16, 64, 256 };
	static const slab_flags_t choices[] = {
		0, SLAB_HWCACHE_ALIGN, SLAB_TYPESAFE_BY_RCU, SLAB_NO_MERGE, SLAB_RANDOM_FREELIST,
		SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER,
		SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE,
		SLAB_CONSISTENCY_CHECKS | SLAB_POISON,
		SLAB_UNIFIED, SLAB_UNIFIED | SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE,
	};
	int c = (int)(next(in) % MAX_CACHES);
	unsigned int size = 1 + next16(in) % 3000;
	unsigned int align = aligns[next(in) % 5];
	slab_flags_t flags = choices[next(in) % (sizeof(choices) / sizeof(choices[0]))];
	bool with_ctor = next(in) & 1;
	char name[32];

	if (caches[c])
		destroy_cache(c);
	snprintf(name, sizeof(name), "fuzz-%d", c);
	caches[c] = kmem_cache_create(name, size, align, flags, with_ctor ? ctor : NULL);
	REQUIRE(caches[c]);
	cache_size[c] = size;
	cache_flags[c] = flags;
}

static struct obj *free_slot(struct input *in)
{
	unsigned int start = next(in);

	for (unsigned int i = 0; i < MAX_OBJS; i++) {
		struct obj *o = &objs[(start + i) % MAX_OBJS];

		if (!o->p)
			return o;
	}
	return NULL;
}

static struct obj *used_slot(struct input *in)
{
	unsigned int start = next(in);

	for (unsigned int i = 0; i < MAX_OBJS; i++) {
		struct obj *o = &objs[(start + i) % MAX_OBJS];

		if (o->p)
			return o;
	}
	return NULL;
}

static void op_alloc(struct input *in)
{
	int c = (int)(next(in) % MAX_CACHES);
	struct obj *o = free_slot(in);

	if (!o || !caches[c])
		return;
	o->p = kmem_cache_alloc(caches[c], GFP_KERNEL);
	REQUIRE(o->p);
	o->cache = c;
	o->size = cache_size[c];
	o->pattern = (uint8_t)next(in);
	fill(o);
}

static void op_kmalloc(struct input *in)
{
	struct obj *o = free_slot(in);
	size_t size = next16(in) % 20000;

	if (!o)
		return;
	o->p = kmalloc(size, GFP_KERNEL);
	REQUIRE(o->p);
	if (o->p == ZERO_SIZE_PTR) {
		o->p = NULL;
		return;
	}
	REQUIRE(ksize(o->p) >= size);
	o->cache = -1;
	o->size = size;
	o->pattern = (uint8_t)next(in);
	fill(o);
}

static void op_krealloc(struct input *in)
{
	struct obj *o = used_slot(in);
	size_t size = 1 + next16(in) % 20000;
	void *q;

	if (!o || o->cache >= 0)
		return;
	check(o);
	q = krealloc(o->p, size, GFP_KERNEL);
	REQUIRE(q);
	o->p = q;
	if (size < o->size)
		o->size = size;
	check(o);
	o->size = size;
	fill(o);
}

static void op_free(struct input *in)
{
	struct obj *o = used_slot(in);

	if (o)
		release(o);
}

/* A bad free on a debug cache: reported once, nothing else changes. */
static void op_bad_free(struct input *in)
{
	struct obj *o = used_slot(in);
	unsigned long before = reports;
	int kind = (int)(next(in) % 4);
	int other;

	if (!o || o->cache < 0 || !is_debug(o->cache))
		return;
	switch (kind) {
	case 0: {   /* double free, right after the free */
		void *p = o->p;

		release(o);
		kmem_cache_free(caches[o->cache], p);
		break;
	}
	case 1:     /* not the start of an object */
		kmem_cache_free(caches[o->cache], (char *)o->p + 1 + next(in) % 7);
		break;
	case 2: {   /* a pointer uslab never handed out */
		long local;

		kmem_cache_free(caches[o->cache], &local);
		break;
	}
	case 3:     /* the wrong cache */
		other = (o->cache + 1 + (int)(next(in) % (MAX_CACHES - 1))) % MAX_CACHES;
		if (!caches[other] || caches[other] == caches[o->cache])
			return;
		kmem_cache_free(caches[other], o->p);
		break;
	}
	REQUIRE(reports == before + 1);
	if (o->p)
		check(o);
}

/* A write just past an object of a red-zoned cache: found and fixed. */
static void op_redzone(struct input *in)
{
	struct obj *o = used_slot(in);
	unsigned char *p;

	if (!o || o->cache < 0 || !(cache_flags[o->cache] & SLAB_RED_ZONE))
		return;
	p = (unsigned char *)o->p + o->size;
	__asan_unpoison_memory_region(p, 1);
	*p ^= 0x5a;
	REQUIRE(kmem_cache_validate(caches[o->cache]) == 1);
	REQUIRE(kmem_cache_validate(caches[o->cache]) == 0);
}

static void op_bulk(struct input *in)
{
	int c = (int)(next(in) % MAX_CACHES);
	size_t n = 1 + next(in) % 64;
	void *p[64];

	if (!caches[c])
		return;
	REQUIRE(kmem_cache_alloc_bulk(caches[c], GFP_KERNEL, n, p) == (int)n);
	for (size_t i = 0; i < n; i++)
		memset(p[i], 0x33, cache_size[c]);
	kmem_cache_free_bulk(caches[c], n, p);
}

static void op_validate(void)
{
	for (int c = 0; c < MAX_CACHES; c++)
		if (caches[c] && is_debug(c))
			REQUIRE(kmem_cache_validate(caches[c]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };

	uslab_set_report_sink(count_report, NULL, NULL, NULL);
	while (in.pos < in.len) {
		switch (next(&in) % 12) {
		case 0: op_create(&in); break;
		case 1: case 2: op_alloc(&in); break;
		case 3: case 4: op_free(&in); break;
		case 5: op_kmalloc(&in); break;
		case 6: op_krealloc(&in); break;
		case 7: op_bad_free(&in); break;
		case 8: op_bulk(&in); break;
		case 9: {
			int c = (int)(next(&in) % MAX_CACHES);

			if (caches[c])
				kmem_cache_shrink(caches[c]);
			break;
		}
		case 10: op_redzone(&in); break;
		case 11: op_validate(); break;
		}
	}
	op_validate();
	for (int i = 0; i < MAX_OBJS; i++)
		if (objs[i].p)
			release(&objs[i]);
	for (int c = 0; c < MAX_CACHES; c++)
		if (caches[c]) {
			unsigned long before = reports;

			destroy_cache(c);
			REQUIRE(reports == before);   /* nothing left behind */
		}
	return 0;
}
