/*
 * fork.h - every lock of the library, taken before fork() and given back
 * after it, so that the child never inherits a lock held by a thread that
 * does not exist there.
 *
 * The order (fork_prepare) is the library's lock order (core/slab.h), with
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

#include "base/lock.h"

/* Registers the handlers; each layer's share is declared with it
 * (*_fork_lock, *_fork_unlock, *_fork_child). */
void fork_init(void);

#endif
