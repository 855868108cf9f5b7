/*
 * cache_merge.c - slab merging: a new cache whose objects an existing
 * cache can hold as well is served by that cache, under an alias.
 *
 * As SLUB: never for caches with a constructor, debug flags, RCU or
 * SLAB_NO_MERGE; the SLAB_MERGE_SAME flags must match; the existing stride
 * must keep the requested alignment and waste less than a word per
 * object.  USLAB_NOMERGE=1 turns merging off.  Called under slab_mutex.
 */
#include "base/options.h"
#include "base/start.h"
#include "cache/cache.h"
#include "core/slab.h"

static bool slab_unmergeable(const struct kmem_cache *s)
{
	return s->dead || s->ctor || (s->flags & SLAB_NEVER_MERGE) || s->page_alloc;
}

struct kmem_cache *find_mergeable(unsigned int size, unsigned int align, slab_flags_t flags,
				  const char *name, void (*ctor)(void *))
{
	struct kmem_cache *s;

	(void)name;
	if (uslab_opt(USLAB_OPT_NOMERGE) || ctor || (flags & SLAB_NEVER_MERGE))
		return NULL;
	size = ALIGN(size, (unsigned int)sizeof(void *));
	align = calculate_alignment(flags, align, size);
	size = ALIGN(size, align);

	list_for_each_entry_reverse(s, &slab_caches, list) {
		if (slab_unmergeable(s))
			continue;
		if (size > s->size)
			continue;
		if ((flags & SLAB_MERGE_SAME) != (s->flags & SLAB_MERGE_SAME))
			continue;
		if ((s->size & ~(align - 1)) != s->size)
			continue;
		if (s->size - size >= sizeof(void *))
			continue;
		return s;
	}
	return NULL;
}
