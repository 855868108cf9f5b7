/*
 * personality.h - the methods through which the cache core reaches the
 * code that moves objects between slabs and threads.
 *
 * Two personalities: slub (slub.c; per-thread cpu slab with a private
 * freelist, lockless remote frees) and unified (unified.c; per-thread
 * object queues - sheaves - over slabs that track free objects in a
 * bitmap).  A cache's s->ops is fixed at creation (SLAB_SLUB /
 * SLAB_UNIFIED, default USLAB_ALLOCATOR).  Debug caches keep slub's
 * freelist layout: the debug path (debug.c) walks it.
 *
 * The fast paths are inline (slub/slub_fastpath.h,
 * unified/unified_fastpath.h), picked by one test of s->flags
 * (cache/fastpath.h); everything else goes through these methods.
 */
#ifndef USLAB_PERSONALITY_H
#define USLAB_PERSONALITY_H

#include "base/types.h"

struct personality {
	const char *name;
	/* Objects a slab of 2^order pages holds. */
	unsigned int (*objects_per_slab)(const struct kmem_cache *s, unsigned int order);
	/* Queue sizes, cpu partial sizes: after the layout is known. */
	void (*setup_cache)(struct kmem_cache *s);
	/* Records the free objects of a new slab (freelist or bitmap);
	 * false when the memory to record them is lacking. */
	bool (*init_slab)(struct kmem_cache *s, struct slab *slab, void *start,
			  unsigned int objects);
	/* What init_slab took, given back before the slab's pages (or NULL). */
	void (*release_slab)(struct kmem_cache *s, struct slab *slab);
	/* One object when the fast path could not give one (counted). */
	void *(*alloc_slow)(struct kmem_cache *s, gfp_t gfpflags, int node,
			    struct kmem_cache_cpu *c);
	/* A checked object the fast path could not take; c may be NULL. */
	void (*free_slow)(struct kmem_cache *s, struct slab *slab, void *object,
			  struct kmem_cache_cpu *c);
	/* Everything a thread holds of s goes back to the slabs. */
	void (*flush_cpu)(struct kmem_cache *s, struct kmem_cache_cpu *c);
	/* Frees empty slabs (and cached queues); returns slabs left.
	 * destroying: the cache goes away (or changes its layout), so even
	 * a SLAB_TYPESAFE_BY_RCU cache gives its empty slabs back. */
	unsigned long (*shrink)(struct kmem_cache *s, bool destroying);
	/* What a thread's entry adds to the report. */
	void (*cpu_info)(struct kmem_cache *s, struct kmem_cache_cpu *c,
			 struct uslab_cache_info *info);
};


#endif
