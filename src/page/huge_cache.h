/*
 * huge_cache.h - freed huge mappings kept for reuse (huge_cache.c), for
 * the root page allocator.
 */
#ifndef USLAB_HUGE_CACHE_H
#define USLAB_HUGE_CACHE_H

#include "base/types.h"

struct huge_cache_stats {
	unsigned long cached;           /* mappings waiting for reuse */
	unsigned long resident_pages;   /* resident pages no block uses: the cached
					 * mappings', live blocks' spare ones */
	unsigned long reused;           /* requests served by one */
};
extern struct huge_cache_stats huge_stats;

/* The data room a new mapping gets for a request of bytes. */
size_t huge_round_room(size_t bytes);
/* A cached mapping with room for bytes at align on node, its head
 * descriptor made PAGE_HUGE and (zero) its bytes zeroed; or NULL. */
struct slab *huge_cache_take(size_t bytes, size_t align, int node, bool zero, uint64_t now);
/* A live block made bytes long in place, within its mapping's room;
 * false if it has not the room.  Pages it gives up stay as spare ones
 * (bounded as huge_cache_take's); grown, its new bytes are zero (zero)
 * or hold what the pages held. */
bool huge_cache_resize(struct segment *seg, size_t bytes, bool zero, uint64_t now);
/* A freshly mapped block: counted among the bytes in huge blocks. */
void huge_cache_count_new(struct segment *seg);
/* The block at head is freed: its mapping waits for reuse (or, beyond
 * the bounds, the oldest waiting one is unmapped). */
void huge_cache_put(struct segment *seg, struct slab *head, uint64_t now);
/* Unmaps the mappings that waited the delay (all, forced); true when some
 * are left for a later pass. */
bool huge_cache_purge(uint64_t now, long delay, bool force);
void huge_cache_fork_lock(void);
void huge_cache_fork_unlock(bool child);

/* page_alloc.c: unmaps a huge mapping and takes it off the figures. */
void huge_mapping_unmap(struct segment *seg);

#endif
