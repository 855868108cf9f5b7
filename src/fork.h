/*
 * fork.h - every lock of the library, taken before fork() and given back
 * after it, so that the child never inherits a lock held by a thread that
 * does not exist there.
 *
 * The order (fork_prepare) is the library's lock order (slab.h), with
 * every cache's list_lock and barn lock taken together, the lock checker
 * off meanwhile.
 *
 * Caveat: the per-slab bit locks of the no-cmpxchg fallback are not
 * taken; a fork in the instant another thread holds one leaves that slab
 * locked in the child.
 */
#ifndef USLAB_FORK_H
#define USLAB_FORK_H

#include <pthread.h>
#include <stdbool.h>

#include "lock.h"

extern spinlock_t watch_lock, tune_lock, rules_lock, shrinker_lock, sink_lock;

void fork_init(void);

/* Each module's share, called by fork.c in the order above.  child: the
 * locks are initialised afresh rather than unlocked. */
void caches_fork_lock(void);
void caches_fork_unlock(bool child);
void page_alloc_fork_lock(void);
void page_alloc_fork_unlock(bool child);
void sheaf_fork_lock(void);
void sheaf_fork_unlock(bool child);
void meta_fork_lock(void);
void meta_fork_unlock(bool child);
void purge_thread_fork_lock(void);
void purge_thread_fork_unlock(bool child);
void purge_thread_fork_child_done(void);
/* In the child, after every lock is free again. */
void thread_fork_child(void);
void pressure_fork_child(void);
void shrinker_fork_child(void);

#endif
