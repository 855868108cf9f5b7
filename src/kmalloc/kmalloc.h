/*
 * kmalloc.h - the kmalloc layer: the general caches kmalloc-8 ... kmalloc-8192 (and
 * kmalloc-96, kmalloc-192) and the size-to-cache map.
 */
#ifndef USLAB_KMALLOC_H
#define USLAB_KMALLOC_H

#include "base/types.h"

#define KMALLOC_SHIFT_LOW 3
#define NR_KMALLOC_CACHES (KMALLOC_SHIFT_HIGH + 1)

extern struct kmem_cache *kmalloc_caches[NR_KMALLOC_CACHES];
extern const uint8_t kmalloc_size_index[25];

/* Index into kmalloc_caches for 1 <= size <= KMALLOC_MAX_CACHE_SIZE:
 * up to 192 bytes by table (65-96 -> 1, 129-192 -> 2), above by fls. */
static inline unsigned int kmalloc_index(size_t size)
{
	if (size <= 192)
		return kmalloc_size_index[(size + 7) >> 3];
	return fls_long(size - 1);
}

void kmalloc_init(void);

/* kfree_rcu.c: its barrier hook, and its part of fork. */
void kfree_rcu_init(void);
void kfree_rcu_fork_lock(void);
void kfree_rcu_fork_unlock(bool child);
unsigned long kfree_rcu_nr_holders(void);

/* The malloc replacement's finer classes (kmalloc.c, built when
 * malloc_replacement is set): the cache for a size 1..8192, with a copy of
 * its cpu_index (fixed for the cache's life): malloc finds the thread's
 * entry without waiting for a load from the cache.  Unbuilt, the index is
 * one no thread has an entry for. */
struct malloc_class {
	struct kmem_cache *s;
	unsigned int cpu_index;
};
#define MALLOC_CLASS_UNBUILT (~0u)
#define MALLOC_CLASS_SLOTS (1024 / 8 + 1 + 8192 / 256 - 4)
extern struct malloc_class malloc_classes[MALLOC_CLASS_SLOTS];

/* A size's slot: one per 8 bytes up to 1024, then one per 256.  Both are
 * computed and one picked by a conditional move, not a branch: programs
 * mix the two ranges at random, and the branch mispredicted on a fifth of
 * malloc calls (cachegrind, bench/ mixed). */
static inline size_t malloc_class_slot(size_t size)
{
	size_t small = (size + 7) >> 3, large = ((size - 1) >> 8) + 1024 / 8 + 1 - 4;

	/* Opaque to the compiler: both exist before the pick, which gcc
	 * then makes a cmov (for a plain ?: it keeps the branch). */
	__asm__("" : "+r"(small), "+r"(large));
	return size <= 1024 ? small : large;
}
/* Above the kmalloc caches, up to MALLOC_MEDIUM_MAX: four classes per
 * doubling, by (size - 1) >> 11 (NULL when not the malloc replacement). */
#define MALLOC_MEDIUM_MAX (256u << 10)
#define MALLOC_MEDIUM_SLOTS (MALLOC_MEDIUM_MAX >> 11)
extern struct kmem_cache *malloc_class_medium[MALLOC_MEDIUM_SLOTS];
void kmalloc_large_counts(unsigned long *allocs, unsigned long *frees, unsigned long *bytes);
/* Above the caches: a run of pages aligned to align (a power of two), or
 * a mapping of its own above 2 MiB.  kfree_large() takes its start. */
void *kmalloc_large_aligned(size_t size, size_t align, gfp_t flags, int node);
void kfree_large(struct slab *head, const void *object, const char *caller);
/* kfree() and free() of a pointer in a mapped segment whose page has no
 * info word (no slab's: core/object.h). */
void __noinline kfree_by_descriptor(const void *x, const char *caller);
/* A block with a mapping of its own grown or shrunk in place, within its
 * mapping's room; false (nothing changed) for any other pointer or size.
 * On __GFP_ZERO (or init_on_alloc) the bytes past new_size read zero. */
bool kmalloc_resize_in_place(const void *p, size_t new_size, gfp_t flags);

#endif
