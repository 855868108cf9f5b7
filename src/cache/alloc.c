/*
 * alloc.c - the exported object-cache calls (each the inline fast path of
 * cache/fastpath.h behind a function boundary), and the slow paths every
 * personality shares: debug caches go to debug.c, the checks of a free
 * run here, the rest goes to the cache's personality.
 */
#include <errno.h>
#include <string.h>

#include "base/os.h"
#include "base/start.h"
#include "cache/cache.h"
#include "cache/fastpath.h"
#include "core/personality.h"
#include "debug/debug.h"
#include "slub/slub.h"

/*
 * Every slow path is counted in the thread's slow-path depth while it
 * runs: what it calls out to (a constructor, a report sink, a shrinker)
 * may allocate again, and such a nested slow path must not flush the
 * thread's own caches or reclaim under the outer one.  Only the outermost
 * answers a reclaim epoch.  Entries never move, so an entry read before a
 * call out stays this thread's entry for s after it.
 */
static void *alloc_slow_debug(struct kmem_cache *s, gfp_t gfpflags, int node, size_t orig_size,
			      uintptr_t caller)
{
	void *object;

	/* Failing on purpose (A): no report, no reclaim, no retry. */
	if (should_failslab(s, gfpflags))
		return NULL;
	object = alloc_debug(s, gfpflags | __GFP_NOWARN, node, orig_size, caller);
	if (unlikely(!object)) {
		/* Once more after reclaim, then NULL (and the report);
		 * __GFP_NOFAIL: until it works. */
		reclaim_before_failing(gfpflags);
		object = alloc_debug(s, gfpflags, node, orig_size, caller);
		for (unsigned int i = 0; !object && (gfpflags & __GFP_NOFAIL); i++) {
			reclaim_nofail_wait(gfpflags, i);
			object = alloc_debug(s, gfpflags | __GFP_NOWARN, node, orig_size, caller);
		}
	}
	if (object && (gfpflags & __GFP_ZERO))
		memset(object, 0, orig_size);
	return object;
}

void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfpflags, int node, size_t orig_size)
{
	uintptr_t caller = _RET_IP_;
	void *object;

	orig_size = alloc_size(s, orig_size);
	if (unlikely(kmem_cache_debug(s))) {
		slow_path_enter();
		object = alloc_slow_debug(s, gfpflags, node, orig_size, caller);
		slow_path_exit();
		return object;
	}
	if (slow_path_enter() == 1)
		reclaim_check_epoch();
	object = s->ops->alloc_slow(s, gfpflags | __GFP_NOWARN, node, slow_cpu_slab(s));
	if (unlikely(!object)) {
		/* The outermost slow path lets its CPU entries go: the
		 * shrinkers may run long. */
		if (lock_context()->slow_depth == 1)
			slow_path_release_held();
		reclaim_before_failing(gfpflags);
		object = s->ops->alloc_slow(s, gfpflags, node, slow_cpu_slab(s));
		/* __GFP_NOFAIL: never NULL, as the kernel's (one report). */
		for (unsigned int i = 0; !object && (gfpflags & __GFP_NOFAIL); i++) {
			reclaim_nofail_wait(gfpflags, i);
			object = s->ops->alloc_slow(s, gfpflags | __GFP_NOWARN, node,
						    slow_cpu_slab(s));
		}
	}
	slow_path_exit();
	if (unlikely(!object))
		return NULL;
	if (want_zero(s, gfpflags))
		return slab_alloc_zero(s, object, orig_size);
	kasan_slab_alloc(s, object, orig_size);
	return object;
}

void slab_free_slow(struct kmem_cache *s, struct slab *slab, void *object,
		    struct kmem_cache_cpu *c)
{
	uintptr_t caller = _RET_IP_;

	if (unlikely(slab->slab_cache != s)) {
		slab_bug_wrong_cache(s, slab, object);
		return;
	}
	if (unlikely(kmem_cache_debug(s))) {
		slow_path_enter();
		free_debug(s, slab, object, caller);
		slow_path_exit();
		return;
	}
	if (unlikely(!check_object_pointer(s, slab, object, "kmem_cache_free")))
		return;
	/* c may have been remade by a reclaim epoch: s's own, again. */
	if (slow_path_enter() == 1)
		reclaim_check_epoch();
	c = slow_cpu_slab(s);
	s->ops->free_slow(s, slab, object, c);
	slow_path_exit();
}

void slab_free_page_slow(struct kmem_cache *s, struct kmem_cache_cpu *c, void *object,
			 unsigned int order, const char *caller)
{
	struct slab *slab = virt_to_run_head(object, order);

	/* No entry in use; or a word read as the slab was reused (a double
	 * free racing it) naming another cache: the descriptor decides. */
	if (!s || unlikely(READ_ONCE(slab->slab_cache) != s)) {
		slab = virt_to_slab(object);
		s = READ_ONCE(slab->slab_cache);
		if (unlikely(!s)) {
			bug_foreign_pointer(object, caller, "not an allocated object");
			return;
		}
		slab_free(s, slab, object, true);
		return;
	}
	slab_free_slow(s, slab, object, c);
}

static void *__cold __noinline alloc_from_null_cache(const char *caller)
{
	uslab_reportf("uslab: %s(NULL): no cache; returning NULL\n", caller);
	errno = EINVAL;
	return NULL;
}

USLAB_ENTRY void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	if (unlikely(!s))
		return alloc_from_null_cache("kmem_cache_alloc");
	return slab_alloc_node(s, flags, NUMA_NO_NODE, 0);
}

USLAB_ENTRY void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
	if (unlikely(!s))
		return alloc_from_null_cache("kmem_cache_zalloc");
	return slab_alloc_node(s, flags | __GFP_ZERO, NUMA_NO_NODE, 0);
}

USLAB_ENTRY void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
{
	if (unlikely(!s))
		return alloc_from_null_cache("kmem_cache_alloc_node");
	/* A node that does not exist here means "any node". */
	if (node < 0 || (unsigned int)node >= s->nr_nodes || !os_node_online(node))
		node = NUMA_NO_NODE;
	return slab_alloc_node(s, flags, node, 0);
}

/* No list_lru in user space: the lru is not used. */
USLAB_ENTRY void *kmem_cache_alloc_lru(struct kmem_cache *s, struct list_lru *lru, gfp_t flags)
{
	(void)lru;
	if (unlikely(!s))
		return alloc_from_null_cache("kmem_cache_alloc_lru");
	return slab_alloc_node(s, flags, NUMA_NO_NODE, 0);
}

USLAB_ENTRY void kmem_cache_free(struct kmem_cache *s, void *x)
{
	struct slab *slab = virt_to_slab_checked(x);

	if (unlikely(!slab)) {
		/* NULL is in no segment either: checked only on this path. */
		if (x)
			bug_unmapped_pointer(x, "kmem_cache_free");
		return;
	}
	/* No cache given: the page descriptor knows it, as for kfree. */
	if (unlikely(!s)) {
		free_without_cache(x);
		return;
	}
	slab_free(s, slab, x, false);
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(kmem_cache_alloc);
USLAB_KERNEL_ALIAS(kmem_cache_zalloc);
USLAB_KERNEL_ALIAS(kmem_cache_alloc_node);
USLAB_KERNEL_ALIAS(kmem_cache_alloc_lru);
USLAB_KERNEL_ALIAS(kmem_cache_free);
