/*
 * slab_update.c - the one way slab->freelist and slab->counters change:
 * together, atomically, only if both still hold the values the caller
 * read.
 *
 * With cmpxchg16b it is one double-word compare-and-swap, lock-free.
 * Without it (other CPUs, or USLAB_NO_CMPXCHG_DOUBLE=1 for tests) the same
 * compare-and-set runs under the slab lock, which nests inside
 * node->list_lock.  Readers never lock: they read the two words with
 * READ_ONCE and let the update detect a torn view.
 *
 * The slab locks are a table of byte locks, a descriptor's address picking
 * one, not a byte in each descriptor: fork's prepare handler must hold
 * every lock that another thread may be inside, and a lock held at fork
 * by a thread that does not follow into the child would stop the child at
 * the first update of that slab.  The table can be taken whole; the
 * descriptors of a heap cannot be found, let alone locked.  Nothing else is
 * done under a slab lock, so two slabs that share one only wait a little.
 */
#include "core/object.h"

#if defined(__x86_64__) && !defined(USLAB_NO_CX16)
#define HAVE_CMPXCHG_DOUBLE 1
#else
#define HAVE_CMPXCHG_DOUBLE 0
#endif

static inline bool cmpxchg_double_slab(struct slab *slab, void *fo, unsigned long co,
				       void *fn, unsigned long cn)
{
#if HAVE_CMPXCHG_DOUBLE
	union {
		unsigned __int128 full;
		struct {
			void *freelist;
			unsigned long counters;
		};
	} old = { .freelist = fo, .counters = co }, new = { .freelist = fn, .counters = cn };

	return __sync_bool_compare_and_swap(&slab->freelist_counters, old.full, new.full);
#else
	(void)slab; (void)fo; (void)co; (void)fn; (void)cn;
	return false;
#endif
}

#define SLAB_LOCKS 256   /* the hash's top 8 bits */

static struct {
	uint8_t lock;
} __attribute__((aligned(CACHE_LINE_SIZE))) slab_locks[SLAB_LOCKS];

/* A multiplicative hash of the descriptor's index: the heads of order-k
 * runs, 2^k descriptors apart, spread over every lock. */
static inline uint8_t *slab_lock_of(const struct slab *slab)
{
	uint64_t i = (uintptr_t)slab / sizeof(struct slab);

	return &slab_locks[(i * 0x9e3779b97f4a7c15ULL) >> 56].lock;
}

static inline void slab_lock(struct slab *slab)
{
	bit_spin_lock(slab_lock_of(slab));
}

static inline void slab_unlock(struct slab *slab)
{
	bit_spin_unlock(slab_lock_of(slab));
}

static inline bool locked_update_slab(struct slab *slab, void *fo, unsigned long co, void *fn,
				      unsigned long cn)
{
	bool ok = false;

	slab_lock(slab);
	if (READ_ONCE(slab->freelist) == fo && READ_ONCE(slab->counters) == co) {
		/* Release, as the cmpxchg: a lockless reader that loads the
		 * new head (acquire) may read its free pointer at once. */
		__atomic_store_n(&slab->freelist, fn, __ATOMIC_RELEASE);
		WRITE_ONCE(slab->counters, cn);
		ok = true;
	}
	slab_unlock(slab);
	return ok;
}

bool slab_update_freelist(struct kmem_cache *s, struct slab *slab, void *freelist_old,
			  unsigned long counters_old, void *freelist_new,
			  unsigned long counters_new)
{
	bool ok;

	if (HAVE_CMPXCHG_DOUBLE && s->cmpxchg_double)
		ok = cmpxchg_double_slab(slab, freelist_old, counters_old, freelist_new,
					 counters_new);
	else
		ok = locked_update_slab(slab, freelist_old, counters_old, freelist_new,
					counters_new);
	if (!ok) {
		stat(s, slow_cpu_slab(s), CMPXCHG_DOUBLE_FAIL);
		cpu_relax();
	}
	return ok;
}

/* fork: after every node->list_lock (the slab lock nests inside it). */
void slab_locks_fork_lock(void)
{
	for (unsigned int i = 0; i < SLAB_LOCKS; i++)
		bit_spin_lock(&slab_locks[i].lock);
}

/* Held by this thread in parent and child alike: released in both. */
void slab_locks_fork_unlock(void)
{
	for (unsigned int i = 0; i < SLAB_LOCKS; i++)
		bit_spin_unlock(&slab_locks[i].lock);
}

bool cmpxchg_double_available(void)
{
	return HAVE_CMPXCHG_DOUBLE;
}
