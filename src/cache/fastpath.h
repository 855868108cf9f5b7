/*
 * fastpath.h - the exported object-cache calls' fast paths: one test of
 * s->flags picks the cache's personality (slub/slub_fastpath.h or
 * unified/unified_fastpath.h); whatever the personality cannot serve goes
 * to the shared slow paths of alloc.c.
 *
 * Everything here inlines into one leaf function per entry point: no
 * register is saved, the miss, the zeroing and the slow paths are tail
 * calls.
 */
#ifndef USLAB_FASTPATH_H
#define USLAB_FASTPATH_H

#include "core/object.h"
#include "slub/slub_fastpath.h"
#include "unified/unified_fastpath.h"

/* The slow paths are reached by tail calls from the exported entry points,
 * so their return address is the caller's: the owner that U records. */
void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfpflags, int node, size_t orig_size);
/* The free fast path could not take the object: checks it, then frees. */
void slab_free_slow(struct kmem_cache *s, struct slab *slab, void *object,
		    struct kmem_cache_cpu *c);

/* unified_first: the caller's caches are mostly unified (the malloc
 * replacement); only the branch layout differs.  Otherwise one test
 * sends every cache but plain slub off the straight path. */
static __always_inline void *slab_alloc_node_at(struct kmem_cache *s, struct kmem_cache_cpu *c,
						gfp_t gfpflags, int node, size_t orig_size,
						bool unified_first)
{
	slab_flags_t kind = s->flags & (__SLAB_CHECKED | SLAB_UNIFIED);
	void *object;
	bool hit;

	if (likely(c)) {
		if (unified_first && likely(kind == SLAB_UNIFIED))
			hit = unified_alloc_fast(s, c, gfpflags, node, orig_size, false, &object);
		else if (likely(!kind))
			hit = slub_alloc_fast(s, c, gfpflags, node, orig_size, false, &object);
		else if (kind & SLAB_UNIFIED)
			hit = unified_alloc_fast(s, c, gfpflags, node, orig_size, true, &object);
		else
			hit = slub_alloc_fast(s, c, gfpflags, node, orig_size, true, &object);
		if (likely(hit))
			return object;
	}
	return slab_alloc_slow(s, gfpflags, node, orig_size);
}

static __always_inline void *slab_alloc_node_biased(struct kmem_cache *s, gfp_t gfpflags,
						    int node, size_t orig_size, bool unified_first)
{
	return slab_alloc_node_at(s, this_cpu_slab(s), gfpflags, node, orig_size, unified_first);
}

static __always_inline void *slab_alloc_node(struct kmem_cache *s, gfp_t gfpflags, int node,
					     size_t orig_size)
{
	return slab_alloc_node_biased(s, gfpflags, node, orig_size, false);
}

/* c: the thread's entry for s, or NULL.  kfree and free find it through
 * the page descriptor's copy of the cpu_index (page_cpu_slab): the sheaf
 * it is pushed onto is found without waiting for a load of the cache or
 * of the head descriptor (those feed only branches).  unified_first: the malloc replacement's
 * branch order. */
static __always_inline void slab_free_at(struct kmem_cache *s, struct slab *slab,
					 struct kmem_cache_cpu *c, void *object, bool check_start,
					 bool unified_first)
{
	if (likely(c)) {
		slab_flags_t kind = s->flags & (__SLAB_CHECKED | SLAB_UNIFIED);
		bool hit;

		if (unified_first) {
			if (likely(kind == SLAB_UNIFIED))
				hit = unified_free_fast(s, slab, c, object, check_start, false);
			else if (kind & SLAB_UNIFIED)
				hit = unified_free_fast(s, slab, c, object, check_start, true);
			else
				hit = slub_free_fast(s, slab, c, object, check_start);
		} else {
			if (likely(!(kind & SLAB_UNIFIED)))
				hit = slub_free_fast(s, slab, c, object, check_start);
			else
				hit = unified_free_fast(s, slab, c, object, check_start,
							kind & __SLAB_CHECKED);
		}
		if (likely(hit))
			return;
	}
	slab_free_slow(s, slab, object, c);
}

static __always_inline void slab_free(struct kmem_cache *s, struct slab *slab, void *object,
				      bool check_start)
{
	slab_free_at(s, slab, this_cpu_slab(s), object, check_start, false);
}

/* The entry of the cache whose slab holds the page descriptor d (valid
 * only if d's head has a slab_cache: every descriptor of a slab holds its
 * cache's cpu_index, core/slab.c). */
static __always_inline struct kmem_cache_cpu *page_cpu_slab(const struct slab *d)
{
	return this_cpu_slab_at(d->cpu_index);
}

#endif
