/*
 * uslab.h - the public interface of uslab, a user-space SLUB.
 *
 * Two halves:
 *  - the kernel's slab API, spelled as in <linux/slab.h>, so kernel code
 *    compiles unchanged: kmem_cache_*, the kmalloc family, gfp_t and GFP_*,
 *    SLAB_* flags, NUMA_NO_NODE, ZERO_SIZE_PTR;
 *  - uslab's own extras under uslab_: options, statistics, reports, the
 *    report sink, and the page allocator objects (including the
 *    fault-injecting one the tests use for every out-of-memory path).
 *
 * Every call is thread-safe.  kmem_cache_destroy() and the uslab_cache_*
 * setters expect, as in the kernel, that no other thread is using that
 * cache at the same time.
 */
#ifndef USLAB_H
#define USLAB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>

/*
 * The version of this header (CMake reads it from here: the pkg-config
 * files and the CMake package say the same).  uslab_version() returns the
 * library's own.  The shared libraries are libuslab.so.MAJOR and
 * libuslab-malloc.so.MAJOR: MAJOR changes, and with it the soname, only
 * when a program built against the old one could break (a call removed or
 * changed, a structure of this header changed); MINOR adds calls; PATCH
 * changes neither.  While MAJOR is 0, MINOR may break: the soname is
 * libuslab.so.0 throughout.
 */
#define USLAB_VERSION_MAJOR 0
#define USLAB_VERSION_MINOR 1
#define USLAB_VERSION_PATCH 0
#define USLAB_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, for #if. */
#define USLAB_VERSION_NUMBER (USLAB_VERSION_MAJOR * 10000 + USLAB_VERSION_MINOR * 100 + \
			      USLAB_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define USLAB_API __attribute__((visibility("default")))
#define USLAB_MALLOC_ATTR __attribute__((malloc, warn_unused_result))
#else
#define USLAB_API
#define USLAB_MALLOC_ATTR
#endif

/* ------------------------------------------------------------------------
 * gfp flags, with the kernel's values.  What they mean here: an
 * allocation that fails runs reclaim (the shrinkers, the caches' free
 * memory) once and tries once more only with __GFP_DIRECT_RECLAIM
 * (GFP_KERNEL, not GFP_ATOMIC or GFP_NOWAIT), then fails: every
 * allocation is bounded as __GFP_NORETRY and __GFP_RETRY_MAYFAIL ask
 * (the kernel's "too small to fail" loop is not kept); __GFP_NOFAIL
 * never returns NULL (it waits and reclaims until memory comes back);
 * __GFP_ZERO zeroes; __GFP_NOWARN silences the out-of-memory report;
 * __GFP_THISNODE forbids another node.  The others are accepted and mean
 * nothing in user space.
 * ------------------------------------------------------------------------ */
typedef unsigned int gfp_t;

#define __GFP_DMA             0x01u
#define __GFP_HIGHMEM         0x02u
#define __GFP_DMA32           0x04u
#define __GFP_MOVABLE         0x08u
#define __GFP_RECLAIMABLE     0x10u
#define __GFP_HIGH            0x20u
#define __GFP_IO              0x40u
#define __GFP_FS              0x80u
#define __GFP_ZERO            0x100u
#define __GFP_DIRECT_RECLAIM  0x400u
#define __GFP_KSWAPD_RECLAIM  0x800u
#define __GFP_WRITE           0x1000u
#define __GFP_NOWARN          0x2000u
#define __GFP_RETRY_MAYFAIL   0x4000u
#define __GFP_NOFAIL          0x8000u
#define __GFP_NORETRY         0x10000u
#define __GFP_MEMALLOC        0x20000u
#define __GFP_COMP            0x40000u
#define __GFP_NOMEMALLOC      0x80000u
#define __GFP_HARDWALL        0x100000u
#define __GFP_THISNODE        0x200000u
#define __GFP_ACCOUNT         0x400000u
#define __GFP_ZEROTAGS        0x800000u
#define __GFP_SKIP_ZERO       0x1000000u
#define __GFP_SKIP_KASAN      0x2000000u
#define __GFP_NOLOCKDEP       0x4000000u
#define __GFP_NO_OBJ_EXT      0x8000000u

#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC    (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL    (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT    (__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO      (__GFP_RECLAIM)
#define GFP_NOFS      (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER      (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)

