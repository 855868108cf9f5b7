/*
 * debug.h - the debug layer: what a debug cache looks like and the
 * calls of its own path.
 *
 * A debug cache never gets a cpu slab: its cpu freelist stays empty and
 * its cpu slab NULL, so both fast paths miss and reach the slow paths,
 * which send it here.  Every debug allocation and free runs under the
 * node's list_lock, one object at a time (SLUB's alloc_single / free to
 * partial list), so the checks see a slab nobody else changes.
 *
 * Object slot with debugging (offsets from the slot start):
 *   [left red zone: red_left_pad]      0xcc allocated / 0xbb free
 *   [object: object_size]              0x6b.. 0xa5 when free (P)
 *   [right red zone: up to inuse]      0xcc / 0xbb; kmalloc slack past the
 *                                      size asked for is 0xcc (U)
 *   [free pointer, when outside]
 *   [track alloc][track free]          (U)
 *   [orig_size]                        (kmalloc caches with U)
 *   [one word of padding]              (Z)
 *   [padding to s->size]               0x5a (P)
 * The slab tail after the last slot is 0x5a (P).
 */
#ifndef USLAB_DEBUG_H
#define USLAB_DEBUG_H

#include "base/report.h"
#include "base/symbolize.h"
#include "core/slab.h"

#define POISON_INUSE      0x5a   /* padding and slab tail */
#define POISON_FREE       0x6b   /* a free object */
#define POISON_END        0xa5   /* the last byte of a free object */
#define SLUB_RED_INACTIVE 0xbb   /* red zone of a free object */
#define SLUB_RED_ACTIVE   0xcc   /* red zone of an allocated object */

/* The flags that add metadata to an object (O turns these off). */
#define DEBUG_METADATA_FLAGS (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER)

#define TRACK_ADDRS_COUNT 8

/* The last allocation or free of an object (U). */
struct track {
	uintptr_t addr;                     /* the caller of the alloc or free */
	uintptr_t addrs[TRACK_ADDRS_COUNT]; /* its stack, innermost first */
	int cpu;
	int tid;
	uint64_t when;                      /* ms, for the age */
};

enum track_item { TRACK_ALLOC, TRACK_FREE };

/* ------------------------------------------------------- debug_options.c */
/* Parses USLAB_DEBUG at init. */
void debug_options_init(void);
/* The debug flags USLAB_DEBUG gives a cache of this name. */
slab_flags_t debug_flags_for(const char *name);
/* Whether USLAB_DEBUG asked for O. */
bool debug_disable_higher_order(void);
/* Whether a SLAB_FAILSLAB cache's allocation fails now: its should-fail
 * callback decides if it has one, else the kernel's failslab knobs
 * (base/fault_attr.c; ignore-gfp-wait: only allocations that may not
 * block).  Never __GFP_NOFAIL.  uslab's own allocations are metadata,
 * never failed here. */
bool should_failslab(struct kmem_cache *s, gfp_t gfpflags);

/* ---------------------------------------------------------- debug.c */
void *alloc_debug(struct kmem_cache *s, gfp_t gfpflags, int node, size_t orig_size,
		  uintptr_t caller);
void free_debug(struct kmem_cache *s, struct slab *slab, void *object, uintptr_t caller);
/* New slab of a debug cache: poison, red zones, padding. */
/* What a new slab of a debug cache gets (core/slab.c calls them). */
extern const struct slab_debug_hooks debug_slab_hooks;
/* Lists the objects still allocated in s (destroy of a leaking cache). */
void list_remaining_objects(struct kmem_cache *s, struct report_buf *r);
/* Re-red-zones a kmalloc object whose size changed in place (krealloc). */
void debug_resize_object(struct kmem_cache *s, void *object, size_t new_size, bool zero);
/* The bytes of an allocated object the caller owns: the size it asked for
 * where the cache tracks it (the rest is red zone), else the object size. */
size_t debug_object_size(struct kmem_cache *s, void *object);
/* Where the metadata after an object starts: after the free pointer when
 * it is outside the object, else after the right red zone. */
static inline unsigned int get_info_end(const struct kmem_cache *s)
{
	if (s->offset >= s->inuse)
		return s->inuse + sizeof(void *);
	return s->inuse;
}

/* ---------------------------------------------------- debug_report.c */
void print_trailer(struct report_buf *r, struct kmem_cache *s, struct slab *slab, uint8_t *p);
void print_tracking(struct report_buf *r, struct kmem_cache *s, void *object);
/* The tracks of an object. */
struct track *get_track(struct kmem_cache *s, void *object, enum track_item alloc);
void set_track(struct kmem_cache *s, void *object, enum track_item alloc, uintptr_t addr);
/* Loads what the stack walker needs before any lock is held. */
void track_init(void);

/* lib/fork.c takes it around fork(). */
extern spinlock_t rules_lock;

#endif
