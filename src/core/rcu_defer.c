/*
 * rcu_defer.c - the queue of frees that wait for a grace period, and the
 * worker thread that runs it (rcu_defer.h says what goes in).
 *
 * The queue is a lock-free stack: rcu_defer() pushes with a CAS, the
 * worker takes the whole stack with one exchange, so an item taken has
 * been pushed before the grace period that follows the take.  Whatever a
 * take gets, it also gets everything pushed before it: takes complete in
 * push order (within a take, items run newest first).  rcu_queued counts
 * items before their push, rcu_done after they ran; a barrier that reads
 * rcu_queued and waits for rcu_done to reach it has therefore seen every
 * item pushed before it run.
 *
 * Locks: gp_mutex is held across a take, its grace period and its items
 * (by the worker, or by a barrier that runs the queue itself because no
 * worker runs: a fork child, a failed start).  The items free slabs, so
 * gp_mutex comes before every uslab lock; fork takes it first, so that
 * no child starts with the flavour's own grace-period lock held.
 * rcu_lock (a leaf) guards the sleeps on rcu_cond (the worker) and
 * done_cond (barriers).
 *
 * The worker is started as the purger is (page/purge_thread.c): never
 * from inside uslab, where pthread_create's allocation would come back
 * in; a push made there defers the start to the thread's idle work.  It
 * blocks every signal and is not an RCU reader: it only waits for grace
 * periods, which any thread may do.
 */
#include "base/lock.h"
#include "base/os.h"
#include "base/report.h"
#include "core/rcu_defer.h"

#include <uslab.h>

static const struct uslab_rcu_flavour *rcu_flavour;
static struct rcu_deferred *rcu_queue;
static unsigned long rcu_queued, rcu_done;
static bool rcu_used, worker_started, worker_failed;
static int worker_starting;
static long batches_open;
static void (*flush_hook)(void);
static unsigned long done_waiters;  /* barriers asleep on done_cond */
static void (*object_free)(const void *);

#define LINK_OBJECT 1UL

static struct rcu_deferred *link_item(struct rcu_deferred *link)
{
	return (struct rcu_deferred *)((uintptr_t)link & ~LINK_OBJECT);
}

/* The worker's own thread: a report sink it calls may call kfree_rcu or
 * a barrier, which must not wait for the worker. */
static __thread bool on_worker;

static pthread_mutex_t gp_mutex = PTHREAD_MUTEX_INITIALIZER;
static spinlock_t rcu_lock = SPINLOCK_INIT(LOCK_RANK_RCU);
static pthread_cond_t rcu_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;

bool rcu_grace_periods(void)
{
	return __atomic_load_n(&rcu_flavour, __ATOMIC_ACQUIRE) != NULL;
}

bool rcu_defer_used(void)
{
	return __atomic_load_n(&rcu_used, __ATOMIC_ACQUIRE);
}

static void kick_worker(void);

void rcu_defer_batches(long delta)
{
	/* An open batch is RCU in use: a destroy must wait for its objects
	 * even before anything is queued. */
	if (delta > 0 && !__atomic_load_n(&rcu_used, __ATOMIC_RELAXED))
		__atomic_store_n(&rcu_used, true, __ATOMIC_SEQ_CST);
	/* The first open batch turns the worker's sleep into a timed one
	 * (and starts the worker: nothing may have been queued yet). */
	if (!__atomic_fetch_add(&batches_open, delta, __ATOMIC_ACQ_REL) && delta > 0) {
		spin_lock(&rcu_lock);
		pthread_cond_signal(&rcu_cond);
		spin_unlock(&rcu_lock);
	}
	if (delta > 0 && !__atomic_load_n(&worker_started, __ATOMIC_ACQUIRE))
		kick_worker();
}

long rcu_defer_batches_open(void)
{
	return __atomic_load_n(&batches_open, __ATOMIC_ACQUIRE);
}

