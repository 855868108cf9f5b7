/*
 * buckets.c - kmem_buckets: a private set of kmalloc caches, one per
 * kmalloc size, so that one subsystem's blocks never share a slab with
 * anyone else's (the kernel's defence against heap spraying, 6.11).
 *
 * A set is kmalloc's table shape (kmem_buckets, indexed by
 * kmalloc_index()), its caches named "<name>-<size>" and never merged.
 * Blocks above KMALLOC_MAX_CACHE_SIZE are kmalloc's large ones, as in the
 * kernel; kfree() finds every block's cache through its page.
 */
#include <errno.h>
#include <stdio.h>

#include "base/report.h"
#include "cache/cache.h"
#include "cache/fastpath.h"
#include "kmalloc/kmalloc.h"

USLAB_API void uslab_kmem_buckets_destroy(kmem_buckets *b)
{
	if (!b)
		return;
	for (unsigned int i = 0; i < NR_KMALLOC_CACHES; i++)
		kmem_cache_destroy((*b)[i]);
	kfree(b);
}

USLAB_API kmem_buckets *kmem_buckets_create(const char *name, slab_flags_t flags,
					    unsigned int useroffset, unsigned int usersize,
					    void (*ctor)(void *))
{
	kmem_buckets *b;

	if (!name) {
		uslab_reportf("uslab: kmem_buckets_create(NULL): a set needs a name\n");
		errno = EINVAL;
		return NULL;
	}
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	for (unsigned int i = 1; i < NR_KMALLOC_CACHES; i++) {
		unsigned int size = kmalloc_caches[i]->object_size;
		/* The user region, clipped to each size (the kernel's rule). */
		struct kmem_cache_args args = {
			.useroffset = useroffset < size ? useroffset : 0,
			.usersize = useroffset < size ? (usersize < size - useroffset ?
							 usersize : size - useroffset) : 0,
			.ctor = ctor,
		};
		char cname[64];

		snprintf(cname, sizeof(cname), "%s-%u", name, size);
		(*b)[i] = __kmem_cache_create_args(cname, size, &args, flags | SLAB_NO_MERGE);
		if (!(*b)[i]) {
			uslab_kmem_buckets_destroy(b);
			return NULL;
		}
	}
	return b;
}

static inline void *buckets_alloc(kmem_buckets *b, size_t size, gfp_t flags)
{
	if (!b || size - 1 >= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc(size, flags);
	return slab_alloc_node((*b)[kmalloc_index(size)], flags, NUMA_NO_NODE, size);
}

USLAB_ENTRY void *kmem_buckets_alloc(kmem_buckets *b, size_t size, gfp_t flags)
{
	return buckets_alloc(b, size, flags);
}

USLAB_ENTRY void *kmem_buckets_alloc_track_caller(kmem_buckets *b, size_t size, gfp_t flags)
{
	return buckets_alloc(b, size, flags);
}

/* No vmalloc area in user space: kvmalloc is kmalloc. */
USLAB_ENTRY void *kmem_buckets_valloc(kmem_buckets *b, size_t size, gfp_t flags)
{
	return buckets_alloc(b, size, flags);
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(kmem_buckets_create);
USLAB_KERNEL_ALIAS(kmem_buckets_alloc);
USLAB_KERNEL_ALIAS(kmem_buckets_alloc_track_caller);
USLAB_KERNEL_ALIAS(kmem_buckets_valloc);
