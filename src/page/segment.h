/*
 * segment.h - from an address to its page descriptor and back, in O(1),
 * with no lock and no per-object header.
 *
 * Every mapping uslab makes is aligned to SEGMENT_SIZE and starts with its
 * descriptor table, so an address masked down is its segment and the page
 * index picks the descriptor.  segment_map has one bit per SEGMENT_SIZE of
 * address space, set while a segment is mapped: it tells a pointer uslab
 * handed out from one it never did before anything is dereferenced.
 */
#ifndef USLAB_SEGMENT_H
#define USLAB_SEGMENT_H

#include "base/types.h"

#define SEGMENT_MAP_BITS (1UL << (47 - SEGMENT_SHIFT))
extern uint64_t segment_map[SEGMENT_MAP_BITS / 64];

static inline struct segment *ptr_segment(const void *p)
{
	return (struct segment *)((uintptr_t)p & ~SEGMENT_MASK);
}

static inline bool segment_is_mapped(const void *p)
{
	uintptr_t i = (uintptr_t)p >> SEGMENT_SHIFT;

	if (unlikely(i >= SEGMENT_MAP_BITS))
		return false;
	return (READ_ONCE(segment_map[i / 64]) >> (i % 64)) & 1;
}

static inline unsigned int slab_page_index(const struct slab *slab)
{
	return (unsigned int)(slab - ptr_segment(slab)->pages);
}

/* The first byte of the run a head descriptor describes. */
static inline void *slab_address(const struct slab *slab)
{
	return (char *)ptr_segment(slab) + ((size_t)slab_page_index(slab) << PAGE_SHIFT);
}

static inline size_t slab_bytes(const struct slab *slab)
{
	return PAGE_SIZE << slab->order;
}

static inline int slab_nid(const struct slab *slab)
{
	return slab->node;
}

/* The descriptor of the page holding p; p must be in a mapped segment. */
static inline struct slab *virt_to_page_desc(const void *p)
{
	return &ptr_segment(p)->pages[((uintptr_t)p & SEGMENT_MASK) >> PAGE_SHIFT];
}

/* The head descriptor of a page's run. */
static inline struct slab *page_desc_head(const struct slab *d)
{
	return (struct slab *)((char *)d - d->head_offset);
}

/* The slab word of the page holding p (types.h: page_info; its meaning is
 * the cache core's, core/object.h); p must be in a mapped segment. */
static inline uint32_t *virt_to_page_info(const void *p)
{
	return &ptr_segment(p)->page_info[((uintptr_t)p & SEGMENT_MASK) >> PAGE_SHIFT];
}

/* The head descriptor of the naturally aligned run of 2^order pages
 * holding p: shifts only, no load. */
static inline struct slab *virt_to_run_head(const void *p, unsigned int order)
{
	uintptr_t idx = ((uintptr_t)p & SEGMENT_MASK) >> PAGE_SHIFT;

	return &ptr_segment(p)->pages[idx & ~(((uintptr_t)1 << order) - 1)];
}

/* The head descriptor of the run holding p; p must be in a mapped segment. */
static inline struct slab *virt_to_slab(const void *p)
{
	return page_desc_head(virt_to_page_desc(p));
}

/* As virt_to_slab, or NULL for an address outside every segment. */
static inline struct slab *virt_to_slab_checked(const void *p)
{
	if (unlikely(!segment_is_mapped(p)))
		return NULL;
	return virt_to_slab(p);
}

struct segment *segment_create(int node);
struct segment *segment_create_huge(size_t bytes, size_t align, int node, size_t *data_off);
void segment_destroy(struct segment *seg);
/* p lies in a huge mapping beyond its first SEGMENT_SIZE (where
 * segment_is_mapped() says no: there is no descriptor table there). */
bool segment_in_huge_tail(const void *p);
size_t segment_header_pages(void);
/* Where a block's data starts in a huge mapping, for an alignment. */
size_t segment_huge_data_offset(size_t align);

#endif
