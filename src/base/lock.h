/*
 * lock.h - the locks uslab takes, their one order, and what a thread is
 * in the middle of (locks held, slow paths entered).
 *
 * spinlock_t is the kernel's name; in user space a holder can be
 * preempted, so it is a pthread mutex of the adaptive kind (spins
 * briefly, then sleeps), tagged with its rank.  Every lock of the library
 * is one, and the lock order (the theory of operation in slab.h explains
 * each) is the order of the ranks: a thread may take a lock only of a
 * higher rank than every lock it holds.  With USLAB_LOCKDEP=1 (the test
 * suite runs so) each acquisition checks that, a lockdep in miniature:
 * a wrong order is reported on stderr and the process aborts.
 *
 * The context counts the locks a thread holds and the slow paths it is
 * inside.  Work that must not run there (delivering a report to the
 * program's sink, which may allocate; starting the background purger,
 * which allocates) is deferred until both are zero: the last unlock, or
 * the end of the outermost slow path, runs the idle hooks that the upper
 * layers hand in.
 *
 * No allocation fast path takes any lock.
 */
#ifndef USLAB_LOCK_H
#define USLAB_LOCK_H

#include <pthread.h>
#include <time.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"

/* The lock order, outermost first. */
enum lock_rank {
	LOCK_RANK_NONE = 0,
	LOCK_RANK_WATCH,        /* pressure watcher start and stop */
	LOCK_RANK_SLAB_MUTEX,   /* the cache registry */
	LOCK_RANK_TUNE,         /* tunable rules */
	LOCK_RANK_RULES,        /* USLAB_DEBUG rules */
	LOCK_RANK_THREAD_LIST,  /* registered threads and their entries */
	LOCK_RANK_LIST,         /* node->list_lock */
	LOCK_RANK_SLAB,         /* a slab lock, only without cmpxchg16b */
	LOCK_RANK_BARN,         /* a node's barn of sheaves */
	LOCK_RANK_PAGE_ALLOC,   /* the page allocator's node lock */
	LOCK_RANK_HUGE_CACHE,   /* freed huge mappings kept for reuse */
	LOCK_RANK_SHEAF_POOL,   /* free sheaves */
	LOCK_RANK_META,         /* metadata blocks */
	LOCK_RANK_PURGE,        /* the background purger's wake-ups */
	LOCK_RANK_KFREE_RCU,    /* the threads' kfree_rcu batches */
	LOCK_RANK_RCU,          /* the RCU worker's wake-ups */
	LOCK_RANK_SHRINKER,     /* the shrinker list */
	LOCK_RANK_SINK,         /* the report sink */
	LOCK_RANK_TEST,         /* for the tests of the checker */
	NR_LOCK_RANKS
};

typedef struct {
	pthread_mutex_t m;
	uint8_t rank;
} spinlock_t;

#if defined(PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP)
#define SPINLOCK_INIT(r) { PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP, (r) }
#else
#define SPINLOCK_INIT(r) { PTHREAD_MUTEX_INITIALIZER, (r) }
#endif

#define LOCKDEP_DEPTH 24

/* Work deferred until the thread is idle (one bit, one hook each). */
enum idle_work {
	IDLE_REPORTS = 1u << 0,    /* queued reports to deliver (report.c) */
	IDLE_PURGER = 1u << 1,     /* the background purger to start */
	IDLE_RCU = 1u << 2,        /* the RCU worker to start (rcu_defer.c) */
	NR_IDLE_WORK = 3
};

/*
 * Read-modify-writes of the calling thread's own words that a signal
 * handler on the same thread may interleave with, nothing else (the
 * kernel's local_t): one instruction without a lock prefix on x86-64,
 * where an interrupt falls between instructions; atomics elsewhere.
 */
static inline unsigned int local_fetch_inc(unsigned int *v)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
	unsigned int n = 1;

	__asm__ volatile("xaddl %0, %1" : "+r"(n), "+m"(*v) : : "memory", "cc");
	return n;
#else
	return __atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
#endif
}

static inline void local_dec(unsigned int *v)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
	__asm__ volatile("decl %0" : "+m"(*v) : : "memory", "cc");
#else
	__atomic_fetch_sub(v, 1, __ATOMIC_RELAXED);
#endif
}

/* *v from old to new if it still is old. */
static inline bool local_cmpxchg(unsigned int *v, unsigned int old, unsigned int new)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
	unsigned int prev = old;

	__asm__ volatile("cmpxchgl %2, %1" : "+a"(prev), "+m"(*v) : "r"(new) : "memory", "cc");
	return prev == old;
#else
	return __atomic_compare_exchange_n(v, &old, new, false, __ATOMIC_RELAXED,
					   __ATOMIC_RELAXED);
#endif
}

/* Words a slow path owns until the outermost one ends (slow_path_hold). */
#define SLOW_PATH_HELD_MAX 8

/* What the calling thread is in the middle of. */
struct lock_context {
	unsigned int locks_held;
	unsigned int slow_depth;   /* slow paths entered (alloc.c says why) */
	unsigned int nr_held;
	uint32_t *held[SLOW_PATH_HELD_MAX];
	void (*held_release[SLOW_PATH_HELD_MAX])(uint32_t *);
	uint8_t deferred;          /* enum idle_work bits waiting */
	bool in_idle_hook;
	uint8_t lockdep_off;       /* fork holds every lock at once */
	uint8_t nr_ranks;
	uint8_t ranks[LOCKDEP_DEPTH];
};

extern __thread struct lock_context lock_ctx __attribute__((tls_model("initial-exec")));
extern int lockdep_enabled;

/* The hook run for one kind of idle work, when a thread that deferred it
 * holds no lock and is in no slow path. */