void rcu_defer_set_batches(long n)
{
	__atomic_store_n(&batches_open, n, __ATOMIC_RELEASE);
}

void rcu_set_flush_hook(void (*flush)(void))
{
	__atomic_store_n(&flush_hook, flush, __ATOMIC_RELEASE);
}

bool rcu_synchronize(void)
{
	const struct uslab_rcu_flavour *f = __atomic_load_n(&rcu_flavour, __ATOMIC_ACQUIRE);

	if (!f)
		return false;
	f->synchronize_rcu();
	return true;
}

/* One take: everything queued now, one grace period, then each item.
 * gp_mutex held. */
static void run_queue_locked(void)
{
	struct rcu_deferred *item = __atomic_exchange_n(&rcu_queue, NULL, __ATOMIC_ACQUIRE);
	unsigned long n = 0;

	if (!item)
		return;
	rcu_synchronize();
	while (item) {
		struct rcu_deferred *it = link_item(item), *next = it->next;

		if ((uintptr_t)item & LINK_OBJECT)
			object_free(it->object);
		else
			it->func(it);
		item = next;
		n++;
	}
	__atomic_add_fetch(&rcu_done, n, __ATOMIC_RELEASE);
	spin_lock(&rcu_lock);
	pthread_cond_broadcast(&done_cond);
	spin_unlock(&rcu_lock);
}

static void *rcu_worker(void *arg)
{
	(void)arg;
	on_worker = true;
	for (;;) {
		spin_lock(&rcu_lock);
		while (!__atomic_load_n(&rcu_queue, __ATOMIC_ACQUIRE)) {
			void (*flush)(void);

			if (!__atomic_load_n(&batches_open, __ATOMIC_ACQUIRE)) {
				spin_cond_wait(&rcu_cond, &rcu_lock);
				continue;
			}
			/* Batches not full yet: queued after a while even if
			 * their threads never call kfree_rcu again. */
			spin_cond_wait_ms(&rcu_cond, &rcu_lock, RCU_DEFER_IDLE_MS);
			flush = __atomic_load_n(&flush_hook, __ATOMIC_ACQUIRE);
			if (__atomic_load_n(&rcu_queue, __ATOMIC_ACQUIRE) || !flush)
				continue;
			spin_unlock(&rcu_lock);
			flush();
			spin_lock(&rcu_lock);
		}
		/* One grace period for what comes in the next moment, unless
		 * a barrier or a throttled thread waits for it: memb's grace
		 * period is an IPI to every CPU the process runs on. */
		if (!__atomic_load_n(&done_waiters, __ATOMIC_ACQUIRE))
			spin_cond_wait_ms(&rcu_cond, &rcu_lock, RCU_DEFER_GATHER_MS);
		spin_unlock(&rcu_lock);
		pthread_mutex_lock(&gp_mutex);
		run_queue_locked();
		pthread_mutex_unlock(&gp_mutex);
	}
	return NULL;
}

static void start_worker(void)
{
	int err;

	if (__atomic_exchange_n(&worker_starting, 1, __ATOMIC_ACQ_REL))
		return;
	/* 256 KiB: its frees may report, and a report sink is the program's
	 * code. */
	err = os_start_daemon(rcu_worker, 256 * 1024, "uslab-rcu");
	if (err) {
		__atomic_store_n(&worker_failed, true, __ATOMIC_RELEASE);
		uslab_reportf("uslab: cannot start the RCU worker (error %d); RCU frees wait for the next barrier\n",
			      err);
		return;
	}
	__atomic_store_n(&worker_started, true, __ATOMIC_RELEASE);
	/* Items pushed before it ran: it looks at the queue before its
	 * first sleep, and each first push signals. */
}

/* The idle hook, and the push's start outside uslab. */
static void kick_worker(void)
{
	if (__atomic_load_n(&worker_started, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&worker_failed, __ATOMIC_ACQUIRE))
		return;
	if (in_allocator()) {
		lock_defer(IDLE_RCU);
		return;
	}
	start_worker();
}

