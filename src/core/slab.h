/*
 * slab.h - the cache core: what both personalities, debug and the layers
 * above share - the registry, slabs in and out of the page allocator,
 * partial lists, thread state, counters, the reports of bad input - and
 * the one theory of operation of the library.
 *
 * LOCK ORDER (outermost first; enum lock_rank in base/lock.h is this list, and
 * USLAB_LOCKDEP=1 checks every acquisition against it):
 *
 *   gp_mutex            (a plain mutex, outside the checker) held by the RCU
 *                       worker across a grace period and the frees after
 *                       it (core/rcu_defer.c); fork takes it first
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
 *   slab_lock           one of a table's byte locks (slab_update.c), only
 *                       without cmpxchg16b: slab->freelist + counters
 *   barn->lock          a node's barn of sheaves
 *   page allocator      a NUMA node's free runs, segments, purge lists
 *   huge_lock           freed huge mappings kept for reuse, the spare
 *                       pages of the blocks that reuse them (madvise
 *                       under it); never held with a node's lock
 *   sheaf pool lock     free sheaves of one capacity
 *   meta_lock           metadata blocks
 *   purge_lock          the background purger's sleep
 *   kfree_rcu_lock      the list of the threads' kfree_rcu batches
 *   rcu_lock            the RCU worker's and the barriers' sleeps
 *   shrinker_lock       the shrinker list
 *   sink_lock           the report sink's pointer pair and counters
 *
 * The fast paths take no lock.  A slow path takes list_lock (and, under
 * it, the slab lock), then drops it before it asks the page allocator for
 * a slab or gives one back (a slab is discarded once nobody can reach
 * it).  Barn, huge, pool, meta, purge, rcu, shrinker and sink locks are
 * leaves (kfree_rcu_lock has only rcu_lock under it).
 *
 * SLAB STATES (types.h has the fields): a slub slab is the cpu slab of
 * one thread (frozen; its free objects on that thread's c->freelist,
 * slab->freelist holding only remote frees), on a thread's cpu partial
 * list (frozen), on its node's partial list, or full (on no list).  Only
 * the freezing thread unfreezes it; any thread pushes remote frees with
 * slab_update_freelist().  A unified slab is on its node's partial list
 * iff it has a free object; its bitmap changes under list_lock only.  An
 * empty slab stays on the partial list while fewer than min_partial
 * others are there (keep_empty_slab); a discarded slab of a
 * SLAB_TYPESAFE_BY_RCU cache waits for an RCU grace period (rcu_slabs),
 * and without an RCU flavour stays until destroy.
 *
 * PER-THREAD STATE: a thread's entry for a cache (struct kmem_cache_cpu)
 * is reached through this_cpu_slab() (core/object.h) only, and never moves
 * once handed out (core/thread.c): a slow path may hold it across a call out.
 * Only its owner touches it, except destroy (flush under
 * thread_list_lock while the owner cannot use that cache) and reports
 * (READ_ONCE under thread_list_lock; sheaves are type-stable metadata,
 * so a sheaf read while its owner frees it is still a sheaf).
 *
 * PER-CPU STATE (cpu mode, core/percpu.c): the entries of a cache whose
 * index is below CPU_FAST_ENTRIES are a CPU's, not a thread's, in both
 * personalities.  The fast paths touch the entry of the CPU they run on
 * inside an rseq section, only while entry->lock is 0, and commit with
 * one store (unified: fast_word; slub: freelist, its count in the top
 * bits).  A slow path owns an entry by setting its lock
 * to the thread's token (compare-and-swap, never waited for: a slow path
 * that finds it taken goes to the slabs without an entry), makes sure no
 * section that read 0 still runs (it is on that CPU, or membarrier), and
 * keeps it until its outermost slow path ends, across call outs: nested
 * slow paths of the owner find their token and use the entry as nested
 * slow paths use a thread's.  Drains (reclaim, shrink, destroy, flush)
 * take the lock the same way from any thread; destroy waits for it.  The
 * fast paths count in the word they commit; the lock's taker folds that
 * count into stat[] once no section runs, and only the lock's holder
 * writes stat[].  slub's slow frees that need no entry (the slab is not
 * its cpu slab, nor to become its cpu partial) count in the cache's
 * totals instead.
 *
 * CALLING OUT: a slow path calls out of uslab in two places: the
 * constructors of a new slab (new_slab, core/slab.c), and the shrinkers that
 * reclaim before failing runs, between two attempts of the outermost slow
 * path (holding no state of it, and no lock).  A constructor may allocate
 * and free, from any cache, its own included; every slow path reads its
 * entry's state again after a call out (the unified refill fills a batch
 * of its own; slub deactivates a cpu slab the constructor installed).
 * The thread's slow-path depth (base/lock.h) makes such nested slow paths
 * leave the thread's own caches alone: only the outermost slow path
 * answers a reclaim epoch, and reclaim before failing runs only there,
 * for an allocation that may block (__GFP_DIRECT_RECLAIM), with no lock
 * held (slab_mutex: a shrinker may create a cache).  Everything else
 * that would call out waits until the thread holds no lock and is in no
 * slow path (base/lock.h's idle work): reports reach the program's sink then,
 * the background purger is started then.  Internal allocations (entries,
 * sheaves, descriptors, bitmaps) come from the metadata allocator
 * (base/meta.c), which calls nobody.
 */
