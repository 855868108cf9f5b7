/*
 * alloc.c - the exported object-cache calls; each is the inline fast path
 * of fastpath.h behind a function boundary.
 */
#include "fastpath.h"
#include "os.h"

USLAB_API void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	return slab_alloc_node(s, flags, NUMA_NO_NODE, 0);
}

USLAB_API void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
	return slab_alloc_node(s, flags | __GFP_ZERO, NUMA_NO_NODE, 0);
}

USLAB_API void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
{
	/* A node that does not exist here means "any node". */
	if (node < 0 || (unsigned int)node >= s->nr_nodes || !os_node_online(node))
		node = NUMA_NO_NODE;
	return slab_alloc_node(s, flags, node, 0);
}

USLAB_API void kmem_cache_free(struct kmem_cache *s, void *x)
{
	struct slab *slab = virt_to_slab_checked(x);

	if (unlikely(!slab)) {
		/* NULL is in no segment either: checked only on this path. */
		if (x)
			bug_foreign_pointer(x, "kmem_cache_free", "not allocated by uslab");
		return;
	}
	slab_free(s, slab, x, false);
}
