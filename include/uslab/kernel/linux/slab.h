/*
 * linux/slab.h - the kernel's slab API as uslab provides it: object caches
 * (kmem_cache_*, struct kmem_cache_args), the kmalloc family and kfree_rcu.
 *
 * One of uslab's kernel-style headers: a program adds their directory
 * (pkg-config --cflags uslab-kernel) and includes <linux/slab.h> as kernel
 * code does; <uslab.h> includes them too, so both may be included, in
 * either order.  Every function here is also uslab_<name> (uslab_api.h).
 * Every call is thread-safe.  kmem_cache_destroy() expects, as in the
 * kernel, that no other thread is using that cache at the same time.
 */
#ifndef USLAB_LINUX_SLAB_H
#define USLAB_LINUX_SLAB_H

#include "../uslab_api.h"
#include "gfp.h"

USLAB_BEGIN_DECLS

/* ------------------------------------------------------------------------
 * Cache flags: the kernel's names, and its values of before 6.9 (when its
 * flags became configuration-dependent); SLAB_SLUB and SLAB_UNIFIED, which
 * choose the personality, are uslab's own.
 * ------------------------------------------------------------------------ */
typedef unsigned int slab_flags_t;

#define SLAB_SLUB               0x00000010u /* personality: slub (cpu slab, freelists) */
#define SLAB_UNIFIED            0x00000020u /* personality: unified (queues, bitmaps) */
#define SLAB_CONSISTENCY_CHECKS 0x00000100u /* debug F: check on alloc and free */
#define SLAB_RANDOM_FREELIST    0x00000200u /* new slabs hand out objects in random order */
#define SLAB_RED_ZONE           0x00000400u /* debug Z: red zones around objects */
#define SLAB_POISON             0x00000800u /* debug P: poison free objects */
#define SLAB_KMALLOC            0x00001000u /* a kmalloc-N cache (set by uslab) */
#define SLAB_HWCACHE_ALIGN      0x00002000u /* align objects on cache lines */
#define SLAB_CACHE_DMA          0x00004000u /* accepted; no DMA zone here */
#define SLAB_CACHE_DMA32        0x00008000u /* accepted; no DMA zone here */
#define SLAB_STORE_USER         0x00010000u /* debug U: last alloc and free owner */
#define SLAB_PANIC              0x00040000u /* abort if creation fails */
/* Type-stable memory: a freed object's memory stays an object of this
 * cache (free pointer outside the object).  Until RCU grace periods come,
 * such a cache keeps every slab it ever had until kmem_cache_destroy():
 * shrink and reclaim give none of them back. */
#define SLAB_TYPESAFE_BY_RCU    0x00080000u
#define SLAB_TRACE              0x00200000u /* debug T: report every alloc and free */
#define SLAB_NOLEAKTRACE        0x00800000u /* accepted */
#define SLAB_NO_MERGE           0x01000000u /* never merge with another cache */
#define SLAB_FAILSLAB           0x02000000u /* debug A: fail allocations on purpose */
#define SLAB_ACCOUNT            0x04000000u /* accepted (no memcg here) */
#define SLAB_NO_USER_FLAGS      0x10000000u /* accepted */
#define SLAB_RECLAIM_ACCOUNT    0x20000000u /* accepted; kept apart in merging */
#define SLAB_MEM_SPREAD         0x40000000u /* accepted */
#define SLAB_DESTROY_BY_RCU     SLAB_TYPESAFE_BY_RCU

#define NUMA_NO_NODE (-1)

/* kmalloc(0) returns ZERO_SIZE_PTR; kfree() ignores it. */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

#define KMALLOC_MIN_SIZE      8
#define KMALLOC_SHIFT_HIGH    13
#define KMALLOC_MAX_CACHE_SIZE (1UL << KMALLOC_SHIFT_HIGH)  /* 8192 */

struct kmem_cache;

/* ------------------------------------------------------------------------
 * Object caches
 * ------------------------------------------------------------------------ */
USLAB_KFN(struct kmem_cache *, kmem_cache_create, (const char *name, unsigned int size,
	  unsigned int align, slab_flags_t flags, void (*ctor)(void *)))
USLAB_KFN(void, kmem_cache_destroy, (struct kmem_cache *s))
USLAB_KFN(void *, kmem_cache_alloc, (struct kmem_cache *s, gfp_t flags), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kmem_cache_alloc_node, (struct kmem_cache *s, gfp_t flags,
	  int node), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kmem_cache_zalloc, (struct kmem_cache *s, gfp_t flags), USLAB_MALLOC_ATTR)