#ifndef USLAB_SLAB_H
#define USLAB_SLAB_H

#include "base/report.h"
#include "base/types.h"
#include "core/rcu_defer.h"

/* The return address of the current function: the owner of an object. */
#define _RET_IP_ ((uintptr_t)__builtin_return_address(0))

/* Internal flags, in bits the public ones leave free. */
#define __SLAB_TOOL          0x00000001u  /* valgrind: objects told to memcheck */
#define __SLAB_CHECKED       0x00000002u  /* take the checked fast path */
#define __SLAB_INIT_ON_ALLOC 0x00000004u
#define __SLAB_INIT_ON_FREE  0x00000008u
/* SLAB_UNIFIED without __SLAB_CHECKED (cache.c: init_hardening), one bit
 * for the malloc replacement's fast paths to test. */
#define __SLAB_UNIFIED_FAST  0x00000040u
#define __OBJECT_POISON      0x80000000u  /* P and the object may be poisoned */

/* A debug cache takes debug/'s path, never the fast paths. */
#define SLAB_DEBUG_FLAGS (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
			  SLAB_STORE_USER | SLAB_TRACE | SLAB_FAILSLAB | __SLAB_TOOL)

static inline bool kmem_cache_debug(const struct kmem_cache *s)
{
	return s->flags & SLAB_DEBUG_FLAGS;
}

/* ------------------------------------------------------------ registry */
extern spinlock_t slab_mutex;
extern struct list_head slab_caches;      /* under slab_mutex */

/* While a thread holds slab_mutex (or any lock: base/lock.h counts them),
 * it runs no reclaim: a shrinker may create a cache. */
static inline void slab_mutex_lock(void)
{
	spin_lock(&slab_mutex);
}

static inline void slab_mutex_unlock(void)
{
	spin_unlock(&slab_mutex);
}

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
	/* Type-stable memory: without grace periods (no RCU flavour
	 * registered: core/rcu_defer.h) a slab of such a cache is never
	 * given away while the cache lives; with them, discard_slab makes
	 * it wait for one. */
	if ((s->flags & SLAB_TYPESAFE_BY_RCU) && !rcu_grace_periods())
		return true;
	return READ_ONCE(n->nr_partial) - (on_list ? 1 : 0) < READ_ONCE(s->min_partial);
}