/* ------------------------------------------------------------------------
 * Cache flags (values are uslab's; names are the kernel's).
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
USLAB_API struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
                                               unsigned int align, slab_flags_t flags,
                                               void (*ctor)(void *));
USLAB_API void kmem_cache_destroy(struct kmem_cache *s);
USLAB_API void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags) USLAB_MALLOC_ATTR;
USLAB_API void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node) USLAB_MALLOC_ATTR;
USLAB_API void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags) USLAB_MALLOC_ATTR;
USLAB_API void kmem_cache_free(struct kmem_cache *s, void *objp);
/* All or nothing: returns size, or 0 with nothing allocated. */
USLAB_API int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t size, void **p);
USLAB_API void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p);
/* Flushes the caller's cpu slabs of s, frees every empty slab and gives
 * free pages back to the OS.  Other threads' cpu slabs stay theirs. */
USLAB_API int kmem_cache_shrink(struct kmem_cache *s);
USLAB_API unsigned int kmem_cache_size(struct kmem_cache *s);
USLAB_API const char *kmem_cache_name(struct kmem_cache *s);

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

USLAB_API struct kmem_cache *__kmem_cache_create_args(const char *name, unsigned int object_size,
						      struct kmem_cache_args *args,
						      slab_flags_t flags);
USLAB_API struct kmem_cache *kmem_cache_create_usercopy(const char *name, unsigned int size,
							unsigned int align, slab_flags_t flags,
							unsigned int useroffset,
							unsigned int usersize,
							void (*ctor)(void *));

/* The macro below makes kmem_cache_create a function-like macro, as in
 * the kernel: a program that declares its own (a wrapper) or calls a
 * member of that name defines USLAB_NO_CREATE_MACRO, or writes
 * (kmem_cache_create).  C++ has no _Generic: the five arguments only. */
#if !defined(__cplusplus) && !defined(USLAB_NO_CREATE_MACRO)
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

#define KMEM_CACHE(__struct, __flags) \
	kmem_cache_create(#__struct, sizeof(struct __struct), \
	                  __alignof__(struct __struct), (__flags), NULL)

#define KMEM_CACHE_USERCOPY(__struct, __flags, __field)                              \
	kmem_cache_create_usercopy(#__struct, sizeof(struct __struct),               \
				   __alignof__(struct __struct), (__flags),          \
				   __builtin_offsetof(struct __struct, __field),     \
				   sizeof(((struct __struct *)0)->__field), NULL)

/* ------------------------------------------------------------------------
 * kmalloc
 * ------------------------------------------------------------------------ */
USLAB_API void *kmalloc(size_t size, gfp_t flags) USLAB_MALLOC_ATTR;
USLAB_API void *kmalloc_node(size_t size, gfp_t flags, int node) USLAB_MALLOC_ATTR;
USLAB_API void *kzalloc(size_t size, gfp_t flags) USLAB_MALLOC_ATTR;
USLAB_API void *kzalloc_node(size_t size, gfp_t flags, int node) USLAB_MALLOC_ATTR;
USLAB_API void *kmalloc_array(size_t n, size_t size, gfp_t flags) USLAB_MALLOC_ATTR;
USLAB_API void *kcalloc(size_t n, size_t size, gfp_t flags) USLAB_MALLOC_ATTR;
USLAB_API void *kmalloc_array_node(size_t n, size_t size, gfp_t flags, int node) USLAB_MALLOC_ATTR;
USLAB_API void *kcalloc_node(size_t n, size_t size, gfp_t flags, int node) USLAB_MALLOC_ATTR;
USLAB_API void *krealloc(const void *p, size_t new_size, gfp_t flags);
USLAB_API void *krealloc_array(void *p, size_t new_n, size_t new_size, gfp_t flags);
USLAB_API void kfree(const void *objp);
USLAB_API void kfree_bulk(size_t size, void **p);
USLAB_API size_t ksize(const void *objp);
USLAB_API size_t kmalloc_size_roundup(size_t size);
USLAB_API char *kstrdup(const char *s, gfp_t gfp) USLAB_MALLOC_ATTR;
USLAB_API char *kstrndup(const char *s, size_t max, gfp_t gfp) USLAB_MALLOC_ATTR;
USLAB_API void *kmemdup(const void *src, size_t len, gfp_t gfp) USLAB_MALLOC_ATTR;
/* No vmalloc area in user space: these are the kmalloc calls. */
USLAB_API void *kvmalloc(size_t size, gfp_t flags) USLAB_MALLOC_ATTR;
USLAB_API void *kvzalloc(size_t size, gfp_t flags) USLAB_MALLOC_ATTR;
USLAB_API void *kvmalloc_node(size_t size, gfp_t flags, int node) USLAB_MALLOC_ATTR;
/* n * size overflowing: NULL. */
USLAB_API void *kvmalloc_array(size_t n, size_t size, gfp_t flags) USLAB_MALLOC_ATTR;
USLAB_API void *kvcalloc(size_t n, size_t size, gfp_t flags) USLAB_MALLOC_ATTR;
/* krealloc's contract (the kernel's since 6.12: no old size). */
USLAB_API void *kvrealloc(const void *p, size_t size, gfp_t flags);
USLAB_API void kvfree(const void *p);
USLAB_API void *kmemdup_array(const void *src, size_t count, size_t element_size, gfp_t gfp)
	USLAB_MALLOC_ATTR;
