/*
 * fork.c - the pthread_atfork handlers: take every lock before fork (in
 * the library's lock order, core/slab.h), give them back in the parent, make them new in
 * the child, then forget the threads that did not follow into the child
 * (what they cached stays allocated there: thread_fork_child).
 *
 * Registered once at initialisation; prepare handlers run in the reverse
 * order of registration, so other libraries' prepare handlers (which may
 * allocate) run before ours.
 */
#include "base/lock.h"
#include "base/meta.h"
#include "base/report.h"
#include "cache/cache.h"
#include "core/slab.h"
#include "debug/debug.h"
#include "core/rcu_defer.h"
#include "kmalloc/kmalloc.h"
#include "lib/fork.h"
#include "page/page_alloc.h"
#include "unified/sheaf.h"

/* The context before prepare: what the child goes back to, having made
 * every lock new instead of unlocking it. */
static __thread struct lock_context saved_ctx;

/* Every lock, in the lock order (lock.h), but the slab locks, taken after
 * every cache's barn lock: nothing waits for anything while holding a
 * slab lock, so that order cannot deadlock.  The checker is off
 * meanwhile: many locks of one rank (each cache's) are held together. */
static void fork_prepare(void)
{
	saved_ctx = *lock_context();
	lock_context()->lockdep_off++;
	rcu_defer_fork_lock_worker();
	spin_lock(&watch_lock);
	spin_lock(&slab_mutex);
	spin_lock(&tune_lock);
	spin_lock(&rules_lock);
	thread_list_lock_acquire();
	caches_fork_lock();
	slab_locks_fork_lock();
	page_alloc_fork_lock();
	sheaf_fork_lock();
	meta_fork_lock();
	purge_thread_fork_lock();
	kfree_rcu_fork_lock();
	rcu_defer_fork_lock();
	spin_lock(&shrinker_lock);
	spin_lock(&sink_lock);
}

static void fork_parent(void)
{
	spin_unlock(&sink_lock);
	spin_unlock(&shrinker_lock);
	rcu_defer_fork_unlock(false);
	kfree_rcu_fork_unlock(false);
	purge_thread_fork_unlock(false);
	meta_fork_unlock(false);
	sheaf_fork_unlock(false);
	page_alloc_fork_unlock(false);
	slab_locks_fork_unlock();
	caches_fork_unlock(false);
	thread_list_lock_release();
	spin_unlock(&rules_lock);
	spin_unlock(&tune_lock);
	spin_unlock(&slab_mutex);
	spin_unlock(&watch_lock);
	rcu_defer_fork_unlock_worker();
	lock_context()->lockdep_off--;
}

static void fork_child(void)
{
	spin_lock_init(&sink_lock, LOCK_RANK_SINK);
	spin_lock_init(&shrinker_lock, LOCK_RANK_SHRINKER);
	purge_thread_fork_unlock(true);
	meta_fork_unlock(true);
	sheaf_fork_unlock(true);
	page_alloc_fork_unlock(true);
	slab_locks_fork_unlock();
	caches_fork_unlock(true);
	current_thread()->in_thread_list_lock = 0;
	spin_lock_init(&thread_list_lock, LOCK_RANK_THREAD_LIST);
	spin_lock_init(&rules_lock, LOCK_RANK_RULES);
	spin_lock_init(&tune_lock, LOCK_RANK_TUNE);
	spin_lock_init(&slab_mutex, LOCK_RANK_SLAB_MUTEX);
	spin_lock_init(&watch_lock, LOCK_RANK_WATCH);
	*lock_context() = saved_ctx;
	pressure_fork_child();
	shrinker_fork_child();
	thread_fork_child();
	purge_thread_fork_child_done();
	/* The lock context is the child's again: these may defer work. */
	kfree_rcu_fork_unlock(true);
	rcu_defer_fork_unlock(true);
}

void fork_init(void)
{
	if (pthread_atfork(fork_prepare, fork_parent, fork_child))
		uslab_reportf("uslab: pthread_atfork failed: fork() while other threads allocate may deadlock the child\n");
}
