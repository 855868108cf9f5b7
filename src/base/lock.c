/*
 * lock.c - the adaptive mutexes behind spinlock_t, the per-thread lock
 * context, and the rank checker (USLAB_LOCKDEP=1).
 *
 * The checker keeps the ranks a thread holds, in the order it took them;
 * taking a lock whose rank is not above all of them breaks the lock
 * order.  It writes its report straight to stderr (the report sink is a
 * lock of its own, and the program's sink may allocate) and aborts: a
 * wrong order is a deadlock waiting for the right interleaving.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/lock.h"

__thread struct lock_context lock_ctx __attribute__((tls_model("initial-exec")));
int lockdep_enabled;

static void (*idle_hooks[NR_IDLE_WORK])(void);

void lock_set_idle_hook(enum idle_work work, void (*hook)(void))
{
	idle_hooks[__builtin_ctz(work)] = hook;
}

/* Each hook runs with its bit cleared first, and may defer more (a hook
 * that allocates, and whose allocation reports): loop until none. */
void lock_run_idle_work(void)
{
	if (lock_ctx.in_idle_hook)
		return;
	lock_ctx.in_idle_hook = true;
	while (lock_ctx.deferred && !lock_ctx.locks_held && !lock_ctx.slow_depth) {
		unsigned int bit = (unsigned int)__builtin_ctz(lock_ctx.deferred);

		lock_ctx.deferred &= (uint8_t)~(1u << bit);
		if (idle_hooks[bit])
			idle_hooks[bit]();
	}
	lock_ctx.in_idle_hook = false;
}

void slow_path_release_held(void)
{
	unsigned int n;

	while ((n = __atomic_load_n(&lock_ctx.nr_held, __ATOMIC_RELAXED))) {
		uint32_t *word = __atomic_load_n(&lock_ctx.held[n - 1], __ATOMIC_RELAXED);
		void (*release)(uint32_t *) = lock_ctx.held_release[n - 1];

		/* Taken off first: a handler that runs now sees it gone. */
		if (local_cmpxchg(&lock_ctx.nr_held, n, n - 1) && word)
			release(word);
	}
}

static const char *const rank_names[NR_LOCK_RANKS] = {
	[LOCK_RANK_NONE] = "none",
	[LOCK_RANK_WATCH] = "watch_lock",
	[LOCK_RANK_SLAB_MUTEX] = "slab_mutex",
	[LOCK_RANK_TUNE] = "tune_lock",
	[LOCK_RANK_RULES] = "rules_lock",
	[LOCK_RANK_THREAD_LIST] = "thread_list_lock",
	[LOCK_RANK_LIST] = "node->list_lock",
	[LOCK_RANK_SLAB] = "slab_lock",
	[LOCK_RANK_BARN] = "barn->lock",
	[LOCK_RANK_PAGE_ALLOC] = "page allocator node lock",
	[LOCK_RANK_HUGE_CACHE] = "huge_lock",
	[LOCK_RANK_SHEAF_POOL] = "sheaf pool lock",
	[LOCK_RANK_META] = "meta_lock",
	[LOCK_RANK_PURGE] = "purge_lock",
	[LOCK_RANK_KFREE_RCU] = "kfree_rcu_lock",
	[LOCK_RANK_RCU] = "rcu_lock",
	[LOCK_RANK_SHRINKER] = "shrinker_lock",
	[LOCK_RANK_SINK] = "sink_lock",
	[LOCK_RANK_TEST] = "test lock",
};

const char *lock_rank_name(enum lock_rank rank)
{
	return (unsigned int)rank < NR_LOCK_RANKS ? rank_names[rank] : "?";
}

void spin_lock_init(spinlock_t *l, enum lock_rank rank)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
#ifdef PTHREAD_MUTEX_ADAPTIVE_NP
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
	pthread_mutex_init(&l->m, &attr);
	pthread_mutexattr_destroy(&attr);
	l->rank = (uint8_t)rank;
}

static void __cold lockdep_bug(const char *what, uint8_t rank)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "uslab: lock order violation: %s %s while holding",
		     what, lock_rank_name(rank));
	for (unsigned int i = 0; i < lock_ctx.nr_ranks && n > 0 && (size_t)n < sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " %s",
			      lock_rank_name(lock_ctx.ranks[i]));
	if (n > 0 && (size_t)n < sizeof(buf) - 1)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\n");
	if (n > 0 && write(STDERR_FILENO, buf, strlen(buf)) < 0)
		n = 0;
	abort();
}

void lockdep_acquire(uint8_t rank)
{
	struct lock_context *ctx = &lock_ctx;

	if (ctx->lockdep_off)
		return;
	if (ctx->nr_ranks && ctx->ranks[ctx->nr_ranks - 1] >= rank)
		lockdep_bug("taking", rank);
	if (ctx->nr_ranks < LOCKDEP_DEPTH)
		ctx->ranks[ctx->nr_ranks++] = rank;
}

/* Locks are released in any order: the rank is taken out where it is. */
void lockdep_release(uint8_t rank)
{
	struct lock_context *ctx = &lock_ctx;

	if (ctx->lockdep_off)
		return;
	for (unsigned int i = ctx->nr_ranks; i-- > 0;) {
		if (ctx->ranks[i] == rank) {
			memmove(&ctx->ranks[i], &ctx->ranks[i + 1], ctx->nr_ranks - i - 1);
			ctx->nr_ranks--;
			return;
		}
	}
	lockdep_bug("releasing", rank);
}