static inline struct uslab_page_allocator *cache_page_allocator(struct kmem_cache *s)
{
	extern struct uslab_page_allocator *current_page_allocator;
	struct uslab_page_allocator *pa = READ_ONCE(s->page_alloc);

	return pa ? pa : __atomic_load_n(&current_page_allocator, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------- slabs in and out (slab.c) */
/* What a debug cache does to a new slab, and to each object before its
 * constructor runs: handed over by debug/ when it starts
 * (slab_set_debug_hooks), so that the core need not know how. */
struct slab_debug_hooks {
	void (*setup_slab)(struct kmem_cache *s, struct slab *slab, void *start);
	void (*setup_object)(struct kmem_cache *s, void *object);
};
void slab_set_debug_hooks(const struct slab_debug_hooks *hooks);

/* A new slab of s from its page allocator, its objects constructed and
 * recorded by the personality (init_slab), counted in the node; c is the
 * caller's entry (for the counters) or NULL.  Calls the constructors:
 * see CALLING OUT above. */
struct slab *new_slab(struct kmem_cache *s, gfp_t flags, int node, struct kmem_cache_cpu *c);
/* Gives a slab nobody can reach any more back to the page allocator. */
void discard_slab(struct kmem_cache *s, struct slab *slab);

/* The node's partial list, under its list_lock.  tail: the slab will be
 * taken last (it is nearly full, or nearly empty and wanted back). */
static inline void add_partial(struct kmem_cache_node *n, struct slab *slab, bool tail)
{
	WRITE_ONCE(n->nr_partial, n->nr_partial + 1);
	if (tail)
		list_add_tail(&slab->slab_list, &n->partial);
	else
		list_add(&slab->slab_list, &n->partial);
	slab->on_partial = 1;
}

static inline void remove_partial(struct kmem_cache_node *n, struct slab *slab)
{
	list_del(&slab->slab_list);
	slab->on_partial = 0;
	WRITE_ONCE(n->nr_partial, n->nr_partial - 1);
}

/* slab->freelist and counters together (slab_update.c): cmpxchg16b, or
 * the slab lock where the machine lacks it. */
bool slab_update_freelist(struct kmem_cache *s, struct slab *slab, void *freelist_old,
			  unsigned long counters_old, void *freelist_new,
			  unsigned long counters_new);
bool cmpxchg_double_available(void);
void slab_locks_fork_lock(void);
void slab_locks_fork_unlock(void);

/* ------------------------------------------- bad input (slab_errors.c) */
/* "BUG <name> (<state>): <what>" with its rules, and "FIX <name>: <what>". */
void report_bug(struct report_buf *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report_fix(struct report_buf *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void slab_bug(struct report_buf *r, struct kmem_cache *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void slab_fix(struct report_buf *r, struct kmem_cache *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void print_slab_info(struct report_buf *r, struct slab *slab);
/* BUG lines this thread wrote (debug counts a check's findings). */
extern __thread unsigned long debug_problems;

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
extern __thread struct uslab_thread uslab_self __attribute__((tls_model("initial-exec")));

/* The calling thread's state; its entries for caches are reached through
 * this_cpu_slab() (core/object.h).  Only thread.c, which defines it,
 * names uslab_self otherwise. */
static __always_inline struct uslab_thread *current_thread(void)
{
	return &uslab_self;
}

extern spinlock_t thread_list_lock;
/* thread_list_lock, marking the caller: while it holds the lock its own
 * array cannot grow (frees it makes go the threadless way). */
void thread_list_lock_acquire(void);
void thread_list_lock_release(void);
/* Flushes r's entries; thread_list_lock held. */
void thread_flush(struct thread_reg *r, bool fold);
/* Flushes and forgets the threads that died without their destructor. */
void thread_reap(void);
/* Empties an entry (pointing the unified sheaves at empty_sheaf). */
void cpu_entry_reset(struct kmem_cache_cpu *c);
/* The sheaf of capacity 0 every entry starts with, so that the unified
 * fast path needs no NULL test. */
extern struct sheaf empty_sheaf;
extern struct list_head thread_list;     /* struct thread_reg, under thread_list_lock */
void thread_init(void);
/* The caller's entry for s, registering the thread or adding a page of
 * entries; NULL when the thread has exited its destructor or memory for
 * its entries is lacking. */
struct kmem_cache_cpu *this_cpu_slab_slow(struct kmem_cache *s);
/* Flushes every thread's entry for s and clears it (s being destroyed);
 * false when a CPU's entry of s stays held by a slow path (left as is). */
bool flush_all_threads(struct kmem_cache *s);
/* In the child of fork, after every lock is free again. */
void thread_fork_child(void);
/* Bumped by a reclaim (cache/reclaim.c) that asks every thread to give
 * back what it caches; a thread compares its own copy. */
extern unsigned long reclaim_epoch;

/* ------------------------------------------- cpu mode (core/percpu.c) */
/* What the fast paths read, in one line: set while the caches are per
 * CPU; the offset of the thread's struct rseq from the thread pointer
 * (base/rseq.h); CPU n's block of CPU_FAST_ENTRIES entries, at
 * base + (n << PERCPU_BLOCK_SHIFT). */
struct percpu_fast {
	uint8_t enabled;
	long area;
	char *base;
} __attribute__((aligned(CACHE_LINE_SIZE)));
extern struct percpu_fast percpu_fast;
/* The cache of each index below CPU_FAST_ENTRIES (cache.c sets it before
 * the cache has a slab): kfree() and free() find the cache from a page's
 * info word, as the thread path takes it from the thread's entry. */
extern struct kmem_cache *percpu_caches[CPU_FAST_ENTRIES];
void percpu_init(void);
/* "cpu" or "thread", as uslab_cpu_mode() answers (read from outside by
 * slabinfo -p). */
extern char percpu_mode_name[8];
/* Caches whose index is below CPU_FAST_ENTRIES have CPU entries (the
 * others stay per thread in cpu mode). */
static inline bool percpu_cache(const struct kmem_cache *s)
{
	return s->cpu_index < CPU_FAST_ENTRIES;
}
/* The entry of the calling thread's CPU for s, held until the outermost
 * slow path ends; NULL with *threadless when the slow path must do without
 * (another thread's slow path holds it), NULL without when rseq is not
 * registered for the thread (it uses its own entries). */
struct kmem_cache_cpu *percpu_entry_lock(struct kmem_cache *s, bool *threadless);
/* Whether slab may be the cpu slab of the calling thread's CPU entry for
 * s, read without the lock (true also when the thread has no CPU entry):
 * a free that is not may go to its slab without taking the entry. */
bool percpu_may_hold_slab(struct kmem_cache *s, const struct slab *slab);
void *percpu_cpu_freelist_head(struct kmem_cache *s, const struct slab *slab);
/* Flushes the CPU entries of s (NULL: every cache), but those a slow
 * path holds; returns the objects flushed. */
unsigned long percpu_drain(struct kmem_cache *s);
/* Destroy: takes a CPU's entry from whatever slow path holds it (with
 * thread_list_lock held, dropped while waiting); false if it stays held. */
bool percpu_entry_take(struct thread_reg *r, struct kmem_cache_cpu *c);
void percpu_fork_child(void);

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
/* Sums over every cache, slab_mutex taken inside. */
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

#endif