/* A string in read-only data (a literal) is returned as it is, and
 * kfree_const() leaves it; anything else is kstrdup()'s and kfree()'s. */
USLAB_API const char *kstrdup_const(const char *s, gfp_t gfp);
USLAB_API void kfree_const(const void *p);
/* Wipes the whole block (ksize) with a store the compiler keeps, then
 * frees it. */
USLAB_API void kfree_sensitive(const void *p);
/* Is p inside an object of a slab (any cache)? */
USLAB_API bool kmem_valid_obj(void *p);
/* Reports what uslab knows of p: its cache, the object's start, p's
 * offset and the object's size, allocated or free (caches with red
 * zones), who allocated and freed it (SLAB_STORE_USER); or the large
 * block it is in.  True when p is in a slab. */
USLAB_API bool kmem_dump_obj(void *p);

static inline bool gfpflags_allow_blocking(const gfp_t gfp_flags)
{
	return !!(gfp_flags & __GFP_DIRECT_RECLAIM);
}

/* ------------------------------------------------------------------------
 * RCU.  Grace periods are those of the program's RCU: liburcu, through
 * libuslab-rcu (the default "memb" flavour; libuslab-rcu-qsbr, -mb and
 * -bp for the others), which registers its flavour when loaded (or call
 * uslab_rcu_init() of <uslab_rcu.h>).  Readers call rcu_read_lock() of
 * that same flavour.  Until a flavour is registered, a
 * SLAB_TYPESAFE_BY_RCU cache keeps its empty slabs, and kfree_rcu keeps
 * the object (with a report): nothing is freed under a reader.
 *
 * SLAB_TYPESAFE_BY_RCU: an object may be reused at once, within the cache,
 * but a slab's memory goes to nobody else until a grace period after the
 * slab became empty (uslab_cache_info: rcu_slabs, rcu_pages).
 * kfree_rcu(ptr, rhf): kfree after a grace period, batched; rhf names a
 * member of at least two pointers (liburcu's struct rcu_head) that uslab
 * may overwrite.  kfree_rcu_mightsleep(ptr) and kvfree_rcu(ptr) need no
 * member and may wait for a grace period.  kvfree_rcu_barrier() returns
 * once every kfree_rcu made before it has freed its object; uslab_rcu_barrier()
 * waits for those and for the RCU slabs.  kmem_cache_destroy() waits as
 * the kernel's does.  None of the waits may be called inside a read-side
 * critical section.  Like kfree, kfree_rcu is not async-signal-safe: a
 * signal handler must not call it.
 * ------------------------------------------------------------------------ */
struct uslab_rcu_flavour {
	const char *name;             /* "memb", "qsbr", ... */
	void (*synchronize_rcu)(void);
	/* Optional (QSBR): while a barrier waits for uslab's worker, the
	 * calling thread is put offline if it was online (true), and back
	 * online after. */
	bool (*thread_offline)(void);
	void (*thread_online)(void);
	/* Optional: is the calling thread inside a read-side critical
	 * section (QSBR: online)?  kfree_rcu then never waits; otherwise,
	 * when frees pile up faster than grace periods end, it waits for
	 * the worker to catch up.  Without it, kfree_rcu never waits. */
	bool (*read_ongoing)(void);
};
/* Registers the program's flavour: 0, or -1 with a report when another
 * one is already registered (one flavour per process). */
USLAB_API int uslab_rcu_set_flavour(const struct uslab_rcu_flavour *flavour);
/* The registered flavour's name, or NULL. */
USLAB_API const char *uslab_rcu_flavour_name(void);
USLAB_API void uslab_rcu_barrier(void);
/* head: inside ptr's object (two pointers it may use), or NULL. */
USLAB_API void kvfree_call_rcu(void *head, void *ptr);
USLAB_API void kvfree_rcu_barrier(void);
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

/* ------------------------------------------------------------------------
 * Options.  Each is read once from its environment variable at first use;
 * these calls change it afterwards (caches created later see the change).
 * ------------------------------------------------------------------------ */
