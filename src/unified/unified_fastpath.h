/*
 * unified_fastpath.h - the allocation and free fast paths of the unified
 * personality, inlined into the exported calls by cache/fastpath.h.
 *
 * A thread's entry holds a main sheaf, an array of objects, and its size
 * (c->main_size): allocating pops it, freeing pushes onto it.  Nothing is written into the object,
 * no atomic instruction, no lock.  Each returns false when it cannot
 * serve the call (empty or full sheaf, a node request, an object of
 * another cache, a double free, init_on_free): the caller goes to the
 * slow path (unified.c).
 */
#ifndef USLAB_UNIFIED_FASTPATH_H
#define USLAB_UNIFIED_FASTPATH_H

#include "core/object.h"

/* checked: the cache has __SLAB_CHECKED, which init_on_alloc and
 * init_on_free set (cache.c): without it only __GFP_ZERO zeroes, and the
 * test folds away where the caller's gfp is a constant (malloc). */
static __always_inline bool unified_alloc_fast(struct kmem_cache *s, struct kmem_cache_cpu *c,
					       gfp_t gfpflags, int node, size_t orig_size,
					       bool checked, void **ret)
{
	struct sheaf *main = c->main;
	unsigned int size = c->main_size;
	void *object;

	if (unlikely(!size || node != NUMA_NO_NODE))
		return false;
	object = main->objects[size - 1];
	WRITE_ONCE(c->main_size, size - 1);
	COUNTER_INC(c->stat[ALLOC_FASTPATH]);
	*ret = slab_alloc_hit(s, object, gfpflags, orig_size, checked);
	return true;
}

/* One of the top two objects of a sheaf of size objects: the cheap half
 * of double-free detection.  objects[-1] and objects[-2] are the sheaf's
 * list pointers (types.h): never objects, so a sheaf of 0 or 1 objects
 * needs no test. */
static __always_inline bool sheaf_recent(const struct sheaf *sh, unsigned int size,
					 const void *object)
{
	void *const *top = &sh->objects[size];

	return top[-1] == object || top[-2] == object;
}

/* check_start as for slub (slub_fastpath.h): kfree() takes pointers of
 * any origin; order is then the slab's.  check_cache: c is checked to be
 * the slab's cache's entry before its main sheaf is read (a wrong cache
 * given to kmem_cache_free(), whose c is its entry); kfree() and free()
 * take s from c (cache/fastpath.h: slab_free_page) and need no check. */
static __always_inline bool unified_free_fast(struct kmem_cache *s, struct slab *slab,
					      struct kmem_cache_cpu *c, void *object,
					      bool check_start, unsigned int order,
					      bool check_cache, bool checked)
{
	struct sheaf *main;
	unsigned int size;

	if (check_cache && unlikely(slab->slab_cache != c->cache))
		return false;
	/* First: its temporaries are dead before the sheaf's fields load. */
	if (check_start && unlikely(!object_start_order(s, order, object)))
		return false;
	main = c->main;
	size = c->main_size;
	if (unlikely(size >= main->capacity || sheaf_recent(main, size, object) ||
		     (checked && (s->flags & __SLAB_INIT_ON_FREE))))
		return false;
	kasan_slab_free(s, object);
	main->objects[size] = object;
	WRITE_ONCE(c->main_size, size + 1);
	COUNTER_INC(c->stat[FREE_FASTPATH]);
	return true;
}

#endif
