/*
 * mempool.c - the kernel's mempools: a reserve of min_nr elements,
 * allocated up front, that an allocation falls back on when the
 * underlying allocator (a cache, kmalloc, or the caller's pair of
 * functions) fails, so that a path that must make progress (the kernel's
 * block I/O) does: with a blocking gfp, mempool_alloc() waits for an
 * element to come back rather than return NULL.
 *
 * As the kernel's: the underlying allocator is tried first, without
 * reclaim (__GFP_NORETRY | __GFP_NOWARN, no __GFP_DIRECT_RECLAIM), then
 * the reserve; a blocking caller tries once more with its own flags
 * (reclaim allowed), then waits on the pool, at most 5 seconds at a time
 * before it tries the allocator again.  mempool_free() refills the
 * reserve before it gives anything back, and wakes the waiters.
 * pool->lock guards curr_nr and elements[]; it is a leaf, never held
 * across the pool's alloc or free function (which may be anything of the
 * program's) nor across uslab's own calls.  A pool is not carried through
 * fork: a child must not use a pool that a thread of the parent was
 * waiting on or locking at the fork.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "base/lock.h"
#include "base/report.h"
#include "base/start.h"
#include "cache/cache.h"

#define MEMPOOL_WAIT_MS 5000   /* the kernel's io_schedule_timeout(5*HZ) */

/* curr_nr, min_nr and waiters change under the lock and are read
 * without it by mempool_free's first look: atomic stores. */
static void add_element(mempool_t *pool, void *element)
{
	pool->elements[pool->curr_nr] = element;
	__atomic_store_n(&pool->curr_nr, pool->curr_nr + 1, __ATOMIC_RELAXED);
}

static void *remove_element(mempool_t *pool)
{
	__atomic_store_n(&pool->curr_nr, pool->curr_nr - 1, __ATOMIC_RELAXED);
	return pool->elements[pool->curr_nr];
}

static void set_min_nr(mempool_t *pool, int min_nr)
{
	__atomic_store_n(&pool->min_nr, min_nr, __ATOMIC_RELAXED);
}

static void add_waiters(mempool_t *pool, int delta)
{
	__atomic_store_n(&pool->waiters, pool->waiters + delta, __ATOMIC_RELAXED);
}

USLAB_API bool mempool_initialized(mempool_t *pool)
{
	return pool->elements != NULL;
}

USLAB_API bool mempool_is_saturated(mempool_t *pool)
{
	return __atomic_load_n(&pool->curr_nr, __ATOMIC_RELAXED) >=
	       __atomic_load_n(&pool->min_nr, __ATOMIC_RELAXED);
}

USLAB_API void mempool_exit(mempool_t *pool)
{
	if (!pool->elements)
		return;
	if (pool->curr_nr < pool->min_nr)
		uslab_reportf("uslab: mempool_exit(%p): %d of its %d reserved elements not returned\n",
			      (void *)pool, pool->min_nr - pool->curr_nr, pool->min_nr);
	while (pool->curr_nr)
		pool->free(remove_element(pool), pool->pool_data);
	kfree(pool->elements);
	pool->elements = NULL;
	pthread_cond_destroy(&pool->wait);
	pthread_mutex_destroy(&pool->lock);
}

USLAB_API int mempool_init_node(mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
				mempool_free_t *free_fn, void *pool_data, gfp_t gfp_mask, int node)
{
	pthread_condattr_t ca;

	if (min_nr < 0 || !alloc_fn || !free_fn) {
		uslab_reportf("uslab: mempool_init(%p): min_nr %d, alloc %p, free %p: a pool needs min_nr >= 0 and both functions\n",
			      (void *)pool, min_nr, (void *)alloc_fn, (void *)free_fn);
		return -EINVAL;
	}
	pool->min_nr = min_nr;
	pool->curr_nr = 0;
	pool->pool_data = pool_data;
	pool->alloc = alloc_fn;
	pool->free = free_fn;
	pool->waiters = 0;
	/* At least one slot: a pool of min_nr 0 still parks an element for
	 * a waiter (mempool_free). */
	pool->elements = kmalloc_array_node(min_nr ? (size_t)min_nr : 1, sizeof(void *),
					    gfp_mask, node);
	if (!pool->elements)
		return -ENOMEM;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->wait, &ca);
	pthread_condattr_destroy(&ca);
	while (pool->curr_nr < pool->min_nr) {
		void *element = pool->alloc(gfp_mask, pool->pool_data);

		if (!element) {
			/* Not a leak: the caller gets -ENOMEM and nothing else. */
			set_min_nr(pool, pool->curr_nr);
			mempool_exit(pool);
			return -ENOMEM;
		}
		add_element(pool, element);
	}
	return 0;
}

