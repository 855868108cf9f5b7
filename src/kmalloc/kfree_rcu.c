/*
 * kfree_rcu.c - kfree_rcu() and kvfree_rcu_barrier(): objects freed after
 * an RCU grace period, in batches, as the kernel fills pages of pointers
 * per CPU and frees each page with one callback.
 *
 * Each thread that calls kfree_rcu has a holder: the batch it fills (an
 * array of object pointers, allocated from kmalloc) and a busy byte.  A
 * full batch goes to core/rcu_defer.c whole; after its grace period the
 * worker frees its objects with kfree_bulk, then the batch.  Only the
 * owner stores into its batch; a taker (a barrier's flush, the idle
 * worker's) takes the batch of a thread that may be storing right now,
 * for a barrier must not leave objects behind in a batch that no one
 * fills any more.
 *
 * Owner against taker, where the kernel has membarrier (asym): the owner
 * marks its few stores with a plain store of busy and then reads taker,
 * no atomic instruction; a taker sets taker, runs os_membarrier() (every
 * thread passes a full barrier), and then waits for busy to drop.  Either
 * the owner's busy is visible to it by then, or the owner's read of taker
 * comes after the barrier and sees it set, and it backs off until the
 * taker is done: the fence liburcu's memb readers rely on, turned around.
 * Without membarrier, busy is a test-and-set lock that both take.  Either
 * way nothing is called out between the owner's busy and its release; an
 * owner that hands its batch over pushes it onto the queue in there
 * (lock-free), so a taker never misses a batch in the owner's hands.  If
 * membarrier is refused after its registration, a taker stops the
 * program (taker_fence).
 *
 * kfree_rcu_lock (a leaf but for rcu_lock) guards the list of holders and
 * serializes takers.  Nothing here is called with a uslab lock held, but
 * a constructor or a shrinker may call kfree_rcu from a slow path: the
 * batch's kmalloc is then a nested call, which uslab allows (DESIGN.md,
 * Re-entry).  kfree_rcu is not async-signal-safe (neither is kfree).
 *
 * Without a batch (out of memory, no holder) the two-argument form queues
 * the object by its own rcu_head (core/rcu_defer.c's object items), as the
 * kernel's does; the forms without a head wait for a grace period and
 * free at once (kfree_rcu_mightsleep's contract).  Without an RCU flavour
 * the object is kept, with one report.
 */
#include <stdlib.h>
#include <unistd.h>

#include "base/lock.h"
#include "base/meta.h"
#include "base/os.h"
#include "base/report.h"
#include "cache/cache.h"
#include "core/rcu_defer.h"
#include "kmalloc/kmalloc.h"

/* 4 KiB a batch (the kernel fills a page of pointers), one kmalloc size. */
#define KFREE_RCU_BATCH 509

struct kfree_rcu_batch {
	struct rcu_deferred rd;
	unsigned long nr;
	void *ptrs[KFREE_RCU_BATCH];
};

struct kfree_rcu_holder {
	uint8_t busy;                  /* the owner stores (asym), or the lock */
	uint8_t taker;                 /* asym: a taker wants the batch */
	bool orphan;                   /* its thread exited: free it once empty */
	struct kfree_rcu_batch *batch; /* being filled, or NULL */
	struct list_head list;         /* under kfree_rcu_lock */
};

static spinlock_t kfree_rcu_lock = SPINLOCK_INIT(LOCK_RANK_KFREE_RCU);
static struct list_head holders = LIST_HEAD_INIT(holders);
static __thread struct kfree_rcu_holder *my_holder;
/* Its holder has exited: a later call (a TSD destructor of a key made
 * after ours) must not make one that no destructor would see. */
static __thread bool my_holder_exited;
static pthread_key_t holder_key;
static int holder_key_state;   /* 0 not made, 1 made, -1 failed */
static bool asym;              /* set before the first holder, then fixed */
static bool warned_no_flavour;

