/*
 * cache_layout.c - where objects sit in a slab and how big a slab is.
 *
 * Objects are laid out from the start of a naturally aligned run, at a
 * stride of s->size: a power-of-two size is therefore aligned to itself,
 * and any size to s->align.  No metadata in the slab: the free pointer is
 * inside a free object, in the middle (a small overflow of the previous
 * object does not reach it), unless a constructor or SLAB_TYPESAFE_BY_RCU
 * needs the object's contents kept while free; then it goes after the
 * object, or, for SLAB_TYPESAFE_BY_RCU, where kmem_cache_args'
 * freeptr_offset says (a word the program's readers do not need: the
 * object stays its size, as the kernel's).  The order is the smallest that wastes at most 1/16, else 1/8
 * of the slab, as SLUB chooses.
 */
#include "base/options.h"
#include "base/os.h"
#include "base/start.h"
#include "cache/cache.h"
#include "core/personality.h"
#include "core/slab.h"
#include "debug/debug.h"

unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = CACHE_LINE_SIZE;

		while (size <= ralign / 2)
			ralign /= 2;
		if (ralign > align)
			align = ralign;
	}
	if (align < sizeof(void *))
		align = sizeof(void *);
	return ALIGN(align, (unsigned int)sizeof(void *));
}

static unsigned int get_order(unsigned long size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

/* Smallest order from the minimum up to max_order that holds min_objects
 * and wastes at most 1/fract of the slab; max_order + 1 if none does. */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_objects,
				    unsigned int max_order, unsigned int fract)
{
	unsigned int order = get_order((unsigned long)min_objects * size);
	unsigned int min_order = (unsigned int)uslab_opt(USLAB_OPT_MIN_ORDER);
	unsigned int cap = PAGE_ALLOC_MAX_ORDER;

	/* objects is 15 bits: tiny objects cap the order. */
	while (cap > 0 && order_objects(cap, size) > MAX_OBJS_PER_SLAB)
		cap--;
	if (order < min_order)
		order = min_order;
	if (order > cap)
		order = cap;
	for (; order <= max_order && order <= cap; order++) {
		unsigned long slab_size = PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract)
			return order;
	}
	return max_order + 1;
}

static int calculate_order(unsigned int size)
{
	unsigned int max_order = (unsigned int)uslab_opt(USLAB_OPT_MAX_ORDER);
	unsigned int min_objects = (unsigned int)uslab_opt(USLAB_OPT_MIN_OBJECTS);
	unsigned int max_objects, order;

	if (!min_objects)
		min_objects = 4 * (fls_long((unsigned long)os_nr_cpus()) + 1);
	max_objects = order_objects(max_order, size);
	if (min_objects > max_objects)
		min_objects = max_objects;

	while (min_objects > 1) {
		for (unsigned int fract = 16; fract >= 8; fract /= 2) {
			order = calc_slab_order(size, min_objects, max_order, fract);
			if (order <= max_order)
				return (int)order;
		}
		min_objects--;
	}
	/* One object per slab, then orders past max_order, waste still <= 1/8. */
	order = calc_slab_order(size, 1, max_order, 8);
	if (order <= max_order)
		return (int)order;
	order = calc_slab_order(size, 1, PAGE_ALLOC_MAX_ORDER, 8);
	if (order <= PAGE_ALLOC_MAX_ORDER)
		return (int)order;
	order = calc_slab_order(size, 1, PAGE_ALLOC_MAX_ORDER, 1);
	return order <= PAGE_ALLOC_MAX_ORDER ? (int)order : -1;
}

/* Debug metadata beyond the object: see the layout in debug.h. */
static bool kmalloc_orig_size(const struct kmem_cache *s)
{
	return (s->flags & SLAB_STORE_USER) && (s->flags & SLAB_KMALLOC);
}

