/*
 * lock.c - initialisation of the adaptive mutexes behind spinlock_t.
 */
#include "lock.h"

void spin_lock_init(spinlock_t *l)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
#ifdef PTHREAD_MUTEX_ADAPTIVE_NP
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
	pthread_mutex_init(l, &attr);
	pthread_mutexattr_destroy(&attr);
}