/* The owner's side: true when it may store into its batch. */
static __always_inline bool owner_try_enter(struct kfree_rcu_holder *h)
{
	if (likely(asym)) {
		__atomic_store_n(&h->busy, 1, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (likely(!__atomic_load_n(&h->taker, __ATOMIC_ACQUIRE)))
			return true;
		__atomic_store_n(&h->busy, 0, __ATOMIC_RELEASE);
		return false;
	}
	return !__atomic_exchange_n(&h->busy, 1, __ATOMIC_ACQUIRE);
}

static __always_inline void owner_exit(struct kfree_rcu_holder *h)
{
	__atomic_store_n(&h->busy, 0, __ATOMIC_RELEASE);
}

static void owner_enter(struct kfree_rcu_holder *h)
{
	while (!owner_try_enter(h))
		while (__atomic_load_n(asym ? &h->taker : &h->busy, __ATOMIC_ACQUIRE))
			sched_yield();
}

/* The taker's fence.  Owners were told there would be one (asym), and
 * keep to it: if the kernel refuses membarrier after all (a seccomp
 * filter installed since), no batch of a live thread can be taken safely,
 * and no other fence is one the kernel promises (a TLB shootdown by
 * mprotect is no interrupt where invalidations are broadcast).  The
 * program stops, with a report written straight to stderr (a sink might
 * only queue it).  Called with kfree_rcu_lock held, nothing taken yet. */
static void taker_fence(void)
{
	static const char msg[] =
		"uslab: kfree_rcu: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) was refused after its registration (a seccomp filter?): other threads' batches cannot be taken safely; aborting\n";

	if (likely(os_membarrier()))
		return;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* Nowhere left to say it. */
	}
	abort();
}

/* The taker's side, kfree_rcu_lock held: every holder's batch (NULL
 * where there is none), the holders' batch pointers cleared. */
static void take_all(void (*take)(struct kfree_rcu_holder *h, struct kfree_rcu_batch *b, void *arg),
		     void *arg)
{
	struct kfree_rcu_holder *h, *tmp;

	if (asym) {
		list_for_each_entry(h, &holders, list)
			__atomic_store_n(&h->taker, 1, __ATOMIC_RELAXED);
		taker_fence();
	}
	list_for_each_entry_safe(h, tmp, &holders, list) {
		struct kfree_rcu_batch *b;

		if (asym) {
			while (__atomic_load_n(&h->busy, __ATOMIC_ACQUIRE))
				sched_yield();
		} else {
			owner_enter(h);
		}
		b = h->batch;
		h->batch = NULL;
		if (asym)
			__atomic_store_n(&h->taker, 0, __ATOMIC_RELEASE);
		else
			owner_exit(h);
		take(h, b, arg);
	}
}

static void batch_free(struct rcu_deferred *item)
{
	struct kfree_rcu_batch *b = container_of(item, struct kfree_rcu_batch, rd);

	kfree_bulk_caller(b->nr, b->ptrs, "kfree_rcu");
	kfree(b);
}

/* A batch that leaves its holder is on the queue (counted in rcu_queued)
 * before it stops being counted open: a barrier that finds it neither in
 * a holder nor open has its count.  The owner hands over inside its busy
 * section (lock-free, nothing called out), so that a taker waiting for
 * busy to drop sees it queued; the worker is woken once out.  True when
 * the queue was empty. */
static bool hand_over(struct kfree_rcu_batch *b)
{
	bool was_empty = rcu_defer_queue_only(&b->rd, batch_free);

	rcu_defer_batches(-1);
	return was_empty;
}

/* A taker's (kfree_rcu_lock held: rcu_lock may be taken under it). */
static void queue_batch(struct kfree_rcu_batch *b)
{
	rcu_defer_wake(hand_over(b));
}

/* The owner takes its batch (if any) and queues it. */
static void holder_flush(struct kfree_rcu_holder *h)
{
	struct kfree_rcu_batch *b;
	bool was_empty = false;

	owner_enter(h);
	b = h->batch;
	h->batch = NULL;
	if (b)
		was_empty = hand_over(b);
	owner_exit(h);
	if (b)
		rcu_defer_wake(was_empty);
}

static void flush_one(struct kfree_rcu_holder *h, struct kfree_rcu_batch *b, void *dead)
{
	if (b)
		queue_batch(b);
	if (__atomic_load_n(&h->orphan, __ATOMIC_ACQUIRE))
		list_move_tail(&h->list, dead);
}