enum uslab_option {
	USLAB_OPT_NOMERGE,            /* USLAB_NOMERGE: 1 = never merge caches */
	USLAB_OPT_MIN_ORDER,          /* USLAB_MIN_ORDER: smallest slab order */
	USLAB_OPT_MAX_ORDER,          /* USLAB_MAX_ORDER: largest preferred order */
	USLAB_OPT_MIN_OBJECTS,        /* USLAB_MIN_OBJECTS: objects per slab goal */
	USLAB_OPT_NO_CMPXCHG_DOUBLE,  /* USLAB_NO_CMPXCHG_DOUBLE: 1 = slab lock */
	USLAB_OPT_PURGE_DELAY_MS,     /* USLAB_PURGE_DELAY_MS: free pages -> OS */
	USLAB_OPT_STATS,              /* USLAB_STATS: report at exit (0..3) */
	USLAB_OPT_FREELIST_HARDENED,  /* USLAB_FREELIST_HARDENED: encode free pointers */
	USLAB_OPT_RANDOM_FREELIST,    /* USLAB_RANDOM_FREELIST: shuffle new slabs */
	USLAB_OPT_INIT_ON_ALLOC,      /* USLAB_INIT_ON_ALLOC: zero objects on alloc */
	USLAB_OPT_INIT_ON_FREE,       /* USLAB_INIT_ON_FREE: zero objects on free */
	USLAB_OPT_ALLOCATOR,          /* USLAB_ALLOCATOR: 0 slub, 1 unified */
	USLAB_OPT_BACKGROUND_PURGE,   /* USLAB_BACKGROUND_PURGE: 1 = a thread purges after the delay */
	USLAB_OPT_SEGMENT_GUARDS,     /* USLAB_SEGMENT_GUARDS: 0 = no guard pages around descriptors */
	USLAB_OPT_CPU_MODE,           /* USLAB_CPU_MODE: 0 thread, 1 cpu, 2 auto (uslab_cpu_mode) */
	USLAB_OPT_COUNT
};
USLAB_API long uslab_option_get(enum uslab_option opt);
/* Returns 0, or -1 with a report when the value is out of range. */
USLAB_API int uslab_option_set(enum uslab_option opt, long value);
USLAB_API const char *uslab_option_name(enum uslab_option opt);

/* ------------------------------------------------------------------------
 * Statistics: SLUB's counters, kept per thread and summed on request.
 * Every object allocated counts once as ALLOC_FASTPATH or ALLOC_SLOWPATH
 * and every object freed once as FREE_FASTPATH or FREE_SLOWPATH (bulk
 * calls included), so their difference is the number of live objects.
 * CMPXCHG_DOUBLE_CPU_FAIL counts retries of a per-CPU fast path; in the
 * per-thread mode ("thread", see uslab_cpu_mode) there are none: it is 0.
 * ------------------------------------------------------------------------ */
#define USLAB_STAT_LIST(X) \
	X(ALLOC_FASTPATH) X(FREE_FASTPATH) X(ALLOC_SLOWPATH) X(FREE_SLOWPATH) \
	X(FREE_FROZEN) X(FREE_ADD_PARTIAL) X(FREE_REMOVE_PARTIAL) \
	X(ALLOC_FROM_PARTIAL) X(ALLOC_SLAB) X(ALLOC_REFILL) X(ALLOC_NODE_MISMATCH) \
	X(FREE_SLAB) X(CPUSLAB_FLUSH) X(DEACTIVATE_FULL) X(DEACTIVATE_EMPTY) \
	X(DEACTIVATE_TO_HEAD) X(DEACTIVATE_TO_TAIL) X(DEACTIVATE_REMOTE_FREES) \
	X(DEACTIVATE_BYPASS) X(ORDER_FALLBACK) X(CMPXCHG_DOUBLE_CPU_FAIL) \
	X(CMPXCHG_DOUBLE_FAIL) X(CPU_PARTIAL_ALLOC) X(CPU_PARTIAL_FREE) \
	X(CPU_PARTIAL_NODE) X(CPU_PARTIAL_DRAIN) X(SHEAF_FLUSH) X(SHEAF_REFILL) \
	X(SHEAF_ALLOC) X(SHEAF_FREE) X(BARN_GET) X(BARN_GET_FAIL) X(BARN_PUT) \
	X(BARN_PUT_FAIL)

enum uslab_stat_item {
#define USLAB_STAT_ENUM(name) USLAB_STAT_##name,
	USLAB_STAT_LIST(USLAB_STAT_ENUM)
#undef USLAB_STAT_ENUM
	USLAB_NR_STATS
};

USLAB_API const char *uslab_stat_name(enum uslab_stat_item item);
/* Sum of one counter over all threads, live and exited. */
USLAB_API uint64_t uslab_cache_stat(struct kmem_cache *s, enum uslab_stat_item item);
/* Clears every counter of s (like writing 0 to the sysfs stat files). */
USLAB_API void uslab_cache_stat_clear(struct kmem_cache *s);

