/*
 * slab.h - what the files of the cache core and the personalities share:
 * the registry, the layout calls, the slow paths, thread state - and the
 * one theory of operation of the library.
 *
 * LOCK ORDER (outermost first; enum lock_rank in lock.h is this list, and
 * USLAB_LOCKDEP=1 checks every acquisition against it):
 *
 *   watch_lock          pressure watcher start/stop (creates a thread)
 *   slab_mutex          the registry: slab_caches, names, refcounts,
 *                       aliases, dead, cpu indexes
 *   tune_lock           USLAB_TUNE rules
 *   rules_lock          USLAB_DEBUG rules
 *   thread_list_lock    registered threads, their entry blocks and
 *                       directories, any access to another thread's
 *                       entries (destroy, reports, reaping)
 *   node->list_lock     a node's partial (and debug full) list, on_partial,
 *                       nr_partial; unified: slab bitmaps and inuse
 *   slab_lock           a page descriptor's bit, only without cmpxchg16b:
 *                       slab->freelist + counters
 *   barn->lock          a node's barn of sheaves
 *   page allocator      a NUMA node's free runs, segments, purge lists
 *   sheaf pool lock     free sheaves of one capacity
 *   meta_lock           metadata blocks
 *   purge_lock          the background purger's sleep
 *   shrinker_lock       the shrinker list
 *   sink_lock           the report sink's pointer pair and counters
 *
 * The fast paths take no lock.  A slow path takes list_lock (and, under
 * it, the slab lock), then drops it before it asks the page allocator for
 * a slab or gives one back (a slab is discarded once nobody can reach
 * it).  Barn, pool, meta, purge, shrinker and sink locks are leaves.
 *
 * SLAB STATES (types.h has the fields): a slub slab is the cpu slab of
 * one thread (frozen; its free objects on that thread's c->freelist,
 * slab->freelist holding only remote frees), on a thread's cpu partial
 * list (frozen), on its node's partial list, or full (on no list).  Only
 * the freezing thread unfreezes it; any thread pushes remote frees with
 * slab_update_freelist().  A unified slab is on its node's partial list
 * iff it has a free object; its bitmap changes under list_lock only.  An
 * empty slab stays on the partial list while fewer than min_partial
 * others are there (keep_empty_slab), forever in a SLAB_TYPESAFE_BY_RCU
 * cache until destroy.
 *
 * PER-THREAD STATE: a thread's entry for a cache (struct kmem_cache_cpu)
 * is reached through this_cpu_slab() (fastpath.h) only, and never moves
 * once handed out (thread.c): a slow path may hold it across a call out.
 * Only its owner touches it, except destroy (flush under
 * thread_list_lock while the owner cannot use that cache) and reports
 * (READ_ONCE under thread_list_lock; sheaves are type-stable metadata,
 * so a sheaf read while its owner frees it is still a sheaf).
 *
 * CALLING OUT: a slow path calls out of uslab in two places: the
 * constructors of a new slab (allocate_slab), and the shrinkers that
 * reclaim before failing runs, between two attempts of the outermost slow
 * path (holding no state of it, and no lock).  A constructor may allocate
 * and free, from any cache, its own included; every slow path reads its
 * entry's state again after a call out (the unified refill fills a batch
 * of its own; slub deactivates a cpu slab the constructor installed).
 * The thread's slow-path depth (lock.h) makes such nested slow paths
 * leave the thread's own caches alone: only the outermost slow path
 * answers a reclaim epoch, and reclaim before failing runs only there,
 * for an allocation that may block (__GFP_DIRECT_RECLAIM), with no lock
 * held (slab_mutex: a shrinker may create a cache).  Everything else
 * that would call out waits until the thread holds no lock and is in no
 * slow path (lock.h's idle work): reports reach the program's sink then,
 * the background purger is started then.  Internal allocations (entries,
 * sheaves, descriptors, bitmaps) come from the metadata allocator
 * (meta.c), which calls nobody.
 */
#ifndef USLAB_SLAB_H
#define USLAB_SLAB_H

#include "types.h"

/* The return address of the current function: the owner of an object. */
#define _RET_IP_ ((uintptr_t)__builtin_return_address(0))

/* ------------------------------------------------------------ registry */
extern spinlock_t slab_mutex;
extern struct list_head slab_caches;      /* under slab_mutex */

struct kmem_cache *create_cache(const char *name, unsigned int size, unsigned int align,
				slab_flags_t flags, void (*ctor)(void *));
/* Caches that named pa as their page allocator forget it. */
void caches_forget_page_allocator(struct uslab_page_allocator *pa);

static inline struct kmem_cache_node *get_node(struct kmem_cache *s, int node)
{
	return &s->node[node];
}

/* The one rule for an empty slab: it stays (on the partial list) while
 * fewer than min_partial other slabs are there, else it is discarded.
 * on_list: the slab is itself counted in nr_partial.  Under list_lock,
 * or as a hint without it. */
