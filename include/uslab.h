/*
 * uslab.h - the public interface of uslab, a user-space SLUB.
 *
 * Two halves:
 *  - the kernel's slab API, in uslab's kernel-style headers (uslab/kernel:
 *    <linux/slab.h>, <linux/gfp.h>, <linux/mempool.h>, <linux/shrinker.h>),
 *    which this header includes, so kernel code compiles unchanged and
 *    either may be included first.  Each function there is also
 *    uslab_<name>, and the kernel names are weak: a program's own
 *    kmalloc or kmem_cache_create wins over uslab's (uslab/kernel/uslab_api.h);
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

#include "uslab/kernel/linux/slab.h"
#include "uslab/kernel/linux/mempool.h"
#include "uslab/kernel/linux/shrinker.h"

#ifdef __cplusplus
extern "C" {
#endif

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
/* Objects of s allocated and not freed, exact once the threads using it
 * are quiet (a read walks the threads' counters: no lock the fast paths
 * take).  A merged cache counts the objects of all its aliases (they
 * share its slabs: kmem_cache_create returned it to each); SLAB_NO_MERGE
 * or USLAB_NOMERGE=1 keeps a cache's count its own. */
USLAB_API long uslab_cache_live(struct kmem_cache *s);
/* The same for the whole process: cache objects (bytes: each cache's
 * object size, a kmalloc cache's class size) and large kmalloc blocks
 * (bytes: their pages). */
struct uslab_live {
	unsigned long objects, bytes;               /* the two below together */
	unsigned long cache_objects, cache_bytes;
	unsigned long large_objects, large_bytes;
};
USLAB_API void uslab_live(struct uslab_live *live);
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
USLAB_KFN(int, kmem_cache_validate, (struct kmem_cache *s))
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
/* The kernel's fault-injection knobs, as under /sys/kernel/debug/failslab/
 * and .../fail_page_alloc/: which is "failslab" (SLAB_FAILSLAB caches) or
 * "fail_page_alloc" (the page allocator: slabs and large kmalloc
 * blocks); knob "probability" (percent, 0 = off), "interval" (only every
 * interval-th), "times" (failures left, -1 = no limit), "space" (bytes
 * let through first), "verbose" (1: a report line per failure),
 * "ignore-gfp-wait" (1: spare what may block), "min-order"
 * (fail_page_alloc: smaller requests spared) and "cache-filter"
 * (failslab: always 1).  The kernel's defaults: probability 0, interval
 * 1, times 1, ignore-gfp-wait 1, min-order 1.  "failures" reads the
 * failures injected.  USLAB_FAILSLAB and USLAB_FAIL_PAGE_ALLOC take
 * "knob=value,..." at start.  0, or -ENOENT / -EINVAL with a report. */
USLAB_API int uslab_fault_attr_write(const char *which, const char *knob, long value);
USLAB_API int uslab_fault_attr_read(const char *which, const char *knob, long *value);
/* A test harness's say over each allocation of s (its allocation budget):
 * fn returns true to fail one (NULL, no report, no reclaim).  s becomes a
 * failslab cache (an empty cache only: -EBUSY otherwise); fn replaces
 * failslab's knobs for it; NULL removes it.  Never asked for
 * __GFP_NOFAIL, nor for allocations fn makes itself.  Set it while no
 * other thread allocates from s.  0 or -errno, with a report. */
USLAB_API int uslab_cache_set_should_fail(struct kmem_cache *s,
					  bool (*fn)(struct kmem_cache *s, gfp_t gfp, void *ctx),
					  void *ctx);

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
 * a quiescent process does no work.  The shrinker API is in
 * <linux/shrinker.h>, mempools in <linux/mempool.h>.
 * ------------------------------------------------------------------------ */
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