struct uslab_cache_info {
	const char *name;
	unsigned int object_size;   /* bytes the user asked for */
	unsigned int size;          /* stride of objects in a slab */
	unsigned int align;
	unsigned int order;         /* preferred order of a slab */
	unsigned int objs_per_slab;
	unsigned int refcount;      /* 1 + number of merged aliases */
	unsigned long min_partial;
	unsigned int cpu_partial_slabs;
	unsigned long active_objs;  /* objects allocated and not freed */
	unsigned long total_objs;   /* objects in all slabs */
	unsigned long nr_slabs;
	unsigned long nr_partial;   /* slabs on the node partial lists */
	unsigned long cpu_slabs;    /* threads holding a cpu slab of s */
	unsigned long cpu_partial;  /* slabs on the threads' cpu partial lists */
	unsigned long pages;        /* 4 KiB pages held in slabs */
	unsigned long queued_objs;  /* unified: free objects in threads' sheaves */
	unsigned long barn_sheaves; /* unified: sheaves waiting in the barns */
	unsigned int queue_limit;   /* unified: sheaf capacity */
	unsigned int batchcount;    /* unified: objects per refill or flush */
	const char *allocator;      /* "slub" or "unified" */
	slab_flags_t flags;
	bool has_ctor;
	bool destroyed;             /* destroyed while objects remained */
	/* SLAB_TYPESAFE_BY_RCU: empty slabs waiting for their grace period
	 * (not in nr_slabs or pages), and their 4 KiB pages. */
	unsigned long rcu_slabs;
	unsigned long rcu_pages;
};
USLAB_API int uslab_cache_info(struct kmem_cache *s, struct uslab_cache_info *info);
/* The kmalloc cache that serves size bytes (NULL above 8192 or for 0). */
USLAB_API struct kmem_cache *uslab_kmalloc_cache(size_t size);

/* ------------------------------------------------------------------------
 * Reports.  All diagnostics (bad frees, leaks at destroy, out of memory,
 * bad arguments) go through one sink; the default writes to stderr.  A
 * test installs its own to read the exact lines.
 * ------------------------------------------------------------------------ */
typedef void (*uslab_report_fn)(void *ctx, const char *text);
/* Installs fn (NULL = stderr) and returns the previous sink in *old_fn. */
USLAB_API void uslab_set_report_sink(uslab_report_fn fn, void *ctx,
                                     uslab_report_fn *old_fn, void **old_ctx);
USLAB_API unsigned long uslab_report_count(void);

enum uslab_report_format {
	USLAB_REPORT_SLABINFO = 1, /* /proc/slabinfo version 2.1 */
	USLAB_REPORT_SLUBINFO = 2, /* the SLUB announcement's slubinfo 1.0 */
	USLAB_REPORT_RAW = 3,      /* key=value lines, read by the slabinfo tool */
};
/* Writes the report of all caches plus the memory summary to out. */
USLAB_API int uslab_report(FILE *out, enum uslab_report_format format);

/* ------------------------------------------------------------------------
 * Debugging, as the kernel's slub_debug.  USLAB_DEBUG takes the same text
 * as slub_debug=: blocks separated by ';', each "<letters>[,cache,...]"
 * with letters F (consistency checks), Z (red zones), P (poisoning),
 * U (alloc/free owners), T (trace), A (failslab), O (no debug where it
 * would raise the slab order); no letters means FZPU, '-' switches off;
 * cache names may end in '*'.  Debug caches are never merged and take a
 * path of their own; other caches keep the plain fast path.
 * ------------------------------------------------------------------------ */
/* Replaces the USLAB_DEBUG setting for caches created from now on.
 * Returns 0, or -1 with a report for text it cannot parse. */
USLAB_API int uslab_debug_config(const char *slub_debug);
/* Debug flags (SLAB_CONSISTENCY_CHECKS, SLAB_RED_ZONE, SLAB_POISON,
 * SLAB_STORE_USER, SLAB_TRACE, SLAB_FAILSLAB) of a cache with no objects:
 * its layout is recomputed.  Returns 0, or -1 with a report when the cache
 * has objects or aliases. */
USLAB_API int uslab_cache_set_debug(struct kmem_cache *s, slab_flags_t debug_flags);
/* Walks every slab of a debug cache; returns the problems found (each
 * reported and fixed), or -1 for a cache without debugging. */
USLAB_API int kmem_cache_validate(struct kmem_cache *s);
/* kmem_cache_validate() of every debug cache; returns the problems. */
USLAB_API long uslab_validate_all(void);
/* SLAB_FAILSLAB caches: every interval-th allocation fails, at most times
 * times (-1: no limit); interval 0 switches it off.  USLAB_FAILSLAB=
 * "interval[,times]" sets it at start.  As the kernel's failslab, it
 * never fails a __GFP_NOFAIL allocation nor one of uslab's own caches,
 * and by default (ignore-gfp-wait) only allocations that may not block
 * (GFP_ATOMIC, GFP_NOWAIT); uslab_failslab_ignore_gfp_wait(0), or
 * USLAB_FAILSLAB_IGNORE_GFP_WAIT=0, fails GFP_KERNEL ones too. */