void lock_set_idle_hook(enum idle_work work, void (*hook)(void));
void lock_run_idle_work(void);

/* Asks for work to be run when the thread is idle (at once if it is). */
static inline void lock_defer(enum idle_work work)
{
	lock_ctx.deferred |= (uint8_t)work;
}

void spin_lock_init(spinlock_t *l, enum lock_rank rank);
void lockdep_acquire(uint8_t rank);
void lockdep_release(uint8_t rank);
const char *lock_rank_name(enum lock_rank rank);

static inline struct lock_context *lock_context(void)
{
	return &lock_ctx;
}

static inline void lock_acquired(uint8_t rank)
{
	lock_ctx.locks_held++;
	if (unlikely(lockdep_enabled))
		lockdep_acquire(rank);
}

static inline void lock_released(uint8_t rank)
{
	if (unlikely(lockdep_enabled))
		lockdep_release(rank);
	lock_ctx.locks_held--;
}

/* After an unlock: the thread may have become idle with work waiting. */
static inline void lock_idle_check(void)
{
	if (unlikely(lock_ctx.deferred) && !lock_ctx.locks_held && !lock_ctx.slow_depth)
		lock_run_idle_work();
}

static inline void spin_lock(spinlock_t *l)
{
	pthread_mutex_lock(&l->m);
	lock_acquired(l->rank);
}

static inline bool spin_trylock(spinlock_t *l)
{
	if (pthread_mutex_trylock(&l->m))
		return false;
	lock_acquired(l->rank);
	return true;
}

static inline void spin_unlock(spinlock_t *l)
{
	lock_released(l->rank);
	pthread_mutex_unlock(&l->m);
	lock_idle_check();
}

/* Waits on cond, giving l up meanwhile: to the context the lock stays
 * held (the thread runs nothing else while it waits). */
static inline void spin_cond_wait(pthread_cond_t *cond, spinlock_t *l)
{
	pthread_cond_wait(cond, &l->m);
}

/* The same for at most ms milliseconds, on the monotonic clock where libc
 * has pthread_cond_clockwait (a wall clock set back must not stretch the
 * wait); on cond's own clock, CLOCK_REALTIME, elsewhere. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
#define HAVE_COND_CLOCKWAIT 1
#endif
/* The time ms milliseconds from now on clock, for a timed wait. */
static inline struct timespec deadline_ms(clockid_t clock, long ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_nsec += (ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static inline void spin_cond_wait_ms(pthread_cond_t *cond, spinlock_t *l, long ms)
{
#ifdef HAVE_COND_CLOCKWAIT
	const clockid_t clock = CLOCK_MONOTONIC;
#else
	const clockid_t clock = CLOCK_REALTIME;
#endif
	struct timespec ts = deadline_ms(clock, ms);

#ifdef HAVE_COND_CLOCKWAIT
	pthread_cond_clockwait(cond, &l->m, clock, &ts);
#else
	pthread_cond_timedwait(cond, &l->m, &ts);
#endif
}

/* A one-byte test-and-set lock with yield, for sections of a few stores
 * (the slab locks): a mutex would cost more than the section. */
static inline void bit_spin_lock(uint8_t *b)
{
	unsigned int spins = 0;

	/* Counted first, let go last: a signal handler that comes between
	 * sees a lock held (the table's locks are shared by unrelated slabs,
	 * so a handler's slab could need this very one). */
	lock_acquired(LOCK_RANK_SLAB);
	while (__atomic_exchange_n(b, 1, __ATOMIC_ACQUIRE)) {
		do {
			if (++spins > 64)
				sched_yield();
			else
				cpu_relax();
		} while (__atomic_load_n(b, __ATOMIC_RELAXED));
	}
}

static inline void bit_spin_unlock(uint8_t *b)
{
	__atomic_store_n(b, 0, __ATOMIC_RELEASE);
	lock_released(LOCK_RANK_SLAB);
	lock_idle_check();
}

/* A slow path begins and ends: nested ones (called out of another) may
 * not flush the thread's own caches nor reclaim.  Returns the depth. */
static inline unsigned int slow_path_enter(void)
{
	return ++lock_ctx.slow_depth;
}

/*
 * A word the slow path took (a CPU entry's lock, core/percpu.c) that stays
 * taken until the outermost slow path ends, so that the nested slow paths
 * a call out makes find it theirs.  Such words are taken by trylock only,
 * never waited for: they are no locks to the lock order.  False when the
 * thread holds as many as it can (the caller lets the word go).
 *
 * A signal handler may run its own slow path between any two instructions
 * of these: the slot is reserved with one atomic add (the handler takes
 * the next one), and release_held pops with compare-and-swap; a release
 * function must take a word that is no longer the thread's as done (a
 * handler's outermost slow path, run while this one lets go, lets go of
 * everything first).
 */
static inline bool slow_path_hold(uint32_t *word, void (*release)(uint32_t *))
{
	unsigned int n = local_fetch_inc(&lock_ctx.nr_held);

	if (n >= SLOW_PATH_HELD_MAX) {
		local_dec(&lock_ctx.nr_held);
		return false;
	}
	lock_ctx.held_release[n] = release;
	__atomic_store_n(&lock_ctx.held[n], word, __ATOMIC_RELAXED);
	return true;
}

/* Lets every held word go (the outermost slow path's end, or before it
 * calls shrinkers, which may run long). */
void slow_path_release_held(void);

static inline void slow_path_exit(void)
{
	if (!--lock_ctx.slow_depth && unlikely(lock_ctx.nr_held))
		slow_path_release_held();
	lock_idle_check();
}

/* Inside a slow path, or holding a lock: no call out to the program. */
static inline bool in_allocator(void)
{
	return lock_ctx.locks_held || lock_ctx.slow_depth;
}

#endif