/* Exited threads' holders, whose batch is gone, onto dead (to be freed
 * once kfree_rcu_lock, held, is let go). */
static void reap_orphans(struct list_head *dead)
{
	struct kfree_rcu_holder *h, *tmp;

	list_for_each_entry_safe(h, tmp, &holders, list)
		if (__atomic_load_n(&h->orphan, __ATOMIC_ACQUIRE) && !h->batch)
			list_move_tail(&h->list, dead);
}

/* rcu_defer_barrier's hook: every thread's batch goes to the queue now.
 * With none open (counted before a batch is installed) a barrier has
 * nothing to take and fences no one. */
static void kfree_rcu_flush_all(void)
{
	struct kfree_rcu_holder *h, *tmp;
	struct list_head dead = LIST_HEAD_INIT(dead);

	spin_lock(&kfree_rcu_lock);
	if (rcu_defer_batches_open())
		take_all(flush_one, &dead);
	else
		reap_orphans(&dead);
	spin_unlock(&kfree_rcu_lock);
	list_for_each_entry_safe(h, tmp, &dead, list)
		meta_free(h, sizeof(*h));
}

/* The owner exits: its batch goes to the queue; the holder is freed by
 * the next flush_all (a barrier may be walking the list right now). */
static void holder_exit(void *arg)
{
	struct kfree_rcu_holder *h = arg;

	my_holder = NULL;
	my_holder_exited = true;
	holder_flush(h);
	__atomic_store_n(&h->orphan, true, __ATOMIC_RELEASE);
}

