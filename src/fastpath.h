/*
 * fastpath.h - the allocation and free fast paths of the slub personality.
 *
 * A thread's cpu slab has a private freelist: allocating pops it, freeing
 * an object of that same slab pushes onto it.  Plain loads and stores, no
 * atomic instruction, no lock, no debug branch.  Everything else (empty
 * freelist, an object of another slab, a thread without state yet, a node
 * request the cpu slab does not satisfy, a debug cache) is one predicted
 * branch away, in slub.c.
 *
 * Three forms of the fast path, chosen by one test of s->flags:
 *  - slub, plain: free pointers stored as they are;
 *  - slub, checked (__SLAB_CHECKED): a hardened freelist (each free
 *    pointer stored XOR a per-cache key and its own address, and checked
 *    to stay inside the cpu slab when read), init_on_alloc / init_on_free;
 *  - unified (SLAB_UNIFIED): pop and push the thread's main sheaf, an
 *    array; nothing is written into the object.
 *
 * this_cpu_slab() is the one accessor of per-thread state: a per-CPU mode
 * (rseq) would change it and nothing else.
 */
#ifndef USLAB_FASTPATH_H
#define USLAB_FASTPATH_H

#include <string.h>

#include "sanitizer.h"
#include "segment.h"
#include "slab.h"


/* Internal flags of the fast path (bits the public flags leave free). */
#define __SLAB_CHECKED       0x00000002u  /* take the checked fast path */
#define __SLAB_INIT_ON_ALLOC 0x00000004u
#define __SLAB_INIT_ON_FREE  0x00000008u


/* The calling thread's entry for s; NULL sends the caller to a slow path,
 * which registers the thread or makes more entries valid
 * (this_cpu_slab_slow).  The block never moves (types.h), so an entry
 * stays valid across anything a slow path calls. */
static __always_inline struct kmem_cache_cpu *this_cpu_slab(const struct kmem_cache *s)
{
	struct uslab_thread *t = &uslab_self;

	if (likely(s->cpu_index < t->nr_cpu_slab)) {
		struct kmem_cache_cpu *c = &t->cpu_slab[s->cpu_index];

		/* Tells the compiler so: the callers' NULL test folds away. */
		if (!c)
			__builtin_unreachable();
		return c;
	}
	return NULL;
}

/* A stored free pointer: XOR the cache's key and the byte-swapped address
 * it is stored at (CONFIG_SLAB_FREELIST_HARDENED); key and mix are 0 for a
 * cache without hardening, and then it is the pointer itself. */
static __always_inline uintptr_t freelist_ptr_mangle(const struct kmem_cache *s, uintptr_t ptr,
						     uintptr_t slot)
{
	return ptr ^ s->fp_key ^ (__builtin_bswap64(slot) & s->fp_mix);
}

static __always_inline void *get_freepointer(const struct kmem_cache *s, void *object)
{
	uintptr_t slot = (uintptr_t)object + s->offset;

	return (void *)freelist_ptr_mangle(s, (uintptr_t)kasan_load_word((void *)slot), slot);
}

static __always_inline void set_freepointer(const struct kmem_cache *s, void *object, void *fp)
{
	uintptr_t slot = (uintptr_t)object + s->offset;

	kasan_store_word((void *)slot, (void *)freelist_ptr_mangle(s, (uintptr_t)fp, slot));
}

static __always_inline void set_cpu_slab(struct kmem_cache_cpu *c, struct slab *slab)
{
	c->second = NULL;
	WRITE_ONCE(c->slab, slab);
	c->slab_mask = slab ? ~((PAGE_SIZE << slab->order) - 1) : 0;
}

static __always_inline bool node_match(const struct slab *slab, int node)
{
	return node == NUMA_NO_NODE || slab_nid(slab) == node;
}

/* Offset of p from the first slot of its slab: slabs are naturally aligned
 * runs, objects sit red_left_pad into their slot. */
static __always_inline uint64_t slab_offset(const struct kmem_cache *s, const struct slab *slab,
					    const void *p)
{
	return ((uintptr_t)p & ((PAGE_SIZE << slab->order) - 1)) - s->red_left_pad;
}

/* Objects in a slab: fixed while it is a slab, read atomically because
 * the other fields of the word change under cmpxchg. */
static __always_inline unsigned int slab_objects(const struct slab *slab)
{
	union slab_counters cnt = { .counters = READ_ONCE(slab->counters) };

	return cnt.objects;
}

/* Index of the object at obj in its slab: a shift for power-of-two slots. */
static __always_inline unsigned int obj_to_index(const struct kmem_cache *s,
						 const struct slab *slab, const void *obj)
{
	uintptr_t mask = READ_ONCE(s->slot_mask);

	if (mask)
		return (unsigned int)(((uintptr_t)obj & ((PAGE_SIZE << slab->order) - 1)) >>
				      __builtin_ctzl(mask + 1));
	return (unsigned int)((slab_offset(s, slab, obj) * s->reciprocal_size) >> RECIPROCAL_SHIFT);
}