static inline bool keep_empty_slab(struct kmem_cache *s, struct kmem_cache_node *n, bool on_list)
{
	/* Type-stable memory: until RCU grace periods exist, a slab of such a
	 * cache is never given away while the cache lives (lockless readers
	 * may still look at its objects). */
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		return true;
	return READ_ONCE(n->nr_partial) - (on_list ? 1 : 0) < READ_ONCE(s->min_partial);
}

static inline struct uslab_page_allocator *cache_page_allocator(struct kmem_cache *s)
{
	extern struct uslab_page_allocator *current_page_allocator;
	struct uslab_page_allocator *pa = READ_ONCE(s->page_alloc);

	return pa ? pa : __atomic_load_n(&current_page_allocator, __ATOMIC_ACQUIRE);
}

/* USLAB_TUNE / uslab_tune() rules for a cache of this name. */
void tune_apply(struct kmem_cache *s, const char *name);
void tunables_init(void);
void pressure_init(void);

/* -------------------------------------------------------------- layout */
unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size);
/* Fills size, offset, inuse, oo, min, min_partial, cpu_partial; false if
 * no slab of any order can hold one object. */
bool calculate_sizes(struct kmem_cache *s);
/* Slot boundaries past the last object in slabs of this order?  Then
 * s->slot_mask must be 0 (object_start() checks the index). */
bool slab_has_tail(const struct kmem_cache *s, struct kmem_cache_order_objects oo);
struct kmem_cache *find_mergeable(unsigned int size, unsigned int align, slab_flags_t flags,
				  const char *name, void (*ctor)(void *));
/* Flags that make a cache unmergeable. */
#define SLAB_NEVER_MERGE (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | \
			  SLAB_TYPESAFE_BY_RCU | SLAB_NOLEAKTRACE | SLAB_FAILSLAB | \
			  SLAB_NO_MERGE | SLAB_CONSISTENCY_CHECKS)
/* Flags that must be equal for two caches to merge. */
#define SLAB_MERGE_SAME (SLAB_RECLAIM_ACCOUNT | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_ACCOUNT | \
			 SLAB_RANDOM_FREELIST | SLAB_SLUB | SLAB_UNIFIED)
#define SLAB_FLAGS_PERMITTED (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
			      SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | \
			      SLAB_STORE_USER | SLAB_PANIC | SLAB_TYPESAFE_BY_RCU | \
			      SLAB_TRACE | SLAB_NOLEAKTRACE | SLAB_NO_MERGE | SLAB_FAILSLAB | \
			      SLAB_ACCOUNT | SLAB_NO_USER_FLAGS | SLAB_RECLAIM_ACCOUNT | \
			      SLAB_MEM_SPREAD | SLAB_KMALLOC | SLAB_RANDOM_FREELIST | \
			      SLAB_SLUB | SLAB_UNIFIED)

/* ------------------------------------------------- slub: slow paths */
void *__slab_alloc(struct kmem_cache *s, gfp_t gfpflags, int node, struct kmem_cache_cpu *c);
/* Frees cnt objects head..tail (linked through their free pointers) that
 * all belong to slab; c is the caller's entry for s or NULL. */
void __slab_free(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
		 unsigned int cnt, struct kmem_cache_cpu *c);
/* The free fast path could not take the object: checks it, then frees. */
void slab_free_slow(struct kmem_cache *s, struct slab *slab, void *object,
		    struct kmem_cache_cpu *c);
/* A new slab, counted, for a path without a cpu slab (debug). */
struct slab *new_slab_for(struct kmem_cache *s, gfp_t flags, int node);
/* Usable bytes of an object of s (ksize). */
size_t slab_ksize(const struct kmem_cache *s);
/* Returns the cpu slab and cpu partial slabs of c to the node lists. */
void flush_cpu_slab(struct kmem_cache *s, struct kmem_cache_cpu *c);
/* Frees empty slabs of the node lists; returns slabs left.  Those of a
 * SLAB_TYPESAFE_BY_RCU cache go only when it is being destroyed. */
unsigned long shrink_node_lists(struct kmem_cache *s, bool destroying);
void discard_slab(struct kmem_cache *s, struct slab *slab);
/* Validates a pointer handed to a free: reports and returns false when
 * it is not the start of an object of slab. */
bool check_object_pointer(struct kmem_cache *s, struct slab *slab, const void *object,
			  const char *caller);
bool slab_update_freelist(struct kmem_cache *s, struct slab *slab, void *freelist_old,
			  unsigned long counters_old, void *freelist_new,
			  unsigned long counters_new);
bool cmpxchg_double_available(void);

/* ------------------------------------------- bad input (slab_errors.c) */
void slab_out_of_memory(struct kmem_cache *s, gfp_t gfpflags, int nid);
void slab_bug_double_free(struct kmem_cache *s, struct slab *slab, const void *object);
void slab_bug_bad_pointer(struct kmem_cache *s, const void *object, const char *caller,
			  const char *what);
