/*
 * lock.h - the two kinds of lock uslab takes.
 *
 * spinlock_t is the kernel's name; in user space a holder can be preempted,
 * so it is a pthread mutex of the adaptive kind (spins briefly, then
 * sleeps).  Lock order, for every file:
 *
 *   slab_mutex (cache registry) -> thread_list_lock -> slab_lock (bit, only
 *   without cmpxchg_double) -> node->list_lock -> page allocator node lock
 *
 * No allocation fast path takes any of them.
 */
#ifndef USLAB_LOCK_H
#define USLAB_LOCK_H

#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#include "compiler.h"

typedef pthread_mutex_t spinlock_t;

#if defined(PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP)
#define SPINLOCK_INITIALIZER PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
#else
#define SPINLOCK_INITIALIZER PTHREAD_MUTEX_INITIALIZER
#endif

void spin_lock_init(spinlock_t *l);

static inline void spin_lock(spinlock_t *l)
{
	pthread_mutex_lock(l);
}

static inline void spin_unlock(spinlock_t *l)
{
	pthread_mutex_unlock(l);
}

/* A one-byte test-and-set lock with yield; used where a mutex per object
 * would cost too much memory (the slab lock in a page descriptor). */
static inline void bit_spin_lock(uint8_t *b)
{
	unsigned int spins = 0;

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
}

#endif