USLAB_KFN(void, kmem_cache_free, (struct kmem_cache *s, void *objp))
/* All or nothing: returns size, or 0 with nothing allocated. */
USLAB_KFN(int, kmem_cache_alloc_bulk, (struct kmem_cache *s, gfp_t flags, size_t size, void **p))
USLAB_KFN(void, kmem_cache_free_bulk, (struct kmem_cache *s, size_t size, void **p))
/* The kernel's list_lru (memcg-aware LRU lists) has no user-space
 * counterpart: the lru is accepted and the object comes from s. */
struct list_lru;
USLAB_KFN(void *, kmem_cache_alloc_lru, (struct kmem_cache *s, struct list_lru *lru, gfp_t flags),
	  USLAB_MALLOC_ATTR)

/* Sheaves pre-filled for a section that must not fail (the maple tree's
 * use): kmem_cache_prefill_sheaf() returns a sheaf holding at least size
 * objects of s (NULL when they cannot all be had), and each of the next
 * size kmem_cache_alloc_from_sheaf() calls returns one of them without
 * fail (NULL once it is empty; __GFP_ZERO zeroes the object).
 * kmem_cache_refill_sheaf() brings a sheaf back to at least size objects
 * (0, or -ENOMEM with the sheaf as it was; it may move: *sheafp is
 * updated).  kmem_cache_return_sheaf() frees the objects left in it and
 * the sheaf.  The objects count as allocated while in a sheaf (the owner
 * tracking of SLAB_STORE_USER names the prefill's caller).  On both
 * personalities, from any thread; one sheaf is used by one thread at a
 * time. */
struct slab_sheaf;
USLAB_KFN(struct slab_sheaf *, kmem_cache_prefill_sheaf, (struct kmem_cache *s, gfp_t gfp,
	  unsigned int size))
USLAB_KFN(int, kmem_cache_refill_sheaf, (struct kmem_cache *s, gfp_t gfp,
	  struct slab_sheaf **sheafp, unsigned int size))
USLAB_KFN(void *, kmem_cache_alloc_from_sheaf, (struct kmem_cache *s, gfp_t gfp,
	  struct slab_sheaf *sheaf), USLAB_MALLOC_ATTR)
USLAB_KFN(void, kmem_cache_return_sheaf, (struct kmem_cache *s, gfp_t gfp,
	  struct slab_sheaf *sheaf))
USLAB_KFN(unsigned int, kmem_cache_sheaf_size, (struct slab_sheaf *sheaf))
/* Flushes the caller's cpu slabs of s, frees every empty slab and gives
 * free pages back to the OS.  Other threads' cpu slabs stay theirs. */
USLAB_KFN(int, kmem_cache_shrink, (struct kmem_cache *s))
USLAB_KFN(unsigned int, kmem_cache_size, (struct kmem_cache *s))
USLAB_KFN(const char *, kmem_cache_name, (struct kmem_cache *s))

/* Today's kernel (6.12+): a cache's optional arguments in one struct,
 * zero meaning the default.  freeptr_offset (with use_freeptr_offset): a
 * SLAB_TYPESAFE_BY_RCU cache's free pointer goes there, inside the object
 * (a word the program does not need once the object is free; aligned to
 * a pointer), rather than after it.  useroffset and usersize: the region
 * the kernel lets copy_to_user reach, checked to lie in the object (user
 * space has no copy_to_user to guard), and such a cache is never
 * merged.  sheaf_capacity: unified caches' sheaf size (slub has no
 * sheaves); such a cache is never merged either.  A bad argument: a
 * report and NULL. */
struct kmem_cache_args {
	unsigned int align;
	unsigned int useroffset;
	unsigned int usersize;
	unsigned int freeptr_offset;
	bool use_freeptr_offset;
	void (*ctor)(void *);
	unsigned int sheaf_capacity;
};

USLAB_KFN(struct kmem_cache *, __kmem_cache_create_args, (const char *name,
	  unsigned int object_size, struct kmem_cache_args *args, slab_flags_t flags))
USLAB_KFN(struct kmem_cache *, kmem_cache_create_usercopy, (const char *name,
	  unsigned int size, unsigned int align, slab_flags_t flags, unsigned int useroffset,
	  unsigned int usersize, void (*ctor)(void *)))