/* Is p the start of one of the slab's objects?  A mask for power-of-two
 * slots that fill their slabs (slot_mask is 0 otherwise); else exact for
 * any offset below 2 MiB: one multiply-high replaces a division, and the
 * slot must lie whole in the slab (a slab has objects_per_slab() =
 * min(bytes / size, MAX_OBJS_PER_SLAB) of them): the tail of a slab has
 * slot boundaries too.  An offset below red_left_pad wraps to a huge one,
 * which no slot start equals. */
static __always_inline bool object_start(const struct kmem_cache *s, const struct slab *slab,
					 const void *p)
{
	uintptr_t mask = READ_ONCE(s->slot_mask);
	uint64_t off, idx;

	if (likely(mask))
		return !((uintptr_t)p & mask);
	off = slab_offset(s, slab, p);
	idx = (off * s->reciprocal_size) >> RECIPROCAL_SHIFT;
	return idx * s->size == off && off + s->size <= (PAGE_SIZE << slab->order) &&
	       idx < MAX_OBJS_PER_SLAB;
}

/* orig_size 0 stands for the whole object: kmem_cache_alloc() passes 0 so
 * that the fast path loads nothing it does not use. */
static __always_inline size_t alloc_size(const struct kmem_cache *s, size_t orig_size)
{
	return orig_size ? orig_size : s->object_size;
}

/* ASan: an object handed out is addressable up to the size asked for. */
static __always_inline void kasan_slab_alloc(const struct kmem_cache *s, void *object,
					     size_t orig_size)
{
	if (kasan_enabled()) {
		orig_size = alloc_size(s, orig_size);
		kasan_unpoison(object, orig_size);
		if (orig_size < s->object_size)
			kasan_poison((char *)object + orig_size, s->object_size - orig_size);
	}
}

static __always_inline void kasan_slab_free(const struct kmem_cache *s, void *object)
{
	if (kasan_enabled() && !(s->flags & SLAB_TYPESAFE_BY_RCU))
		kasan_poison(object, s->object_size);
}

static __always_inline bool want_zero(const struct kmem_cache *s, gfp_t gfpflags)
{
	return (gfpflags & __GFP_ZERO) || (s->flags & __SLAB_INIT_ON_ALLOC);
}

void *slab_alloc_zero(struct kmem_cache *s, void *object, size_t orig_size);
void slab_free_zero(struct kmem_cache *s, struct kmem_cache_cpu *c, void *object);
/* The slow paths are reached by tail calls from the exported entry points,
 * so their return address is the caller's: the owner that U records. */
void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfpflags, int node, size_t orig_size);
void *slab_alloc_checked_slow(struct kmem_cache *s, struct kmem_cache_cpu *c, void *object,
			      void *next, gfp_t gfpflags, size_t orig_size);

static __always_inline void *slab_alloc_checked(struct kmem_cache *s, struct kmem_cache_cpu *c,
						void *object, gfp_t gfpflags, size_t orig_size)
{
	void *next = get_freepointer(s, object);

	/* NULL (the last object) and a forged pointer both leave the slab. */
	if (unlikely(((uintptr_t)next ^ (uintptr_t)object) & c->slab_mask))
		return slab_alloc_checked_slow(s, c, object, next, gfpflags, orig_size);
	c->freelist = next;
	COUNTER_INC(c->stat[ALLOC_FASTPATH]);
	if (unlikely((gfpflags & __GFP_ZERO) || (s->flags & __SLAB_INIT_ON_ALLOC)))
		return slab_alloc_zero(s, object, orig_size);
	kasan_slab_alloc(s, object, orig_size);
	return object;
}

/*
 * Leaf on the fast path: no register is saved, the miss and the zeroing
 * are tail calls.  orig_size is what the caller asked for (kmalloc), for
 * the debug and sanitizer paths only (0: the whole object).
 */
static __always_inline void *slab_alloc_node_biased(struct kmem_cache *s, gfp_t gfpflags,
						    int node, size_t orig_size, bool unified_first)
{
	struct kmem_cache_cpu *c = this_cpu_slab(s);

	if (likely(c)) {
		if (unified_first &&
		    likely((s->flags & (__SLAB_CHECKED | SLAB_UNIFIED)) == SLAB_UNIFIED))
			goto unified;
		if (likely(!(s->flags & (__SLAB_CHECKED | SLAB_UNIFIED)))) {
			void *object = c->freelist;

			if (likely(object && node_match(c->slab, node))) {
				c->freelist = kasan_load_word((char *)object + s->offset);
				COUNTER_INC(c->stat[ALLOC_FASTPATH]);
				if (unlikely(gfpflags & __GFP_ZERO))
					return slab_alloc_zero(s, object, orig_size);
				kasan_slab_alloc(s, object, orig_size);
				return object;
			}
		} else if (s->flags & SLAB_UNIFIED) {
			struct sheaf *main;
			unsigned int size;
unified:
			main = c->main;
			size = READ_ONCE(main->size);
			if (likely(size && node == NUMA_NO_NODE)) {
				void *object = main->objects[size - 1];

				WRITE_ONCE(main->size, size - 1);
				COUNTER_INC(c->stat[ALLOC_FASTPATH]);
				if (unlikely(want_zero(s, gfpflags)))
					return slab_alloc_zero(s, object, orig_size);
				kasan_slab_alloc(s, object, orig_size);
				return object;
			}
		} else {
			void *object = c->freelist;

			if (likely(object && node_match(c->slab, node)))
				return slab_alloc_checked(s, c, object, gfpflags, orig_size);
		}
	}
	return slab_alloc_slow(s, gfpflags, node, orig_size);
}