USLAB_API void uslab_failslab(unsigned long interval, long times);
USLAB_API void uslab_failslab_ignore_gfp_wait(int ignore);

/* ------------------------------------------------------------------------
 * Runtime tunables: every cache's attributes, by name, as the kernel's
 * /sys/kernel/slab/<cache>/ (object_size, slab_size, objs_per_slab, order,
 * objects, partial, cpu_slabs, aliases, align, ctor, allocator, min_partial,
 * cpu_partial, queue_limit, batchcount, sanity_checks, red_zone, poison,
 * store_user, ...).  Errors: -ENOENT no such attribute, -EACCES read-only,
 * -EINVAL bad value or not for this personality, -EBUSY a debug toggle on
 * a cache with objects; each with a report.
 * ------------------------------------------------------------------------ */
/* The i-th attribute name, NULL past the last. */
USLAB_API const char *uslab_cache_attr_name(unsigned int i);
/* 1 writable, 0 read-only, -ENOENT unknown. */
USLAB_API int uslab_cache_attr_writable(const char *attr);
/* Writes "value\n" into buf; returns its length or -errno. */
USLAB_API int uslab_cache_attr_read(struct kmem_cache *s, const char *attr, char *buf, size_t len);
USLAB_API int uslab_cache_attr_write(struct kmem_cache *s, const char *attr, const char *value);
/* A cache by name or alias. */
USLAB_API struct kmem_cache *uslab_cache_find(const char *name);
/* "cache:attr=value,attr=value;cache:..." - now for caches that exist,
 * at creation for the others (USLAB_TUNE sets it at start).  0 or -EINVAL. */
USLAB_API int uslab_tune(const char *spec);

/* ------------------------------------------------------------------------
 * Reclaim.  Caches hold memory a program no longer uses (free objects in
 * partial slabs and per-thread queues, empty slabs, free pages not yet
 * given back); uslab_reclaim() gives it all back, and asks every
 * registered shrinker to free what it can.  It also runs once before an
 * allocation fails (then the allocation is retried), and, if asked for,
 * when the kernel reports memory pressure (PSI).  Nothing runs on a timer:
 * a quiescent process does no work.
 * ------------------------------------------------------------------------ */
struct shrink_control {
	unsigned long nr_to_scan;   /* objects the scan should try to free */
	unsigned long nr_scanned;   /* set by scan_objects, if it likes */
	gfp_t gfp_mask;
	int nid;
};
#define SHRINK_STOP  (~0UL)
#define SHRINK_EMPTY (~0UL - 1)

/* A program's own cache that uslab may ask to shrink (the kernel's);
 * zeroed before its first registration (a static, or an initializer). */
struct shrinker {
	/* Objects that could be freed now (0 or SHRINK_EMPTY: none). */
	unsigned long (*count_objects)(struct shrinker *, struct shrink_control *sc);
	/* Frees up to sc->nr_to_scan objects; returns how many (or SHRINK_STOP). */
	unsigned long (*scan_objects)(struct shrinker *, struct shrink_control *sc);
	long batch;                 /* objects per scan call (0: all at once) */
	int seeks;
	unsigned int flags;
	void *private_data;
	/* uslab's own */
	const char *name;
	struct shrinker *uslab_next;
	unsigned long uslab_freed;  /* objects its scans reported freed */
	unsigned long uslab_seq;    /* registration order */
	unsigned int uslab_running; /* callbacks in progress */
	bool uslab_free_pending;    /* shrinker_free() from its own callback */
};
#define DEFAULT_SEEKS 2

/* flags: the kernel's.  SHRINKER_NUMA_AWARE: scanned once per node with
 * sc->nid set (others get nid 0); the memcg and non-slab bits are
 * accepted and mean nothing here. */
#define SHRINKER_REGISTERED  (1u << 0)
#define SHRINKER_ALLOCATED   (1u << 1)
#define SHRINKER_NUMA_AWARE  (1u << 2)
#define SHRINKER_MEMCG_AWARE (1u << 3)
#define SHRINKER_NONSLAB     (1u << 4)

/* The kernel's API since 6.7: a shrinker allocated zeroed and named (NULL
 * when memory runs out), its callbacks, seeks, batch and private_data set
 * by the caller, then registered; shrinker_free() unregisters it (waiting
 * for its callbacks on other threads) and frees it, also from inside its
 * own callback (freed once that returns). */
