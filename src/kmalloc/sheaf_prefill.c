/*
 * sheaf_prefill.c - the kernel's sheaf pre-fill API (kmem_cache_prefill_sheaf
 * and friends): objects set aside before a section that must not fail, so
 * that each allocation inside it is a pop from an array.
 *
 * A sheaf here is a kmalloc'd array of objects taken from their cache with
 * kmem_cache_alloc_bulk, the same on both personalities: the guarantee is
 * that the objects are already allocated, so kmem_cache_alloc_from_sheaf
 * cannot fail while one is left.  The unified personality's own sheaves
 * (unified/sheaf.c) are per-CPU caches of free objects and stay apart:
 * a pre-filled sheaf belongs to its caller, not to a CPU.
 *
 * Invariant: objects[0 .. size) are allocated objects of cache, and
 * size <= capacity.  One thread uses a sheaf at a time, as in the kernel.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "base/report.h"
#include "cache/cache.h"
#include "kmalloc/kmalloc.h"

struct slab_sheaf {
	struct kmem_cache *cache;
	unsigned int capacity;
	unsigned int size;
	void *objects[];
};

static size_t sheaf_bytes(unsigned int capacity)
{
	return sizeof(struct slab_sheaf) + (size_t)capacity * sizeof(void *);
}

/* A sheaf used with a cache it was not filled from: reported. */
static bool sheaf_of(struct kmem_cache *s, struct slab_sheaf *sheaf, const char *caller)
{
	if (likely(sheaf && sheaf->cache == s))
		return true;
	uslab_reportf("uslab: %s: %s\n", caller,
		      sheaf ? "the sheaf was filled from another cache" : "no sheaf");
	errno = EINVAL;
	return false;
}

/* Fills sheaf up to size objects: 0, or -ENOMEM with nothing added. */
static int sheaf_fill(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf *sheaf, unsigned int size)
{
	unsigned int need = size - sheaf->size;

	if (kmem_cache_alloc_bulk(s, gfp, need, &sheaf->objects[sheaf->size]) != (int)need)
		return -ENOMEM;
	sheaf->size = size;
	return 0;
}

USLAB_ENTRY struct slab_sheaf *kmem_cache_prefill_sheaf(struct kmem_cache *s, gfp_t gfp,
							unsigned int size)
{
	struct slab_sheaf *sheaf;

	if (unlikely(!s)) {
		uslab_reportf("uslab: kmem_cache_prefill_sheaf(NULL): no cache; returning NULL\n");
		errno = EINVAL;
		return NULL;
	}
	/* kmem_cache_alloc_bulk counts in an int. */
	if (size > INT_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	sheaf = kmalloc(sheaf_bytes(size), gfp & ~__GFP_ZERO);
	if (!sheaf)
		return NULL;
	sheaf->cache = s;
	sheaf->capacity = size;
	sheaf->size = 0;
	if (size && sheaf_fill(s, gfp, sheaf, size)) {
		kfree(sheaf);
		return NULL;
	}
	return sheaf;
}

USLAB_ENTRY int kmem_cache_refill_sheaf(struct kmem_cache *s, gfp_t gfp,
					struct slab_sheaf **sheafp, unsigned int size)
{
	struct slab_sheaf *sheaf = sheafp ? *sheafp : NULL;

	if (!sheaf_of(s, sheaf, "kmem_cache_refill_sheaf"))
		return -EINVAL;
	if (sheaf->size >= size)
		return 0;
	if (size > INT_MAX)
		return -ENOMEM;
	if (sheaf->capacity < size) {
		/* Grown in place or moved, its objects with it. */
		sheaf = krealloc(sheaf, sheaf_bytes(size), gfp & ~__GFP_ZERO);
		if (!sheaf)
			return -ENOMEM;
		sheaf->capacity = size;
		*sheafp = sheaf;
	}
	return sheaf_fill(s, gfp, sheaf, size);
}

USLAB_ENTRY void *kmem_cache_alloc_from_sheaf(struct kmem_cache *s, gfp_t gfp,
					      struct slab_sheaf *sheaf)
{
	void *object;

	if (!sheaf_of(s, sheaf, "kmem_cache_alloc_from_sheaf") || !sheaf->size)
		return NULL;
	object = sheaf->objects[--sheaf->size];
	if (gfp & __GFP_ZERO)
		memset(object, 0, s->object_size);
	return object;
}

USLAB_ENTRY void kmem_cache_return_sheaf(struct kmem_cache *s, gfp_t gfp, struct slab_sheaf *sheaf)
{
	(void)gfp;
	if (!sheaf)
		return;
	/* Returned to the wrong cache: its objects still go back to their
	 * own, not lost. */
	sheaf_of(s, sheaf, "kmem_cache_return_sheaf");
	kmem_cache_free_bulk(sheaf->cache, sheaf->size, sheaf->objects);
	kfree(sheaf);
}

USLAB_API unsigned int kmem_cache_sheaf_size(struct slab_sheaf *sheaf)
{
	return sheaf ? sheaf->size : 0;
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(kmem_cache_prefill_sheaf);
USLAB_KERNEL_ALIAS(kmem_cache_refill_sheaf);
USLAB_KERNEL_ALIAS(kmem_cache_alloc_from_sheaf);
USLAB_KERNEL_ALIAS(kmem_cache_return_sheaf);
USLAB_KERNEL_ALIAS(kmem_cache_sheaf_size);