static unsigned int layout(struct kmem_cache *s)
{
	slab_flags_t flags = s->flags;
	unsigned int size = ALIGN(s->object_size, (unsigned int)sizeof(void *));

	s->flags &= ~__OBJECT_POISON;
	if ((flags & SLAB_POISON) && !(flags & SLAB_TYPESAFE_BY_RCU) && !s->ctor)
		s->flags |= __OBJECT_POISON;
	/* A right red zone of at least a word. */
	if ((flags & SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);
	s->inuse = size;
	if (((flags & SLAB_TYPESAFE_BY_RCU) && !s->use_freeptr_offset) ||
	    (flags & SLAB_POISON) || s->ctor ||
	    ((flags & SLAB_RED_ZONE) && (s->object_size < sizeof(void *) || kmalloc_orig_size(s)))) {
		/* The object's contents must survive while it is free. */
		s->offset = size;
		size += sizeof(void *);
	} else if ((flags & SLAB_TYPESAFE_BY_RCU) && s->use_freeptr_offset) {
		/* Where the program said a free object may be written. */
		s->offset = s->freeptr_offset;
	} else {
		s->offset = ALIGN_DOWN(s->object_size / 2, (unsigned int)sizeof(void *));
	}
	if (flags & SLAB_STORE_USER) {
		track_init();
		size += 2 * (unsigned int)sizeof(struct track);
		if (kmalloc_orig_size(s))
			size += sizeof(unsigned long);
	}
	s->red_left_pad = 0;
	if (flags & SLAB_RED_ZONE) {
		/* Padding so that an overrun of the object before does not
		 * reach our metadata, and the left red zone. */
		size += sizeof(void *);
		s->red_left_pad = ALIGN((unsigned int)sizeof(void *), s->align);
		size += s->red_left_pad;
	}
	return ALIGN(size, s->align);
}

bool calculate_sizes(struct kmem_cache *s)
{
	unsigned int size;
	unsigned long min_partial;
	int order;

	size = layout(s);
	/* O: no debug metadata where it would raise the smallest order. */
	if ((s->flags & DEBUG_METADATA_FLAGS) && debug_disable_higher_order() &&
	    get_order(size) > get_order(s->object_size)) {
		s->flags &= ~DEBUG_METADATA_FLAGS;
		size = layout(s);
	}
	s->size = size;
	s->reciprocal_size = (((uint64_t)1 << RECIPROCAL_SHIFT) + size - 1) / size;
	s->start_magic = UINT64_MAX / size + 1;

	order = calculate_order(size);
	if (order < 0)
		return false;
	s->oo.order = (unsigned int)order;
	s->oo.objects = s->ops->objects_per_slab(s, (unsigned int)order);
	s->min.order = get_order(size);
	s->min.objects = s->ops->objects_per_slab(s, s->min.order);
	if (s->min.order > s->oo.order)
		s->min = s->oo;
	/* Power-of-two slots in naturally aligned slabs start at multiples
	 * of their size: obj_to_index() shifts, when the objects fill the
	 * slab (no tail: a unified bitmap, the object-count cap). */
	s->slot_mask = is_power_of_2(size) && !s->red_left_pad && !slab_has_tail(s, s->oo) &&
		       !slab_has_tail(s, s->min) ? size - 1 : 0;

	/* SLUB's rule, and no more than 256 KiB of empty slabs a node (the
	 * medium malloc classes have slabs of up to 2 MiB; the page
	 * allocator keeps freed runs resident for a while anyway). */
	min_partial = ilog2_long(size) / 2;
	min_partial = min_partial < 5 ? 5 : min_partial > 10 ? 10 : min_partial;
	while (min_partial > 1 && (min_partial << (PAGE_SHIFT + s->oo.order)) > (256UL << 10))
		min_partial--;
	s->min_partial = min_partial;
	s->ops->setup_cache(s);
	return true;
}

bool slab_has_tail(const struct kmem_cache *s, struct kmem_cache_order_objects oo)
{
	return s->red_left_pad + (size_t)oo.objects * s->size < (PAGE_SIZE << oo.order);
}

size_t slab_ksize(const struct kmem_cache *s)
{
	if (s->flags & (SLAB_RED_ZONE | SLAB_POISON))
		return s->object_size;
	if (s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER))
		return s->inuse;
	return s->size;
}
