/*
 * slub_fastpath.h - the allocation and free fast paths of the slub
 * personality, inlined into the exported calls by cache/fastpath.h.
 *
 * A thread's cpu slab has a private freelist: allocating pops it, freeing
 * an object of that same slab pushes onto it.  Plain loads and stores, no
 * atomic instruction, no lock, no debug branch.  Two forms, chosen by one
 * test of s->flags:
 *  - plain: free pointers stored as they are;
 *  - checked (__SLAB_CHECKED): a hardened freelist (each free pointer
 *    stored XOR a per-cache key and its own address, and checked to stay
 *    inside the cpu slab when read), init_on_alloc / init_on_free.
 *
 * Each returns false when it cannot serve the call (empty freelist, a node
 * the cpu slab is not on, an object of another slab, a double free): the
 * caller goes to the slow path.  Calls made here are tail calls, so the
 * exported entry points stay leaves.
 */
#ifndef USLAB_SLUB_FASTPATH_H
#define USLAB_SLUB_FASTPATH_H

#include "core/object.h"

/* Out of line (slub.c): zeroing on free, and a checked pop whose next pointer
 * leaves the cpu slab (the end of the freelist, or a corrupt pointer). */
void slab_free_zero(struct kmem_cache *s, struct kmem_cache_cpu *c, void *object);
void *slab_alloc_checked_slow(struct kmem_cache *s, struct kmem_cache_cpu *c, void *object,
			      void *next, gfp_t gfpflags, size_t orig_size);

static __always_inline void *slab_alloc_checked(struct kmem_cache *s, struct kmem_cache_cpu *c,
						void *object, gfp_t gfpflags, size_t orig_size)
{
	void *next = get_freepointer(s, object);

	/* NULL (the last object) and a forged pointer both leave the slab. */
	if (unlikely(((uintptr_t)next ^ (uintptr_t)object) >> c->slab_shift))
		return slab_alloc_checked_slow(s, c, object, next, gfpflags, orig_size);
	WRITE_ONCE(c->freelist, next);
	COUNTER_INC(c->stat[ALLOC_FASTPATH]);
	if (unlikely((gfpflags & __GFP_ZERO) || (s->flags & __SLAB_INIT_ON_ALLOC)))
		return slab_alloc_zero(s, object, orig_size);
	kasan_slab_alloc(s, object, orig_size);
	return object;
}

/* orig_size is what the caller asked for (kmalloc), for the debug and
 * sanitizer paths only (0: the whole object).  checked: the caller has
 * tested __SLAB_CHECKED (a constant here, so each form is straight code). */
static __always_inline bool slub_alloc_fast(struct kmem_cache *s, struct kmem_cache_cpu *c,
					    gfp_t gfpflags, int node, size_t orig_size,
					    bool checked, void **ret)
{
	void *object = c->freelist;

	if (unlikely(!object || !node_match(c->slab, node)))
		return false;
	if (checked) {
		*ret = slab_alloc_checked(s, c, object, gfpflags, orig_size);
		return true;
	}
	WRITE_ONCE(c->freelist, kasan_load_word((char *)object + s->offset));
	COUNTER_INC(c->stat[ALLOC_FASTPATH]);
	if (unlikely(gfpflags & __GFP_ZERO)) {
		*ret = slab_alloc_zero(s, object, orig_size);
		return true;
	}
	kasan_slab_alloc(s, object, orig_size);
	*ret = object;
	return true;
}

/*
 * Double frees the fast path sends to the slow path for two compares in
 * the line it reads anyway: the object is c->freelist (free(p); free(p))
 * or c->second, the head that the last fast free pushed down
 * (free(p); free(q); free(p)).  Allocations do not clear c->second, so it
 * may name an object allocated since: the slow path's
 * cpu_freelist_recent() decides.  If c->second is still free it is one of
 * the first two objects of the freelist (only allocations pop it, one
 * from the top each).
 */
static __always_inline bool cpu_freelist_recent(const struct kmem_cache *s,
						const struct kmem_cache_cpu *c, const void *object)
{
	void *head = c->freelist;

	return object == head || (head && object == get_freepointer(s, head));
}

/* Pushes object, whose free pointer is now head, on the cpu freelist. */
static __always_inline void cpu_freelist_push(struct kmem_cache_cpu *c, void *head, void *object)
{
	c->second = head;
	WRITE_ONCE(c->freelist, object);
}

/*
 * The object goes onto the private freelist only when its slab is this
 * thread's cpu slab and it is not one of the last two objects freed
 * there.  kfree() also asks that the pointer be the start of an object
 * (check_start; order: the slab's): it takes pointers of any origin.  kmem_cache_free()
 * takes that from its contract, as SLUB does; the slow path checks it
 * always.
 */
static __always_inline bool slub_free_fast(struct kmem_cache *s, struct slab *slab,
					   struct kmem_cache_cpu *c, void *object,
					   bool check_start, unsigned int order)
{
	void *head = c->freelist;

	if (unlikely(slab != c->slab || object == head || object == c->second ||
		     (check_start && !object_start_order(s, order, object))))
		return false;
	if (unlikely(s->flags & __SLAB_CHECKED)) {
		/* Zeroing is a call: made as a tail call, so that this
		 * path keeps no frame. */
		if (s->flags & __SLAB_INIT_ON_FREE) {
			slab_free_zero(s, c, object);
			return true;
		}
		set_freepointer(s, object, head);
	} else {
		kasan_store_word((char *)object + s->offset, head);
	}
	kasan_slab_free(s, object);
	cpu_freelist_push(c, head, object);
	COUNTER_INC(c->stat[FREE_FASTPATH]);
	return true;
}

#endif