USLAB_API struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
USLAB_API void shrinker_register(struct shrinker *shrinker);
USLAB_API void shrinker_free(struct shrinker *shrinker);

/* The older API: registers a shrinker the caller owns, under a name
 * (kept as given); 0, or -1 with a report when a callback is missing. */
USLAB_API int register_shrinker(struct shrinker *shrinker, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Returns once no callback of the shrinker runs any more (other than the
 * caller itself, when a callback unregisters its own shrinker). */
USLAB_API void unregister_shrinker(struct shrinker *shrinker);

/* ------------------------------------------------------------------------
 * Mempools (the kernel's): a reserve of min_nr elements that an allocation
 * falls back on when the underlying allocator fails; with a gfp that may
 * block (__GFP_DIRECT_RECLAIM) mempool_alloc() waits for an element to be
 * freed rather than return NULL.  The pool's functions are called without
 * its lock held.  A pool holds a mutex and a condition variable: it is not
 * copied, and a fork child must not use one that a thread was waiting on
 * or locking at the fork.
 * ------------------------------------------------------------------------ */
typedef void *(mempool_alloc_t)(gfp_t gfp_mask, void *pool_data);
typedef void (mempool_free_t)(void *element, void *pool_data);

typedef struct mempool_s {
	pthread_mutex_t lock;
	int min_nr;                 /* elements the reserve holds when full */
	int curr_nr;                /* elements in it now */
	void **elements;
	void *pool_data;
	mempool_alloc_t *alloc;
	mempool_free_t *free;
	pthread_cond_t wait;
	int waiters;                /* mempool_alloc()s asleep on wait */
} mempool_t;

USLAB_API int mempool_init(mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
			   mempool_free_t *free_fn, void *pool_data);
USLAB_API int mempool_init_node(mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
				mempool_free_t *free_fn, void *pool_data, gfp_t gfp_mask, int node);
USLAB_API void mempool_exit(mempool_t *pool);
USLAB_API bool mempool_initialized(mempool_t *pool);
USLAB_API bool mempool_is_saturated(mempool_t *pool);
USLAB_API mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
				   void *pool_data);
USLAB_API mempool_t *mempool_create_node(int min_nr, mempool_alloc_t *alloc_fn,
					 mempool_free_t *free_fn, void *pool_data, gfp_t gfp_mask,
					 int node);
USLAB_API int mempool_resize(mempool_t *pool, int new_min_nr);
USLAB_API void mempool_destroy(mempool_t *pool);
USLAB_API void *mempool_alloc(mempool_t *pool, gfp_t gfp_mask) USLAB_MALLOC_ATTR;
USLAB_API void *mempool_alloc_preallocated(mempool_t *pool) USLAB_MALLOC_ATTR;
USLAB_API void mempool_free(void *element, mempool_t *pool);

/* Pools of a cache's objects, and of kmalloc blocks of one size. */
USLAB_API void *mempool_alloc_slab(gfp_t gfp_mask, void *pool_data);
USLAB_API void mempool_free_slab(void *element, void *pool_data);
USLAB_API int mempool_init_slab_pool(mempool_t *pool, int min_nr, struct kmem_cache *kc);
USLAB_API mempool_t *mempool_create_slab_pool(int min_nr, struct kmem_cache *kc);
USLAB_API void *mempool_kmalloc(gfp_t gfp_mask, void *pool_data);
USLAB_API void mempool_kfree(void *element, void *pool_data);
USLAB_API int mempool_init_kmalloc_pool(mempool_t *pool, int min_nr, size_t size);
USLAB_API mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size);

struct uslab_reclaim_result {
	unsigned long objects_flushed;  /* from the caller's per-thread queues */
	unsigned long slabs_freed;      /* empty slabs given to the page allocator */
	unsigned long shrinker_objects; /* objects the shrinkers freed */
	unsigned long bytes_returned;   /* resident bytes given back to the OS */
};
/* Reclaims now; fills *res (may be NULL); returns bytes given back.  Other
 * threads give back their queues at their next allocator slow path. */
USLAB_API unsigned long uslab_reclaim(struct uslab_reclaim_result *res);
USLAB_API unsigned long uslab_reclaim_count(void);

/* Starts a thread that waits on the kernel's pressure-stall interface and
 * reclaims when memory is under pressure.  trigger is a PSI trigger
 * ("some 150000 2000000": 150 ms stalled in any 2 s; windows must be
 * whole multiples of 2 s without CAP_SYS_RESOURCE) or NULL for that;
 * path is /proc/pressure/memory, a cgroup's memory.pressure, or NULL for
 * the former.  USLAB_PRESSURE=1 (or a trigger) starts it at init, on
 * USLAB_PRESSURE_FILE if set.
 * Returns 0, or -1 with a report. */
