/* linux/spinlock.h (test harness): spinlock_t on a pthread spinlock.
 * Code inside spin_lock() may not sleep: allocations there are GFP_NOWAIT
 * or GFP_ATOMIC, as in the kernel. */
#ifndef KMOD_SHIM_SPINLOCK_H
#define KMOD_SHIM_SPINLOCK_H

#include <pthread.h>

typedef struct { pthread_mutex_t m; } spinlock_t;
#define DEFINE_SPINLOCK(x) spinlock_t x = { PTHREAD_MUTEX_INITIALIZER }
static inline void spin_lock(spinlock_t *l) { pthread_mutex_lock(&l->m); }
static inline void spin_unlock(spinlock_t *l) { pthread_mutex_unlock(&l->m); }

#endif
