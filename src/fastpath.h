/*
 * fastpath.h - the allocation and free fast paths of the slub personality.
 *
 * A thread's cpu slab has a private freelist: allocating pops it, freeing
 * an object of that same slab pushes onto it.  Plain loads and stores, no
 * atomic instruction, no lock, no debug branch.  Everything else (empty
 * freelist, an object of another slab, a thread without state yet, a node
 * request the cpu slab does not satisfy) is one predicted branch away, in
 * slub.c.
 *
 * this_cpu_slab() is the one accessor of per-thread state: a per-CPU mode
 * (rseq) would change it and nothing else.
 */
#ifndef USLAB_FASTPATH_H
#define USLAB_FASTPATH_H

#include <string.h>

#include "segment.h"
#include "slab.h"

extern __thread struct uslab_thread uslab_self __attribute__((tls_model("initial-exec")));

/* The calling thread's entry for s; NULL sends the caller to a slow path,
 * which grows the array (this_cpu_slab_slow). */
static __always_inline struct kmem_cache_cpu *this_cpu_slab(const struct kmem_cache *s)
{
	struct uslab_thread *t = &uslab_self;

	if (likely(s->cpu_index < t->nr_cpu_slab))
		return &t->cpu_slab[s->cpu_index];
	return NULL;
}

static __always_inline void *get_freepointer(const struct kmem_cache *s, void *object)
{
	return *(void **)((char *)object + s->offset);
}

static __always_inline void set_freepointer(const struct kmem_cache *s, void *object, void *fp)
{
	*(void **)((char *)object + s->offset) = fp;
}

static __always_inline bool node_match(const struct slab *slab, int node)
{
	return node == NUMA_NO_NODE || slab_nid(slab) == node;
}

/* Offset of p in its slab: slabs are naturally aligned runs. */
static __always_inline uint64_t slab_offset(const struct slab *slab, const void *p)
{
	return (uintptr_t)p & ((PAGE_SIZE << slab->order) - 1);
}

/* Is p at the start of an object slot?  Exact for any offset below 2 MiB:
 * one multiply-high replaces a division.  Slots fill the slab, so every
 * slot start is an object. */
static __always_inline bool object_start(const struct kmem_cache *s, const struct slab *slab,
					 const void *p)
{
	uint64_t off = slab_offset(slab, p);

	return ((off * s->reciprocal_size) >> RECIPROCAL_SHIFT) * s->size == off;
}

void *slab_alloc_zero(struct kmem_cache *s, void *object);
void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfpflags, int node);

/*
 * Leaf on the fast path: no register is saved, the miss and the zeroing
 * are tail calls.
 */
static __always_inline void *slab_alloc_node(struct kmem_cache *s, gfp_t gfpflags, int node)
{
	struct uslab_thread *t = &uslab_self;

	if (likely(s->cpu_index < t->nr_cpu_slab)) {
		struct kmem_cache_cpu *c = &t->cpu_slab[s->cpu_index];
		void *object = c->freelist;

		if (likely(object && node_match(c->slab, node))) {
			c->freelist = get_freepointer(s, object);
			COUNTER_INC(c->stat[ALLOC_FASTPATH]);
			if (unlikely(gfpflags & __GFP_ZERO))
				return slab_alloc_zero(s, object);
			return object;
		}
	}
	return slab_alloc_slow(s, gfpflags, node);
}

/*
 * The object goes onto the private freelist only when its slab is this
 * thread's cpu slab; the compare with the freelist head is the cheap half
 * of double-free detection (freeing the object just freed).  kfree() also
 * asks that the pointer be the start of an object (check_start): it takes
 * pointers of any origin.  kmem_cache_free() takes that from its contract,
 * as SLUB does; the slow path and the debug caches check it always.
 */
static __always_inline void slab_free(struct kmem_cache *s, struct slab *slab, void *object,
				      bool check_start)
{
	struct uslab_thread *t = &uslab_self;

	if (likely(s->cpu_index < t->nr_cpu_slab)) {
		struct kmem_cache_cpu *c = &t->cpu_slab[s->cpu_index];

		if (likely(slab == c->slab && object != c->freelist &&
			   (!check_start || object_start(s, slab, object)))) {
			set_freepointer(s, object, c->freelist);
			c->freelist = object;
			COUNTER_INC(c->stat[FREE_FASTPATH]);
			return;
		}
		slab_free_slow(s, slab, object, c);
		return;
	}
	slab_free_slow(s, slab, object, NULL);
}

#endif
