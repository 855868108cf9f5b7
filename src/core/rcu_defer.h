/*
 * rcu_defer.h - frees that wait for an RCU grace period: the empty slabs
 * of SLAB_TYPESAFE_BY_RCU caches (slab.c) and the batches of kfree_rcu
 * (kmalloc/kfree_rcu.c).  The grace periods are those of the RCU flavour
 * the program registered (uslab_rcu_set_flavour: libuslab-rcu does it
 * for liburcu's); uslab has none of its own.
 *
 * A deferred item is two words inside what it frees (a slab descriptor's
 * slab_list, a batch's head, an object's rcu_head): the next item, and
 * the function that frees it.  rcu_defer() pushes it on one lock-free
 * list, from anywhere, a slow path under locks included: it never waits
 * and never allocates.  The worker thread takes the whole list, waits for
 * one grace period (synchronize_rcu of the flavour) and runs every item:
 * items pushed before the wait are then past their grace period.
 */
#ifndef USLAB_RCU_DEFER_H
#define USLAB_RCU_DEFER_H

#include <stdbool.h>

struct rcu_deferred {
	/* The next item.  A link with bit 0 set points to an object item
	 * (rcu_defer_object), whose second word is the object to free. */
	struct rcu_deferred *next;
	union {
		void (*func)(struct rcu_deferred *item);
		void *object;
	};
};

/* A flavour is registered: grace periods exist.  Until then a
 * SLAB_TYPESAFE_BY_RCU cache keeps its empty slabs (slab.h). */
bool rcu_grace_periods(void);

/* Queues item: func(item) runs after a grace period, on the worker (or
 * on a barrier's thread).  False (nothing queued) when no flavour is
 * registered. */
bool rcu_defer(struct rcu_deferred *item, void (*func)(struct rcu_deferred *));

/* Queues the object ptr, whose two words at item (inside it: kfree_rcu's
 * rcu_head) are free to use: it is freed with the object-free hook after
 * a grace period.  No allocation: kfree_rcu's way when it has no batch. */
bool rcu_defer_object(struct rcu_deferred *item, void *ptr);
/* The kmalloc layer's kvfree, for rcu_defer_object's items. */
void rcu_set_object_free(void (*free_object)(const void *));

/* The same without waking or starting the worker: a fork child's
 * handler, before rcu_defer_fork_unlock(true); kfree_rcu's owner inside
 * its busy section (lock-free, nothing called out).  True when the queue
 * was empty; the caller then calls rcu_defer_wake(that) once it may. */
bool rcu_defer_queue_only(struct rcu_deferred *item, void (*func)(struct rcu_deferred *));
void rcu_defer_wake(bool was_empty);

/* Waits for one grace period of the flavour (kfree_rcu_mightsleep when it
 * cannot queue).  False without a flavour. */
bool rcu_synchronize(void);

/* Frees pile up faster than grace periods end (RCU_DEFER_MAX items
 * waiting): a caller outside any read-side critical section (the
 * flavour's read_ongoing says so) waits until the worker has caught up
 * halfway.  kfree_rcu calls it once a batch. */
#define RCU_DEFER_MAX 1024
/* The worker gathers what is queued this long before it waits for a
 * grace period, as the kernel's kfree_rcu waits a few jiffies: a grace
 * period per batch costs more than the batch's frees. */
#define RCU_DEFER_GATHER_MS 1
void rcu_defer_throttle(void);

/* Every item queued before the call has run.  Not from inside a read-side
 * critical section of the flavour (the grace period would wait for it).
 * On the worker itself (a report sink it called) it returns at once. */
void rcu_defer_barrier(void);

/* The kmalloc layer's hook: hands every thread's pending kfree_rcu batch
 * to rcu_defer (called first by rcu_defer_barrier and by the barriers
 * of kmem_cache_destroy). */
void rcu_set_flush_hook(void (*flush)(void));
/* kfree_rcu batches that hold objects and are not queued yet: while there
 * are any, the worker hands them to the queue after RCU_DEFER_IDLE_MS
 * without a push (a thread that called kfree_rcu once and went idle), as
 * the kernel drains its batches after a few jiffies.  delta +1 when a
 * batch is opened, -1 when it is taken; set_batches in a fork child. */
#define RCU_DEFER_IDLE_MS 50
void rcu_defer_batches(long delta);
void rcu_defer_set_batches(long n);
long rcu_defer_batches_open(void);
/* kfree_rcu or an RCU slab was ever deferred in this process, or a batch
 * opened (its objects are deferred once they are in it). */
bool rcu_defer_used(void);

void rcu_defer_init(void);
void rcu_defer_fork_lock_worker(void);
void rcu_defer_fork_unlock_worker(void);
void rcu_defer_fork_lock(void);
void rcu_defer_fork_unlock(bool child);

#endif
