/*
 * object.h - what the fast paths of both personalities and their slow
 * paths share about objects and per-thread state: this_cpu_slab(), free
 * pointers, the index and start of an object in its slab, the sanitizer
 * hooks of an allocation and a free.
 *
 * this_cpu_slab() (an entry for one cache) and current_thread() (the rest
 * of the thread's state, core/slab.h) are the only accessors of per-thread
 * state: a per-CPU mode (rseq) would change them and nothing else.
 */
#ifndef USLAB_OBJECT_H
#define USLAB_OBJECT_H

#include <string.h>

#include "base/sanitizer.h"
#include "core/slab.h"
#include "page/segment.h"

/*
 * A page's info word (types.h: segment.page_info): the slab's cache as its
 * cpu_index in the low 16 bits, PAGE_INFO_SLAB, the slab's order in the
 * top four bits; 0 for a page in no slab.  One aligned word, so a free
 * that races the slab's reuse (a double free) sees the page whole as the
 * old slab's or the new one's.
 */
#define PAGE_INFO_ORDER_SHIFT 28
#define PAGE_INFO_SLAB        (1u << 27)
_Static_assert(MAX_CACHES <= (1u << 16), "cpu_index fits the low bits");
_Static_assert(PAGE_ALLOC_MAX_ORDER < 16, "the order fits the top bits");

static __always_inline uint32_t page_info_make(unsigned int cpu_index, unsigned int order)
{
	return order << PAGE_INFO_ORDER_SHIFT | PAGE_INFO_SLAB | cpu_index;
}

static __always_inline unsigned int page_info_cpu_index(uint32_t info)
{
	return info & 0xffff;
}

static __always_inline unsigned int page_info_order(uint32_t info)
{
	return info >> PAGE_INFO_ORDER_SHIFT;
}

/* The calling thread's entry for s (this_cpu_slab_at: for the cache whose
 * cpu_index is given, from a page's info word or a malloc size class,
 * which saves a dependent load); NULL sends the caller to a slow path,
 * which registers the thread or makes more entries valid
 * (this_cpu_slab_slow).  The block never moves (types.h), so an entry
 * stays valid across anything a slow path calls. */
static __always_inline struct kmem_cache_cpu *this_cpu_slab_at(unsigned int cpu_index)
{
	struct uslab_thread *t = current_thread();

	if (likely(cpu_index < t->nr_cpu_slab)) {
		struct kmem_cache_cpu *c = &t->cpu_slab[cpu_index];

		/* Tells the compiler so: the callers' NULL test folds away. */
		if (!c)
			__builtin_unreachable();
		return c;
	}
	return NULL;
}

static __always_inline struct kmem_cache_cpu *this_cpu_slab(const struct kmem_cache *s)
{
	return this_cpu_slab_at(s->cpu_index);
}

/* The entry a slow path starts from: the thread's, or NULL where cpu mode
 * has CPU entries for s (this_cpu_slab_slow takes the CPU's then; the
 * thread's own entry, left from thread mode, is not used again). */
static inline struct kmem_cache_cpu *slow_cpu_slab(const struct kmem_cache *s)
{
	if (READ_ONCE(percpu_fast.enabled) && percpu_cache(s))
		return NULL;
	return this_cpu_slab(s);
}

/* A stored free pointer: XOR the cache's key and the byte-swapped address
 * it is stored at (CONFIG_SLAB_FREELIST_HARDENED); key and mix are 0 for a
 * cache without hardening, and then it is the pointer itself. */
static __always_inline uintptr_t freelist_ptr_mangle(const struct kmem_cache *s, uintptr_t ptr,
						     uintptr_t slot)
{
	return ptr ^ s->fp_key ^ (__builtin_bswap64(slot) & s->fp_mix);
}

static __always_inline void *get_freepointer(const struct kmem_cache *s, void *object)
{
	uintptr_t slot = (uintptr_t)object + s->offset;

	return (void *)freelist_ptr_mangle(s, (uintptr_t)kasan_load_word((void *)slot), slot);
}

static __always_inline void set_freepointer(const struct kmem_cache *s, void *object, void *fp)
{
	uintptr_t slot = (uintptr_t)object + s->offset;

	kasan_store_word((void *)slot, (void *)freelist_ptr_mangle(s, (uintptr_t)fp, slot));
}

static __always_inline void set_cpu_slab(struct kmem_cache_cpu *c, struct slab *slab)
{
	c->second = NULL;
	WRITE_ONCE(c->slab, slab);
	c->slab_shift = slab ? PAGE_SHIFT + slab->order : 0;
}

/* The object at index idx of a slab starting at start. */
static __always_inline char *slab_object(const struct kmem_cache *s, char *start, unsigned int idx)
{
	return start + s->red_left_pad + (size_t)idx * s->size;
}

static __always_inline bool node_match(const struct slab *slab, int node)
{
	return node == NUMA_NO_NODE || slab_nid(slab) == node;
}