void slab_bug_wrong_cache(struct kmem_cache *s, struct slab *slab, const void *object);
/* A pointer that is in no slab and no large object uslab handed out. */
void bug_foreign_pointer(const void *object, const char *caller, const char *what);
/* The same for a pointer outside every segment's descriptor table. */
void bug_unmapped_pointer(const void *object, const char *caller);

/* ------------------------------------------------------------ threads */
extern spinlock_t thread_list_lock;
/* thread_list_lock, marking the caller: while it holds the lock its own
 * array cannot grow (frees it makes go the threadless way). */
void thread_list_lock_acquire(void);
void thread_list_lock_release(void);
struct uslab_thread *current_thread(void);
/* Flushes r's entries; thread_list_lock held. */
void thread_flush(struct thread_reg *r, bool fold);
/* Flushes and forgets the threads that died without their destructor. */
void thread_reap(void);
/* Empties an entry (pointing the unified sheaves at empty_sheaf). */
void cpu_entry_reset(struct kmem_cache_cpu *c);
extern struct sheaf empty_sheaf;
extern struct list_head thread_list;     /* struct thread_reg, under thread_list_lock */
void thread_init(void);
/* The caller's entry for s, registering the thread or adding a page of
 * entries; NULL when the thread has exited its destructor or memory for
 * its entries is lacking. */
struct kmem_cache_cpu *this_cpu_slab_slow(struct kmem_cache *s);
/* Flushes every thread's entry for s and clears it (s being destroyed). */
void flush_all_threads(struct kmem_cache *s);

/* -------------------------------------------------------------- stats */
/* SLUB's counter names, unprefixed, for the code that counts. */
enum stat_item {
#define STAT_ALIAS(name) name = USLAB_STAT_##name,
	USLAB_STAT_LIST(STAT_ALIAS)
#undef STAT_ALIAS
};

void stat_add_slow(struct kmem_cache *s, struct kmem_cache_cpu *c, enum stat_item i,
		   unsigned long n);
/* Sums s's counters over every thread into out[]. */
void cache_stats_sum(struct kmem_cache *s, uint64_t out[USLAB_NR_STATS]);
void cache_stats_fold(struct kmem_cache *s, struct kmem_cache_cpu *c);
void cache_info_locked(struct kmem_cache *s, struct uslab_cache_info *info);
/* Sums over every cache (slabinfo.c), slab_mutex taken inside. */
void memory_totals_get(unsigned long *live_slot_bytes, unsigned long *slab_bytes);

static inline void stat(struct kmem_cache *s, struct kmem_cache_cpu *c, enum stat_item i)
{
	if (likely(c))
		COUNTER_INC(c->stat[i]);
	else
		stat_add_slow(s, c, i, 1);
}

static inline void stat_add(struct kmem_cache *s, struct kmem_cache_cpu *c,
			    enum stat_item i, unsigned long n)
{
	if (likely(c))
		COUNTER_ADD(c->stat[i], n);
	else
		stat_add_slow(s, c, i, n);
}

/* ------------------------------------------------------------ reclaim */
extern unsigned long reclaim_epoch;
extern __thread struct uslab_thread uslab_self __attribute__((tls_model("initial-exec")));
/* A reclaim asked every thread to give back what it caches: the calling
 * thread does so (all caches) if it has not yet; true if it did. */
bool reclaim_check_epoch_slow(void);
static inline bool reclaim_check_epoch(void)
{
	if (likely(uslab_self.reclaim_epoch == __atomic_load_n(&reclaim_epoch, __ATOMIC_RELAXED)))
		return false;
	return reclaim_check_epoch_slow();
}
/* Before an allocation gives up: reclaim, where it is safe (reclaim.c
 * says when); true if anything was released. */
bool reclaim_before_failing(gfp_t gfpflags);

/* While a thread holds slab_mutex (or any lock: lock.h counts them), it
 * runs no reclaim: a shrinker may create a cache. */
static inline void slab_mutex_lock(void)
{
	spin_lock(&slab_mutex);
}

static inline void slab_mutex_unlock(void)
{
	spin_unlock(&slab_mutex);
}

/* ------------------------------------------------------------- random */
/* A per-thread generator seeded from getrandom(): freelist keys and
 * shuffles, not cryptography. */
uint64_t uslab_random64(void);

/* --------------------------------------------------------------- init */
/* Set before the caches are built when this is libuslab-malloc: its
 * kmalloc caches get finer size classes (kmalloc.c), larger sheaves and
 * small first refills (unified.c). */
extern bool malloc_replacement;
void uslab_init_slow(void);
extern int uslab_initialised;

static inline void uslab_ensure_init(void)
{
	if (unlikely(!__atomic_load_n(&uslab_initialised, __ATOMIC_ACQUIRE)))
		uslab_init_slow();
}

#endif