/* The macro below makes kmem_cache_create a function-like macro, as in
 * the kernel: a program that declares its own (a wrapper) or calls a
 * member of that name defines USLAB_NO_CREATE_MACRO, or writes
 * (kmem_cache_create).  C++ has no _Generic: the five arguments only. */
#if !defined(__cplusplus) && !defined(USLAB_NO_CREATE_MACRO) && !defined(USLAB_PREFIXED_ONLY)
static inline struct kmem_cache *__kmem_cache_create(const char *name, unsigned int size,
						     unsigned int align, slab_flags_t flags,
						     void (*ctor)(void *))
{
	struct kmem_cache_args args = { .align = align, .ctor = ctor };

	return __kmem_cache_create_args(name, size, &args, flags);
}

/* kmem_cache_create(name, size, NULL, flags): the defaults.  Anything but
 * NULL there is a caller's mistake (the kernel warns): NULL is returned. */
static inline struct kmem_cache *__kmem_cache_default_args(const char *name, unsigned int size,
							   void *args, slab_flags_t flags)
{
	struct kmem_cache_args defaults = { 0 };

	/* A NULL args is refused by __kmem_cache_create_args, with a report. */
	return __kmem_cache_create_args(name, size, args ? NULL : &defaults, flags);
}

/* Both forms, as the kernel's macro: (name, size, align, flags, ctor), or
 * (name, size, args, flags) with args a struct kmem_cache_args * or NULL. */
#define kmem_cache_create(__name, __object_size, __args, ...)                        \
	_Generic((__args),                                                           \
		struct kmem_cache_args *: __kmem_cache_create_args,                  \
		void *: __kmem_cache_default_args,                                   \
		default: __kmem_cache_create)(__name, __object_size, __args, __VA_ARGS__)
#endif

#ifndef USLAB_PREFIXED_ONLY
#define KMEM_CACHE(__struct, __flags) \
	kmem_cache_create(#__struct, sizeof(struct __struct), \
	                  __alignof__(struct __struct), (__flags), NULL)

#define KMEM_CACHE_USERCOPY(__struct, __flags, __field)                              \
	kmem_cache_create_usercopy(#__struct, sizeof(struct __struct),               \
				   __alignof__(struct __struct), (__flags),          \
				   __builtin_offsetof(struct __struct, __field),     \
				   sizeof(((struct __struct *)0)->__field), NULL)
#endif

/* ------------------------------------------------------------------------
 * kmalloc
 * ------------------------------------------------------------------------ */
USLAB_KFN(void *, kmalloc, (size_t size, gfp_t flags), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kmalloc_node, (size_t size, gfp_t flags, int node), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kzalloc, (size_t size, gfp_t flags), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kzalloc_node, (size_t size, gfp_t flags, int node), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kmalloc_array, (size_t n, size_t size, gfp_t flags), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kcalloc, (size_t n, size_t size, gfp_t flags), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kmalloc_array_node, (size_t n, size_t size, gfp_t flags,
	  int node), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kcalloc_node, (size_t n, size_t size, gfp_t flags, int node), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, krealloc, (const void *p, size_t new_size, gfp_t flags))
USLAB_KFN(void *, krealloc_array, (void *p, size_t new_n, size_t new_size, gfp_t flags))
USLAB_KFN(void, kfree, (const void *objp))
USLAB_KFN(void, kfree_bulk, (size_t size, void **p))
USLAB_KFN(size_t, ksize, (const void *objp))
USLAB_KFN(size_t, kmalloc_size_roundup, (size_t size))
USLAB_KFN(char *, kstrdup, (const char *s, gfp_t gfp), USLAB_MALLOC_ATTR)
USLAB_KFN(char *, kstrndup, (const char *s, size_t max, gfp_t gfp), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kmemdup, (const void *src, size_t len, gfp_t gfp), USLAB_MALLOC_ATTR)
/* Buckets: a private set of kmalloc caches (name-8 ... name-8192, never
 * merged), so that one subsystem's blocks never share a slab with
 * another's (the kernel's defence against heap spraying).  kmalloc's
 * sizes and rules; blocks above 8 KiB are kmalloc's large ones; kfree()
 * frees them all.  NULL buckets mean kmalloc's own caches.
 * kmem_buckets_create() returns NULL when a cache cannot be made; the
 * kernel never destroys a set, uslab_kmem_buckets_destroy() does (no
 * block of it may be left). */
typedef struct kmem_cache *kmem_buckets[KMALLOC_SHIFT_HIGH + 1];
USLAB_KFN(kmem_buckets *, kmem_buckets_create, (const char *name, slab_flags_t flags,
	  unsigned int useroffset, unsigned int usersize, void (*ctor)(void *)))