USLAB_API int uslab_pressure_watch(const char *path, const char *trigger);
/* The same on any file descriptor that polls readable or priority when
 * there is pressure (an eventfd, a pipe: for tests and other sources). */
USLAB_API int uslab_pressure_watch_fd(int fd);
USLAB_API void uslab_pressure_stop(void);
/* Pressure events the watcher has acted on. */
USLAB_API unsigned long uslab_pressure_events(void);

/* ------------------------------------------------------------------------
 * Page allocators: objects with methods, stackable.  The root one hands
 * out naturally aligned runs of 2^order 4 KiB pages from 4 MiB segments.
 * ------------------------------------------------------------------------ */
struct uslab_page_allocator;

struct uslab_page_stats {
	unsigned long segments;        /* 4 MiB segments mapped */
	unsigned long huge_mappings;   /* mappings of their own (> 2 MiB) */
	unsigned long bytes_mapped;    /* address space mapped, all kinds */
	unsigned long pages_in_use;    /* pages in slabs, large objects, metadata */
	unsigned long pages_free_cached;   /* free, may still be resident */
	unsigned long pages_free_clean;    /* free, given back (madvise) or never touched */
	unsigned long alloc_requests;
	unsigned long free_requests;
	unsigned long failed_requests;
	unsigned long purges;          /* madvise calls that gave memory back */
	unsigned long segments_unmapped;
	unsigned long huge_cached;     /* huge mappings freed, kept for reuse */
	unsigned long huge_reused;     /* huge allocations served by one */
};

USLAB_API struct uslab_page_allocator *uslab_root_page_allocator(void);
/* Sets the allocator new slabs and large kmallocs come from; returns the
 * previous one.  NULL restores the root. */
USLAB_API struct uslab_page_allocator *uslab_set_page_allocator(struct uslab_page_allocator *pa);
/* Per-cache override (NULL = follow the global one). */
USLAB_API int uslab_cache_set_page_allocator(struct kmem_cache *s,
                                             struct uslab_page_allocator *pa);
USLAB_API void uslab_page_stats(struct uslab_page_stats *st);
/* Gives every free page back to the OS now and unmaps empty segments. */
USLAB_API void uslab_page_purge(void);
/* Passes the background purger has made (USLAB_BACKGROUND_PURGE=1, on in
 * libuslab-malloc): it wakes when pages are freed, waits the purge delay,
 * gives them back, and sleeps again while nothing is free. */
USLAB_API unsigned long uslab_background_purge_passes(void);

enum uslab_fault_mode {
	USLAB_FAULT_OFF,    /* forward everything */
	USLAB_FAULT_NTH,    /* fail only the n-th request from now (1-based) */
	USLAB_FAULT_AFTER,  /* let n requests through, fail every later one */
};
/* A page allocator derived from base (NULL = root) that fails on command. */
USLAB_API struct uslab_page_allocator *
uslab_fault_inject_create(struct uslab_page_allocator *base, enum uslab_fault_mode mode,
                          unsigned long n);
USLAB_API void uslab_fault_inject_arm(struct uslab_page_allocator *pa,
                                      enum uslab_fault_mode mode, unsigned long n);
USLAB_API unsigned long uslab_fault_inject_failures(struct uslab_page_allocator *pa);
USLAB_API unsigned long uslab_fault_inject_requests(struct uslab_page_allocator *pa);
USLAB_API void uslab_page_allocator_destroy(struct uslab_page_allocator *pa);

/* What slabinfo -p PID reads to find uslab's caches in this process from
 * outside (process_vm_readv); its layout is the tool's business. */
struct uslab_remote_anchor;
extern USLAB_API const struct uslab_remote_anchor uslab_remote_anchor;

/* Explicit initialisation (optional: every entry point initialises). */
USLAB_API void uslab_init(void);
/* "MAJOR.MINOR.PATCH" of the library in use: USLAB_VERSION_STRING of its build. */
USLAB_API const char *uslab_version(void);
/* "cpu" when the unified personality's caches are per CPU (rseq, see
 * DESIGN.md, Per-CPU state), "thread" when they are per thread; set with
 * USLAB_CPU_MODE=thread|cpu|auto or uslab_option_set(USLAB_OPT_CPU_MODE). */
USLAB_API const char *uslab_cpu_mode(void);
/* Why that mode: what made cpu mode possible, or what is missing. */
USLAB_API const char *uslab_cpu_mode_reason(void);
/* Flushes the calling thread's cpu slabs of every cache back to the slabs. */
USLAB_API void uslab_thread_flush(void);

#ifdef __cplusplus
}
#endif
#endif /* USLAB_H */
