/*
 * cache.h - the cache layer: creating, merging, laying out, tuning and
 * destroying caches, the exported object calls' slow paths (alloc.c),
 * bulk calls, reclaim and the pressure watcher.  Above the personalities
 * and debug, which it picks for each cache (s->ops, the debug flags).
 */
#ifndef USLAB_CACHE_H
#define USLAB_CACHE_H

#include "core/slab.h"

/* Frees a pointer by what its page descriptor says, as kfree() does (a
 * large kmalloc object has no cache): kmalloc/ hands kfree over when it
 * starts (kmalloc_init) for kmem_cache_free(NULL, p) and the bulk frees. */
extern void (*free_without_cache)(const void *object);
/* kfree_bulk, its reports naming caller (kfree_rcu's batches). */
void kfree_bulk_caller(size_t size, void **p, const char *caller);

struct kmem_cache *create_cache(const char *name, unsigned int size,
				const struct kmem_cache_args *args, slab_flags_t flags);

/* USLAB_TUNE / uslab_tune() rules for a cache of this name. */
void tune_apply(struct kmem_cache *s, const char *name);
void tunables_init(void);
void pressure_init(void);

/* -------------------------------------------------------------- layout */
unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size);
/* Fills size, offset, inuse, oo, min, min_partial, cpu_partial; false if
 * no slab of any order can hold one object. */
bool calculate_sizes(struct kmem_cache *s);
/* Slot boundaries past the last object in slabs of this order?  Then
 * s->slot_mask must be 0 (obj_to_index() takes the multiply). */
bool slab_has_tail(const struct kmem_cache *s, struct kmem_cache_order_objects oo);
/* Usable bytes of an object of s (ksize). */
size_t slab_ksize(const struct kmem_cache *s);
struct kmem_cache *find_mergeable(unsigned int size, unsigned int align, slab_flags_t flags,
				  const char *name, void (*ctor)(void *));
/* Flags that make a cache unmergeable. */
#define SLAB_NEVER_MERGE (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | \
			  SLAB_TYPESAFE_BY_RCU | SLAB_NOLEAKTRACE | SLAB_FAILSLAB | \
			  SLAB_NO_MERGE | SLAB_CONSISTENCY_CHECKS)
/* Flags that must be equal for two caches to merge. */
#define SLAB_MERGE_SAME (SLAB_RECLAIM_ACCOUNT | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_ACCOUNT | \
			 SLAB_RANDOM_FREELIST | SLAB_SLUB | SLAB_UNIFIED)
#define SLAB_FLAGS_PERMITTED (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
			      SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | \
			      SLAB_STORE_USER | SLAB_PANIC | SLAB_TYPESAFE_BY_RCU | \
			      SLAB_TRACE | SLAB_NOLEAKTRACE | SLAB_NO_MERGE | SLAB_FAILSLAB | \
			      SLAB_ACCOUNT | SLAB_NO_USER_FLAGS | SLAB_RECLAIM_ACCOUNT | \
			      SLAB_MEM_SPREAD | SLAB_KMALLOC | SLAB_RANDOM_FREELIST | \
			      SLAB_SLUB | SLAB_UNIFIED)

/* ------------------------------------------------------------ reclaim */
/* A reclaim asked every thread to give back what it caches: the calling
 * thread does so (all caches) if it has not yet; true if it did. */
bool reclaim_check_epoch_slow(void);
static inline bool reclaim_check_epoch(void)
{
	unsigned long epoch = __atomic_load_n(&reclaim_epoch, __ATOMIC_RELAXED);

	if (likely(current_thread()->reclaim_epoch == epoch))
		return false;
	return reclaim_check_epoch_slow();
}
/* Before an allocation gives up: reclaim, where it is safe (reclaim.c
 * says when); true if anything was released. */
bool reclaim_before_failing(gfp_t gfpflags);
/* __GFP_NOFAIL's wait between two tries (attempt counts from 0): a
 * moment for memory to come back (frees, the purger), then reclaim. */
void reclaim_nofail_wait(gfp_t gfpflags, unsigned int attempt);

/* lib/fork.c takes these around fork(); child: made anew, not unlocked. */
extern spinlock_t watch_lock, tune_lock, shrinker_lock;
void caches_fork_lock(void);
void caches_fork_unlock(bool child);
void pressure_fork_child(void);
void shrinker_fork_child(void);

#endif