USLAB_KFN(void *, kmem_buckets_alloc, (kmem_buckets *b, size_t size, gfp_t flags),
	  USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kmem_buckets_alloc_track_caller, (kmem_buckets *b, size_t size, gfp_t flags),
	  USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kmem_buckets_valloc, (kmem_buckets *b, size_t size, gfp_t flags),
	  USLAB_MALLOC_ATTR)
USLAB_API void uslab_kmem_buckets_destroy(kmem_buckets *b);

/* No vmalloc area in user space: these are the kmalloc calls. */
USLAB_KFN(void *, kvmalloc, (size_t size, gfp_t flags), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kvzalloc, (size_t size, gfp_t flags), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kvmalloc_node, (size_t size, gfp_t flags, int node), USLAB_MALLOC_ATTR)
/* n * size overflowing: NULL. */
USLAB_KFN(void *, kvmalloc_array, (size_t n, size_t size, gfp_t flags), USLAB_MALLOC_ATTR)
USLAB_KFN(void *, kvcalloc, (size_t n, size_t size, gfp_t flags), USLAB_MALLOC_ATTR)
/* krealloc's contract (the kernel's since 6.12: no old size). */
USLAB_KFN(void *, kvrealloc, (const void *p, size_t size, gfp_t flags))
USLAB_KFN(void, kvfree, (const void *p))
USLAB_KFN(void *, kmemdup_array, (const void *src, size_t count, size_t element_size,
	  gfp_t gfp), USLAB_MALLOC_ATTR)
/* A string in read-only data (a literal) is returned as it is, and
 * kfree_const() leaves it; anything else is kstrdup()'s and kfree()'s. */
USLAB_KFN(const char *, kstrdup_const, (const char *s, gfp_t gfp))
USLAB_KFN(void, kfree_const, (const void *p))
/* Wipes the whole block (ksize) with a store the compiler keeps, then
 * frees it. */
USLAB_KFN(void, kfree_sensitive, (const void *p))
/* Is p inside an object of a slab (any cache)? */
USLAB_KFN(bool, kmem_valid_obj, (void *p))
/* Reports what uslab knows of p: its cache, the object's start, p's
 * offset and the object's size, allocated or free (caches with red
 * zones), who allocated and freed it (SLAB_STORE_USER); or the large
 * block it is in.  True when p is in a slab. */
USLAB_KFN(bool, kmem_dump_obj, (void *p))

/* ------------------------------------------------------------------------
 * kfree_rcu: kfree after a grace period of the program's RCU (see
 * <uslab.h>, RCU, for the flavours and waits).  kfree_rcu(ptr, rhf): rhf
 * names a member of at least two pointers (liburcu's struct rcu_head)
 * that uslab may overwrite; kfree_rcu_mightsleep(ptr) and kvfree_rcu(ptr)
 * need no member and may wait for a grace period.  kvfree_rcu_barrier()
 * returns once every kfree_rcu made before it has freed its object.
 * ------------------------------------------------------------------------ */
/* head: inside ptr's object (two pointers it may use), or NULL. */
USLAB_KFN(void, kvfree_call_rcu, (void *head, void *ptr))
USLAB_KFN(void, kvfree_rcu_barrier, (void))
#ifndef USLAB_PREFIXED_ONLY
#define USLAB_RCU_PICK(_1, _2, name, ...) name
#define kfree_rcu(...) USLAB_RCU_PICK(__VA_ARGS__, uslab_kfree_rcu2, uslab_kfree_rcu1, x)(__VA_ARGS__)
#define kvfree_rcu(...) USLAB_RCU_PICK(__VA_ARGS__, uslab_kfree_rcu2, uslab_kfree_rcu1, x)(__VA_ARGS__)
#define kfree_rcu_mightsleep(ptr) uslab_kfree_rcu1(ptr)
#define kvfree_rcu_mightsleep(ptr) uslab_kfree_rcu1(ptr)
#define uslab_kfree_rcu1(ptr) kvfree_call_rcu(NULL, (void *)(ptr))
#define uslab_kfree_rcu2(ptr, rhf) \
	do { \
		__typeof__(ptr) uslab_p_ = (ptr); \
		if (uslab_p_) \
			kvfree_call_rcu((void *)&uslab_p_->rhf, (void *)uslab_p_); \
	} while (0)
#endif

USLAB_END_DECLS

#endif /* USLAB_LINUX_SLAB_H */
