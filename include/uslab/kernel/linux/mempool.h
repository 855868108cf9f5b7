/*
 * linux/mempool.h - mempools, the kernel's: a reserve of min_nr elements
 * that an allocation falls back on when the underlying allocator fails;
 * with a gfp that may block (__GFP_DIRECT_RECLAIM) mempool_alloc() waits
 * for an element to be freed rather than return NULL.  The pool's
 * functions are called without its lock held.  A pool holds a mutex and a
 * condition variable: it is not copied, and a fork child must not use one
 * that a thread was waiting on or locking at the fork.
 */
#ifndef USLAB_LINUX_MEMPOOL_H
#define USLAB_LINUX_MEMPOOL_H

#include <pthread.h>
#include "../uslab_api.h"
#include "gfp_types.h"

USLAB_BEGIN_DECLS

struct kmem_cache;

typedef void *(mempool_alloc_t)(gfp_t gfp_mask, void *pool_data);
typedef void (mempool_free_t)(void *element, void *pool_data);

typedef struct mempool_s {
	pthread_mutex_t lock;
	int min_nr;                 /* elements the reserve holds when full */
	int curr_nr;                /* elements in it now */
	void **elements;
	void *pool_data;
	mempool_alloc_t *alloc;
	mempool_free_t *free;
	pthread_cond_t wait;
	int waiters;                /* mempool_alloc()s asleep on wait */
} mempool_t;

USLAB_KFN(int, mempool_init, (mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
	  mempool_free_t *free_fn, void *pool_data))
USLAB_KFN(int, mempool_init_node, (mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
	  mempool_free_t *free_fn, void *pool_data, gfp_t gfp_mask, int node))
USLAB_KFN(void, mempool_exit, (mempool_t *pool))
USLAB_KFN(bool, mempool_initialized, (mempool_t *pool))
USLAB_KFN(bool, mempool_is_saturated, (mempool_t *pool))
USLAB_KFN(mempool_t *, mempool_create, (int min_nr, mempool_alloc_t *alloc_fn,
	  mempool_free_t *free_fn, void *pool_data))
USLAB_KFN(mempool_t *, mempool_create_node, (int min_nr, mempool_alloc_t *alloc_fn,
	  mempool_free_t *free_fn, void *pool_data, gfp_t gfp_mask, int node))
USLAB_KFN(int, mempool_resize, (mempool_t *pool, int new_min_nr))
USLAB_KFN(void, mempool_destroy, (mempool_t *pool))
USLAB_KFN(void *, mempool_alloc, (mempool_t *pool, gfp_t gfp_mask), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, mempool_alloc_preallocated, (mempool_t *pool), USLAB_MALLOC_ATTR)
USLAB_KFN(void, mempool_free, (void *element, mempool_t *pool))

/* Pools of a cache's objects, and of kmalloc blocks of one size. */
USLAB_KFN(void *, mempool_alloc_slab, (gfp_t gfp_mask, void *pool_data))
USLAB_KFN(void, mempool_free_slab, (void *element, void *pool_data))
USLAB_KFN(int, mempool_init_slab_pool, (mempool_t *pool, int min_nr, struct kmem_cache *kc))
USLAB_KFN(mempool_t *, mempool_create_slab_pool, (int min_nr, struct kmem_cache *kc))
USLAB_KFN(void *, mempool_kmalloc, (gfp_t gfp_mask, void *pool_data))
USLAB_KFN(void, mempool_kfree, (void *element, void *pool_data))
USLAB_KFN(int, mempool_init_kmalloc_pool, (mempool_t *pool, int min_nr, size_t size))
USLAB_KFN(mempool_t *, mempool_create_kmalloc_pool, (int min_nr, size_t size))

USLAB_END_DECLS

#endif /* USLAB_LINUX_MEMPOOL_H */
