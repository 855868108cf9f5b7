/*
 * linux/shrinker.h - shrinkers: a program's own caches that uslab's
 * reclaim asks to give memory back (the kernel's API since 6.7, and the
 * older register_shrinker()).  Reclaim runs before an allocation fails,
 * on uslab_reclaim(), and on memory pressure when watched (<uslab.h>).
 */
#ifndef USLAB_LINUX_SHRINKER_H
#define USLAB_LINUX_SHRINKER_H

#include "../uslab_api.h"
#include "gfp_types.h"

USLAB_BEGIN_DECLS

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
USLAB_KFN(struct shrinker *, shrinker_alloc, (unsigned int flags, const char *fmt,
	  ...), __attribute__((format(printf, 2, 3))))
USLAB_KFN(void, shrinker_register, (struct shrinker *shrinker))
USLAB_KFN(void, shrinker_free, (struct shrinker *shrinker))

/* The older API: registers a shrinker the caller owns, under a name
 * (kept as given); 0, or -1 with a report when a callback is missing. */
USLAB_KFN(int, register_shrinker, (struct shrinker *shrinker, const char *fmt,
	  ...), __attribute__((format(printf, 2, 3))))
/* Returns once no callback of the shrinker runs any more (other than the
 * caller itself, when a callback unregisters its own shrinker). */
USLAB_KFN(void, unregister_shrinker, (struct shrinker *shrinker))

USLAB_END_DECLS

#endif /* USLAB_LINUX_SHRINKER_H */