USLAB_API int mempool_init(mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
			   mempool_free_t *free_fn, void *pool_data)
{
	return mempool_init_node(pool, min_nr, alloc_fn, free_fn, pool_data, GFP_KERNEL,
				 NUMA_NO_NODE);
}

USLAB_API mempool_t *mempool_create_node(int min_nr, mempool_alloc_t *alloc_fn,
					 mempool_free_t *free_fn, void *pool_data, gfp_t gfp_mask,
					 int node)
{
	mempool_t *pool = kzalloc_node(sizeof(*pool), gfp_mask, node);

	if (!pool)
		return NULL;
	if (mempool_init_node(pool, min_nr, alloc_fn, free_fn, pool_data, gfp_mask, node)) {
		kfree(pool);
		return NULL;
	}
	return pool;
}

USLAB_API mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
				   void *pool_data)
{
	return mempool_create_node(min_nr, alloc_fn, free_fn, pool_data, GFP_KERNEL, NUMA_NO_NODE);
}

USLAB_API void mempool_destroy(mempool_t *pool)
{
	if (!pool)
		return;
	mempool_exit(pool);
	kfree(pool);
}

/* A larger reserve is filled outside the lock (the allocator may sleep);
 * a smaller one gives its extra elements back. */
USLAB_API int mempool_resize(mempool_t *pool, int new_min_nr)
{
	void **new_elements, **old_elements;

	if (new_min_nr <= 0) {
		uslab_reportf("uslab: mempool_resize(%p, %d): a resized pool keeps at least one element\n",
			      (void *)pool, new_min_nr);
		return -EINVAL;
	}
	pthread_mutex_lock(&pool->lock);
	if (new_min_nr <= pool->min_nr) {
		while (new_min_nr < pool->curr_nr) {
			void *element = remove_element(pool);

			pthread_mutex_unlock(&pool->lock);
			pool->free(element, pool->pool_data);
			pthread_mutex_lock(&pool->lock);
		}
		set_min_nr(pool, new_min_nr);
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	pthread_mutex_unlock(&pool->lock);

	new_elements = kmalloc_array((size_t)new_min_nr, sizeof(void *), GFP_KERNEL);
	if (!new_elements)
		return -ENOMEM;
	pthread_mutex_lock(&pool->lock);
	if (new_min_nr <= pool->min_nr) {
		/* Another resize grew it meanwhile. */
		pthread_mutex_unlock(&pool->lock);
		kfree(new_elements);
		return 0;
	}
	for (int i = 0; i < pool->curr_nr; i++)
		new_elements[i] = pool->elements[i];
	old_elements = pool->elements;
	pool->elements = new_elements;
	set_min_nr(pool, new_min_nr);
	pthread_mutex_unlock(&pool->lock);
	kfree(old_elements);
	pthread_mutex_lock(&pool->lock);
	while (pool->curr_nr < pool->min_nr) {
		void *element;

		pthread_mutex_unlock(&pool->lock);
		element = pool->alloc(GFP_KERNEL, pool->pool_data);
		if (!element)
			return 0;   /* the reserve refills from mempool_free */
		pthread_mutex_lock(&pool->lock);
		if (pool->curr_nr < pool->min_nr) {
			add_element(pool, element);
		} else {
			pthread_mutex_unlock(&pool->lock);
			pool->free(element, pool->pool_data);
			pthread_mutex_lock(&pool->lock);
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

/* The pool's condvar runs on the monotonic clock (mempool_init_node). */
static void wait_ms(mempool_t *pool, long ms)
{
	struct timespec ts = deadline_ms(CLOCK_MONOTONIC, ms);

	pthread_cond_timedwait(&pool->wait, &pool->lock, &ts);
}

USLAB_API void *mempool_alloc(mempool_t *pool, gfp_t gfp_mask)
{
	gfp_t gfp_temp;
	void *element;

	gfp_mask |= __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
	gfp_temp = gfp_mask & ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
	for (;;) {
		element = pool->alloc(gfp_temp, pool->pool_data);
		if (element)
			return element;
		pthread_mutex_lock(&pool->lock);
		if (pool->curr_nr) {
			element = remove_element(pool);
			pthread_mutex_unlock(&pool->lock);
			return element;
		}
		/* Once more with the caller's own flags (reclaim, where they
		 * allow it), as the kernel does before it would wait. */
		if (gfp_temp != gfp_mask) {
			pthread_mutex_unlock(&pool->lock);
			gfp_temp = gfp_mask;
			continue;
		}
		/* No sleeping without __GFP_DIRECT_RECLAIM. */
		if (!(gfp_mask & __GFP_DIRECT_RECLAIM)) {
			pthread_mutex_unlock(&pool->lock);
			return NULL;
		}
		add_waiters(pool, 1);
		wait_ms(pool, MEMPOOL_WAIT_MS);
		add_waiters(pool, -1);
		pthread_mutex_unlock(&pool->lock);
	}
}

/* Only from the reserve, never the allocator: NULL when it is empty. */
USLAB_API void *mempool_alloc_preallocated(mempool_t *pool)
{
	void *element = NULL;

	pthread_mutex_lock(&pool->lock);
	if (pool->curr_nr)
		element = remove_element(pool);
	pthread_mutex_unlock(&pool->lock);
	return element;
}

USLAB_API void mempool_free(void *element, mempool_t *pool)
{
	int min_nr;

	if (!element)
		return;
	/* A reserve below min_nr takes the element back first; an empty
	 * pool of min_nr 0 parks one, whether or not anyone waits yet (a
	 * waiter may be on its way to sleep), as the kernel's does. */
	min_nr = __atomic_load_n(&pool->min_nr, __ATOMIC_RELAXED);
	if (__atomic_load_n(&pool->curr_nr, __ATOMIC_RELAXED) < (min_nr ? min_nr : 1)) {
		pthread_mutex_lock(&pool->lock);
		if (pool->curr_nr < (pool->min_nr ? pool->min_nr : 1)) {
			add_element(pool, element);
			pthread_cond_broadcast(&pool->wait);
			pthread_mutex_unlock(&pool->lock);
			return;
		}
		pthread_mutex_unlock(&pool->lock);
	}
	pool->free(element, pool->pool_data);
}

/* ------------------------------------------------ the stock allocators */

USLAB_API void *mempool_alloc_slab(gfp_t gfp_mask, void *pool_data)
{
	return kmem_cache_alloc(pool_data, gfp_mask);
}

USLAB_API void mempool_free_slab(void *element, void *pool_data)
{
	kmem_cache_free(pool_data, element);
}

USLAB_API void *mempool_kmalloc(gfp_t gfp_mask, void *pool_data)
{
	return kmalloc((size_t)(uintptr_t)pool_data, gfp_mask);
}

USLAB_API void mempool_kfree(void *element, void *pool_data)
{
	(void)pool_data;
	kfree(element);
}

USLAB_API int mempool_init_slab_pool(mempool_t *pool, int min_nr, struct kmem_cache *kc)
{
	return mempool_init(pool, min_nr, mempool_alloc_slab, mempool_free_slab, kc);
}

USLAB_API mempool_t *mempool_create_slab_pool(int min_nr, struct kmem_cache *kc)
{
	return mempool_create(min_nr, mempool_alloc_slab, mempool_free_slab, kc);
}

USLAB_API int mempool_init_kmalloc_pool(mempool_t *pool, int min_nr, size_t size)
{
	return mempool_init(pool, min_nr, mempool_kmalloc, mempool_kfree, (void *)(uintptr_t)size);
}

USLAB_API mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size)
{
	return mempool_create(min_nr, mempool_kmalloc, mempool_kfree, (void *)(uintptr_t)size);
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(mempool_initialized);
USLAB_KERNEL_ALIAS(mempool_is_saturated);
USLAB_KERNEL_ALIAS(mempool_exit);
USLAB_KERNEL_ALIAS(mempool_init_node);
USLAB_KERNEL_ALIAS(mempool_init);
USLAB_KERNEL_ALIAS(mempool_create_node);
USLAB_KERNEL_ALIAS(mempool_create);
USLAB_KERNEL_ALIAS(mempool_destroy);
USLAB_KERNEL_ALIAS(mempool_resize);
USLAB_KERNEL_ALIAS(mempool_alloc);
USLAB_KERNEL_ALIAS(mempool_alloc_preallocated);
USLAB_KERNEL_ALIAS(mempool_free);
USLAB_KERNEL_ALIAS(mempool_alloc_slab);
USLAB_KERNEL_ALIAS(mempool_free_slab);
USLAB_KERNEL_ALIAS(mempool_kmalloc);
USLAB_KERNEL_ALIAS(mempool_kfree);
USLAB_KERNEL_ALIAS(mempool_init_slab_pool);
USLAB_KERNEL_ALIAS(mempool_create_slab_pool);
USLAB_KERNEL_ALIAS(mempool_init_kmalloc_pool);
USLAB_KERNEL_ALIAS(mempool_create_kmalloc_pool);