/* Counted, then pushed (the barrier's order); the old top. */
/* link: the item, tagged LINK_OBJECT for an object item. */
static struct rcu_deferred *push(struct rcu_deferred *link)
{
	struct rcu_deferred *old, *item = link_item(link);

	if (!__atomic_load_n(&rcu_used, __ATOMIC_RELAXED))
		__atomic_store_n(&rcu_used, true, __ATOMIC_RELEASE);
	__atomic_add_fetch(&rcu_queued, 1, __ATOMIC_SEQ_CST);
	old = __atomic_load_n(&rcu_queue, __ATOMIC_RELAXED);
	do {
		item->next = old;
	} while (!__atomic_compare_exchange_n(&rcu_queue, &old, link, true, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return old;
}

bool rcu_defer_queue_only(struct rcu_deferred *item, void (*func)(struct rcu_deferred *))
{
	item->func = func;
	return !push(item);
}

void rcu_defer_wake(bool was_empty)
{
	/* The first item wakes the worker, started or starting (it may
	 * sleep already before its starter has said so: start_worker). */
	if (was_empty) {
		spin_lock(&rcu_lock);
		pthread_cond_signal(&rcu_cond);
		spin_unlock(&rcu_lock);
	}
	if (!__atomic_load_n(&worker_started, __ATOMIC_ACQUIRE))
		kick_worker();
}

static bool defer_link(struct rcu_deferred *link)
{
	if (!rcu_grace_periods())
		return false;
	rcu_defer_wake(!push(link));
	return true;
}

bool rcu_defer(struct rcu_deferred *item, void (*func)(struct rcu_deferred *))
{
	item->func = func;
	return defer_link(item);
}

bool rcu_defer_object(struct rcu_deferred *item, void *ptr)
{
	if (!__atomic_load_n(&object_free, __ATOMIC_ACQUIRE))
		return false;
	item->object = ptr;
	return defer_link((struct rcu_deferred *)((uintptr_t)item | LINK_OBJECT));
}

void rcu_set_object_free(void (*free_object)(const void *))
{
	__atomic_store_n(&object_free, free_object, __ATOMIC_RELEASE);
}

/* Until rcu_done reaches target: on the worker, or running the queue here
 * where no worker runs (a fork child, a failed start). */
static void wait_for_done(unsigned long target)
{
	while ((long)(__atomic_load_n(&rcu_done, __ATOMIC_ACQUIRE) - target) < 0) {
		if (!__atomic_load_n(&worker_started, __ATOMIC_ACQUIRE)) {
			pthread_mutex_lock(&gp_mutex);
			run_queue_locked();
			pthread_mutex_unlock(&gp_mutex);
			continue;
		}
		spin_lock(&rcu_lock);
		done_waiters++;
		if ((long)(__atomic_load_n(&rcu_done, __ATOMIC_ACQUIRE) - target) < 0) {
			/* The worker may sleep on a queue that a pusher
			 * between its count and its push has not filled yet:
			 * that pusher wakes it; a gathering one goes now. */
			pthread_cond_signal(&rcu_cond);
			spin_cond_wait(&done_cond, &rcu_lock);
		}
		done_waiters--;
		spin_unlock(&rcu_lock);
	}
}

void rcu_defer_barrier(void)
{
	void (*flush)(void) = __atomic_load_n(&flush_hook, __ATOMIC_ACQUIRE);
	const struct uslab_rcu_flavour *f = __atomic_load_n(&rcu_flavour, __ATOMIC_ACQUIRE);
	bool was_online;

	if (!f || on_worker)
		return;
	if (flush)
		flush();
	/* QSBR: an online caller would hold up the very grace period it
	 * waits for (the flavour's own synchronize_rcu does the same). */
	was_online = f->thread_offline && f->thread_offline();
	wait_for_done(__atomic_load_n(&rcu_queued, __ATOMIC_SEQ_CST));
	if (was_online)
		f->thread_online();
}

void rcu_defer_throttle(void)
{
	const struct uslab_rcu_flavour *f = __atomic_load_n(&rcu_flavour, __ATOMIC_ACQUIRE);
	unsigned long queued = __atomic_load_n(&rcu_queued, __ATOMIC_ACQUIRE);

	/* Not from inside uslab either (a constructor's kfree_rcu): the
	 * worker's frees may need what the caller holds. */
	if (!f || !f->read_ongoing || on_worker || in_allocator() ||
	    queued - __atomic_load_n(&rcu_done, __ATOMIC_ACQUIRE) <= RCU_DEFER_MAX ||
	    f->read_ongoing())
		return;
	wait_for_done(queued - RCU_DEFER_MAX / 2);
}

USLAB_API int uslab_rcu_set_flavour(const struct uslab_rcu_flavour *flavour)
{
	const struct uslab_rcu_flavour *none = NULL;

	if (!flavour || !flavour->synchronize_rcu ||
	    !flavour->thread_offline != !flavour->thread_online) {
		uslab_reportf("uslab: uslab_rcu_set_flavour(%p): no synchronize_rcu, or only one of thread_offline and thread_online; ignored\n",
			      (const void *)flavour);
		return -1;
	}
	if (__atomic_compare_exchange_n(&rcu_flavour, &none, flavour, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE) ||
	    none == flavour)
		return 0;
	if (none->synchronize_rcu == flavour->synchronize_rcu)
		return 0;
	uslab_reportf("uslab: uslab_rcu_set_flavour(%s): the %s flavour is registered already (one per process); ignored\n",
		      flavour->name ? flavour->name : "?", none->name ? none->name : "?");
	return -1;
}

USLAB_API const char *uslab_rcu_flavour_name(void)
{
	const struct uslab_rcu_flavour *f = __atomic_load_n(&rcu_flavour, __ATOMIC_ACQUIRE);

	return f ? (f->name ? f->name : "?") : NULL;
}

USLAB_API void uslab_rcu_barrier(void)
{
	rcu_defer_barrier();
}

void rcu_defer_init(void)
{
	lock_set_idle_hook(IDLE_RCU, kick_worker);
}

/* Before every other lock of the library (the items take them): no
 * child starts with the flavour's grace-period lock held by a worker
 * that did not follow. */
void rcu_defer_fork_lock_worker(void)
{
	pthread_mutex_lock(&gp_mutex);
}

void rcu_defer_fork_unlock_worker(void)
{
	pthread_mutex_unlock(&gp_mutex);
}

/* In the lock order (a leaf). */
void rcu_defer_fork_lock(void)
{
	spin_lock(&rcu_lock);
}

/* The worker did not follow into the child: the queue waits there for
 * the child's first push or barrier (or its next idle work) to start one.
 * The child's call comes last, its lock context restored. */
void rcu_defer_fork_unlock(bool child)
{
	struct rcu_deferred *item;
	unsigned long n;

	if (!child) {
		spin_unlock(&rcu_lock);
		return;
	}
	pthread_mutex_init(&gp_mutex, NULL);
	spin_lock_init(&rcu_lock, LOCK_RANK_RCU);
	pthread_cond_init(&rcu_cond, NULL);
	pthread_cond_init(&done_cond, NULL);
	done_waiters = 0;
	__atomic_store_n(&worker_started, false, __ATOMIC_RELAXED);
	__atomic_store_n(&worker_failed, false, __ATOMIC_RELAXED);
	__atomic_store_n(&worker_starting, 0, __ATOMIC_RELAXED);
	/* A thread that did not follow may have counted an item it had not
	 * pushed yet: the child counts what its queue holds, or its barriers
	 * would wait for that item for ever. */
	n = 0;
	for (item = rcu_queue; item; item = link_item(item)->next)
		n++;
	rcu_queued = rcu_done + n;
	if (n || batches_open)
		lock_defer(IDLE_RCU);
}