/* Offset of p from the first slot of its slab: slabs are naturally aligned
 * runs, objects sit red_left_pad into their slot. */
static __always_inline uint64_t slab_offset(const struct kmem_cache *s, const struct slab *slab,
					    const void *p)
{
	return ((uintptr_t)p & ((PAGE_SIZE << slab->order) - 1)) - s->red_left_pad;
}

/* Objects in a slab: fixed while it is a slab, read atomically because
 * the other fields of the word change under cmpxchg. */
static __always_inline unsigned int slab_objects(const struct slab *slab)
{
	union slab_counters cnt = { .counters = READ_ONCE(slab->counters) };

	return cnt.objects;
}

/* Index of the object at obj in its slab: a shift for power-of-two slots. */
static __always_inline unsigned int obj_to_index(const struct kmem_cache *s,
						 const struct slab *slab, const void *obj)
{
	uintptr_t mask = READ_ONCE(s->slot_mask);

	if (mask)
		return (unsigned int)(((uintptr_t)obj & ((PAGE_SIZE << slab->order) - 1)) >>
				      __builtin_ctzl(mask + 1));
	return (unsigned int)((slab_offset(s, slab, obj) * s->reciprocal_size) >> RECIPROCAL_SHIFT);
}

/* Is p the start of one of the objects of a slab of 2^order pages?  Its
 * offset from the first slot (a wrapped, huge one below red_left_pad) must
 * be a multiple of the size, the slot whole in the slab: a slab's tail has
 * slot boundaries too.  A slab has bytes / size objects (no order is used
 * for which that exceeds MAX_OBJS_PER_SLAB: cache_layout.c, tunables.c).
 * One multiply, no division, and no branch: the malloc replacement frees
 * objects of power-of-two and other sizes in any order, and a first test
 * for a power-of-two mask mispredicted on a third of them (cachegrind). */
static __always_inline bool object_start_order(const struct kmem_cache *s, unsigned int order,
					       const void *p)
{
	uint64_t bytes = PAGE_SIZE << order;
	uint64_t off = ((uintptr_t)p & (bytes - 1)) - s->red_left_pad;

	return (off * s->start_magic < s->start_magic) & (off <= bytes - s->size);
}

/* The same for a cache without a left red zone (no debug flags). */
static __always_inline bool object_start_plain(const struct kmem_cache *s, unsigned int order,
					       const void *p)
{
	uint64_t bytes = PAGE_SIZE << order;
	uint64_t off = (uintptr_t)p & (bytes - 1);

	return (off * s->start_magic < s->start_magic) & (off <= bytes - s->size);
}

static __always_inline bool object_start(const struct kmem_cache *s, const struct slab *slab,
					 const void *p)
{
	return object_start_order(s, slab->order, p);
}

/* orig_size 0 stands for the whole object: kmem_cache_alloc() passes 0 so
 * that the fast path loads nothing it does not use. */
static __always_inline size_t alloc_size(const struct kmem_cache *s, size_t orig_size)
{
	return orig_size ? orig_size : s->object_size;
}

/* ASan: an object handed out is addressable up to the size asked for. */
static __always_inline void kasan_slab_alloc(const struct kmem_cache *s, void *object,
					     size_t orig_size)
{
	if (kasan_enabled()) {
		orig_size = alloc_size(s, orig_size);
		kasan_unpoison(object, orig_size);
		if (orig_size < s->object_size)
			kasan_poison((char *)object + orig_size, s->object_size - orig_size);
	}
}

static __always_inline void kasan_slab_free(const struct kmem_cache *s, void *object)
{
	if (kasan_enabled() && !(s->flags & SLAB_TYPESAFE_BY_RCU))
		kasan_poison(object, s->object_size);
}

static __always_inline bool want_zero(const struct kmem_cache *s, gfp_t gfpflags)
{
	return (gfpflags & __GFP_ZERO) || (s->flags & __SLAB_INIT_ON_ALLOC);
}


/* Zeroes (and unpoisons) an object being handed out: out of line, a tail
 * call of the fast paths; never NULL, so that a caller testing its result
 * loses nothing. */
void *slab_alloc_zero(struct kmem_cache *s, void *object, size_t orig_size)
	__attribute__((returns_nonnull));

/* What a popped object gets before it is handed out (the fast paths of
 * both personalities, both modes): zeroing, the sanitizer's word.
 * checked: the cache has __SLAB_CHECKED, which init_on_alloc sets; without
 * it only __GFP_ZERO zeroes, a test that folds away where the caller's
 * gfp is a constant (malloc). */
static __always_inline void *slab_alloc_hit(struct kmem_cache *s, void *object, gfp_t gfpflags,
					    size_t orig_size, bool checked)
{
	if (unlikely(checked ? want_zero(s, gfpflags) : (gfpflags & __GFP_ZERO)))
		return slab_alloc_zero(s, object, orig_size);
	kasan_slab_alloc(s, object, orig_size);
	return object;
}

#endif