/* unified_first: the caller's caches are mostly unified (the malloc
 * replacement); only the branch layout differs. */
static __always_inline void *slab_alloc_node(struct kmem_cache *s, gfp_t gfpflags, int node,
					     size_t orig_size)
{
	return slab_alloc_node_biased(s, gfpflags, node, orig_size, false);
}

/*
 * Double frees the fast path sends to the slow path for two compares in
 * the line it reads anyway: the object is c->freelist (free(p); free(p))
 * or c->second, the head that the last fast free pushed down
 * (free(p); free(q); free(p)).  Allocations do not clear c->second, so it
 * may name an object allocated since: the slow path's
 * cpu_freelist_recent() decides.  If c->second is still free it is one of
 * the first two objects of the freelist (only allocations pop it, one
 * from the top each).
 */
static __always_inline bool cpu_freelist_recent(const struct kmem_cache *s,
						const struct kmem_cache_cpu *c, const void *object)
{
	void *head = c->freelist;

	return object == head || (head && object == get_freepointer(s, head));
}

/* Pushes object, whose free pointer is now head, on the cpu freelist. */
static __always_inline void cpu_freelist_push(struct kmem_cache_cpu *c, void *head, void *object)
{
	c->second = head;
	c->freelist = object;
}

/* The same for a sheaf of size objects: one of its top two.  objects[-1]
 * and objects[-2] are the sheaf's list pointers (types.h): never objects,
 * so a sheaf of 0 or 1 objects needs no test. */
static __always_inline bool sheaf_recent(const struct sheaf *sh, unsigned int size,
					 const void *object)
{
	return sh->objects[(int)size - 1] == object || sh->objects[(int)size - 2] == object;
}

/*
 * The object goes onto the private freelist only when its slab is this
 * thread's cpu slab; the compare with the last two objects freed there is
 * the cheap half of double-free detection.  kfree() also
 * asks that the pointer be the start of an object (check_start): it takes
 * pointers of any origin.  kmem_cache_free() takes that from its contract,
 * as SLUB does; the slow path and the debug caches check it always.
 */
static __always_inline void slab_free_biased(struct kmem_cache *s, struct slab *slab,
					     void *object, bool check_start, bool unified_first)
{
	struct kmem_cache_cpu *c = this_cpu_slab(s);

	if (likely(c)) {
		if (unified_first && likely(s->flags & SLAB_UNIFIED))
			goto unified;
		if (likely(!(s->flags & SLAB_UNIFIED))) {
			void *head = c->freelist;

			if (likely(slab == c->slab && object != head && object != c->second &&
				   (!check_start || object_start(s, slab, object)))) {
				if (unlikely(s->flags & __SLAB_CHECKED)) {
					/* Zeroing is a call: made as a tail call,
					 * so that this path keeps no frame. */
					if (s->flags & __SLAB_INIT_ON_FREE) {
						slab_free_zero(s, c, object);
						return;
					}
					set_freepointer(s, object, head);
				} else {
					kasan_store_word((char *)object + s->offset, head);
				}
				kasan_slab_free(s, object);
				cpu_freelist_push(c, head, object);
				COUNTER_INC(c->stat[FREE_FASTPATH]);
				return;
			}
		} else {
			struct sheaf *main;
			unsigned int size;
unified:
			main = c->main;
			size = READ_ONCE(main->size);
			if (likely(size < main->capacity && slab->slab_cache == s &&
				   !sheaf_recent(main, size, object) &&
				   !(s->flags & __SLAB_INIT_ON_FREE) &&
				   (!check_start || object_start(s, slab, object)))) {
				kasan_slab_free(s, object);
				main->objects[size] = object;
				WRITE_ONCE(main->size, size + 1);
				COUNTER_INC(c->stat[FREE_FASTPATH]);
				return;
			}
		}
		slab_free_slow(s, slab, object, c);
		return;
	}
	slab_free_slow(s, slab, object, NULL);
}

static __always_inline void slab_free(struct kmem_cache *s, struct slab *slab, void *object,
				      bool check_start)
{
	slab_free_biased(s, slab, object, check_start, false);
}

#endif