static void make_key(void)
{
	spin_lock(&kfree_rcu_lock);
	if (!holder_key_state) {
		/* Before any holder exists: owners and takers agree. */
		asym = os_membarrier_setup() && !getenv("USLAB_TEST_NO_MEMBARRIER");
		__atomic_store_n(&holder_key_state,
				 pthread_key_create(&holder_key, holder_exit) ? -1 : 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&kfree_rcu_lock);
}

static struct kfree_rcu_holder *holder_new(void)
{
	struct kfree_rcu_holder *h, *o, *tmp;
	struct list_head dead = LIST_HEAD_INIT(dead);

	if (!__atomic_load_n(&holder_key_state, __ATOMIC_ACQUIRE))
		make_key();
	if (__atomic_load_n(&holder_key_state, __ATOMIC_ACQUIRE) < 0)
		return NULL;
	h = meta_alloc(sizeof(*h));
	if (!h)
		return NULL;
	h->busy = 0;
	h->taker = 0;
	h->orphan = false;
	h->batch = NULL;
	if (pthread_setspecific(holder_key, h)) {
		meta_free(h, sizeof(*h));
		return NULL;
	}
	spin_lock(&kfree_rcu_lock);
	list_add(&h->list, &holders);
	/* A program whose threads come and go keeps a list as long as its
	 * live threads. */
	reap_orphans(&dead);
	spin_unlock(&kfree_rcu_lock);
	list_for_each_entry_safe(o, tmp, &dead, list)
		meta_free(o, sizeof(*o));
	my_holder = h;
	return h;
}

/* The slow push: h's batch is full or missing.  True when ptr is in a
 * batch. */
static bool push_slow(struct kfree_rcu_holder *h, void *ptr)
{
	struct kfree_rcu_batch *b, *old;
	bool was_empty = false;

	holder_flush(h);
	/* Faster than grace periods end: wait for the worker (never inside
	 * a read-side critical section). */
	rcu_defer_throttle();
	b = kmalloc(sizeof(*b), GFP_NOWAIT | __GFP_NOWARN);
	if (!b)
		return false;
	b->nr = 1;
	b->ptrs[0] = ptr;
	/* Counted before it can be taken (and uncounted). */
	rcu_defer_batches(1);
	owner_enter(h);
	/* Only the owner installs a batch; one may be there already if the
	 * kmalloc above called out (a report sink) into kfree_rcu. */
	old = h->batch;
	h->batch = b;
	if (old)
		was_empty = hand_over(old);
	owner_exit(h);
	if (old)
		rcu_defer_wake(was_empty);
	return true;
}

static __attribute__((noinline)) void kvfree_call_rcu_slow(void *head, void *ptr)
{
	struct kfree_rcu_holder *h;

	if (!ptr || ptr == ZERO_SIZE_PTR)
		return;
	h = my_holder;
	/* A holder is made only once a flavour is registered, and a flavour
	 * stays: only the first call of a thread asks. */
	if (!h) {
		if (my_holder_exited)
			goto wait;
		if (!rcu_grace_periods()) {
			if (!__atomic_exchange_n(&warned_no_flavour, true, __ATOMIC_RELAXED))
				uslab_reportf("uslab: kfree_rcu(%p) with no RCU flavour registered (link libuslab-rcu, or uslab_rcu_set_flavour()): the object is kept, and so are later ones\n",
					      ptr);
			return;
		}
		if (!(h = holder_new()))
			goto wait;
	}
	if (push_slow(h, ptr))
		return;
wait:
	/* No batch: the object's own rcu_head carries it, as the kernel's
	 * kfree_rcu does; only the forms without one wait. */
	if (head && !((uintptr_t)head & 1) && rcu_defer_object(head, ptr))
		return;
	rcu_synchronize();
	kvfree(ptr);
}

/* The fast path: one pointer stored into this thread's batch.  A full or
 * missing batch, a taker at work, no holder yet, NULL: the slow path
 * (which sees a taker's work done, and a batch full or missing). */
USLAB_API void kvfree_call_rcu(void *head, void *ptr)
{
	struct kfree_rcu_holder *h = my_holder;

	if (likely(h && (uintptr_t)ptr > (uintptr_t)ZERO_SIZE_PTR)) {
		if (likely(owner_try_enter(h))) {
			struct kfree_rcu_batch *b = h->batch;

			if (likely(b && b->nr < KFREE_RCU_BATCH)) {
				unsigned long nr = b->nr;

				b->ptrs[nr] = ptr;
				/* After the pointer: a fork child may take the
				 * batch of a thread that was here
				 * (kfree_rcu_fork_unlock). */
				__atomic_store_n(&b->nr, nr + 1, __ATOMIC_RELEASE);
				owner_exit(h);
				return;
			}
			owner_exit(h);
		} else {
			/* A taker: wait until it is done. */
			owner_enter(h);
			owner_exit(h);
		}
	}
	kvfree_call_rcu_slow(head, ptr);
}

/* Holders on the list (tests: exited threads' are freed). */
unsigned long kfree_rcu_nr_holders(void)
{
	struct kfree_rcu_holder *h;
	unsigned long n = 0;

	spin_lock(&kfree_rcu_lock);
	list_for_each_entry(h, &holders, list)
		n++;
	spin_unlock(&kfree_rcu_lock);
	return n;
}

USLAB_API void kvfree_rcu_barrier(void)
{
	rcu_defer_barrier();
}

void kfree_rcu_init(void)
{
	rcu_set_flush_hook(kfree_rcu_flush_all);
	rcu_set_object_free(kvfree);
}

void kfree_rcu_fork_lock(void)
{
	spin_lock(&kfree_rcu_lock);
}

/* In the child, the holders of threads that did not follow are orphans,
 * whose batches go to the queue (the child's worker, started later, runs
 * them).  Their busy bytes may have been held at the fork: a push then
 * was complete or not begun, for its count is stored after its pointer.
 * Called before rcu_defer_fork_unlock(true). */
void kfree_rcu_fork_unlock(bool child)
{
	struct kfree_rcu_holder *h;

	if (!child) {
		spin_unlock(&kfree_rcu_lock);
		return;
	}
	spin_lock_init(&kfree_rcu_lock, LOCK_RANK_KFREE_RCU);
	list_for_each_entry(h, &holders, list) {
		h->busy = 0;
		h->taker = 0;
		if (h == my_holder)
			continue;
		h->orphan = true;
		if (h->batch)
			rcu_defer_queue_only(&h->batch->rd, batch_free);
		h->batch = NULL;
	}
	rcu_defer_set_batches(my_holder && my_holder->batch ? 1 : 0);
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(kvfree_call_rcu);
USLAB_KERNEL_ALIAS(kvfree_rcu_barrier);
