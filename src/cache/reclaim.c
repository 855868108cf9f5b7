/*
 * reclaim.c - giving memory back: uslab_reclaim(), the shrinkers of the
 * program, the reclaim an allocation runs before it gives up, and the
 * epoch that asks every thread to give back what it caches.
 *
 * A thread's caches (slub cpu slabs and partial lists, unified sheaves)
 * are its own and are touched by others only in destroy, so reclaim does
 * not reach into them: it bumps reclaim_epoch and each thread flushes
 * itself at its next outermost slow path (reclaim_check_epoch).  A CPU's
 * entries (cpu mode) are drained at once (core/percpu.c: percpu_drain),
 * as are barns, partial lists and the page allocator.
 *
 * Reclaim calls out (shrinkers) and flushes the calling thread's own
 * caches, so an allocation runs it before failing only where both are
 * safe: an allocation that may block (__GFP_DIRECT_RECLAIM, as the
 * kernel's direct reclaim), made by the thread's outermost slow path (not
 * from a constructor or a shrinker), with no uslab lock held (slab_mutex:
 * a shrinker may create a cache; thread_list_lock).  uslab's own
 * allocations (metadata) never come here.
 *
 * shrinker_lock guards the shrinker list, kept newest first; it is not
 * held while a shrinker's callbacks run (they may allocate, free, and
 * register or unregister shrinkers).  The walk goes by registration
 * order (uslab_seq), so any number of shrinkers is visited and one that
 * leaves meanwhile is skipped; uslab_running pins the one being called,
 * and unregister_shrinker() waits for it.  A shrinker_alloc()ed one that
 * shrinker_free() frees from inside its own callback is freed by the walk
 * once the last callback of it returns (uslab_free_pending).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/meta.h"
#include "base/os.h"
#include "base/report.h"
#include "base/start.h"
#include "cache/cache.h"
#include "core/personality.h"
#include "core/slab.h"
#include "page/page_alloc.h"

static unsigned long reclaims;
spinlock_t shrinker_lock = SPINLOCK_INIT(LOCK_RANK_SHRINKER);
static pthread_cond_t shrinker_done = PTHREAD_COND_INITIALIZER;
static struct shrinker *shrinkers;
static unsigned long shrinker_seq;
static __thread int in_reclaim;
static __thread struct shrinker *running_shrinker;

/* The name is kept as given (not formatted: no allocation here). */
USLAB_API int register_shrinker(struct shrinker *shrinker, const char *fmt, ...)
{
	static char unnamed[] = "shrinker";

	if (!shrinker || !shrinker->count_objects || !shrinker->scan_objects) {
		uslab_reportf("uslab: register_shrinker: a shrinker needs count_objects and scan_objects\n");
		return -1;
	}
	(void)fmt;
	if (!shrinker->name)
		shrinker->name = fmt ? fmt : unnamed;
	spin_lock(&shrinker_lock);
	for (struct shrinker *sh = shrinkers; sh; sh = sh->uslab_next) {
		if (sh == shrinker) {
			spin_unlock(&shrinker_lock);
			uslab_reportf("uslab: register_shrinker(%s): registered already\n",
				      shrinker->name);
			return -1;
		}
	}
	/* uslab_running is left alone: a callback of it may still run
	 * (one that unregistered it, on any thread).  A shrinker starts
	 * zeroed, as the kernel's does (shrink_control.h). */
	shrinker->uslab_seq = ++shrinker_seq;
	shrinker->uslab_next = shrinkers;
	shrinkers = shrinker;
	spin_unlock(&shrinker_lock);
	return 0;
}

USLAB_API void unregister_shrinker(struct shrinker *shrinker)
{
	bool found = false;
	int cancel;

	if (!shrinker)
		return;
	spin_lock(&shrinker_lock);
	for (struct shrinker **pp = &shrinkers; *pp; pp = &(*pp)->uslab_next)
		if (*pp == shrinker) {
			*pp = shrinker->uslab_next;
			__atomic_and_fetch(&shrinker->flags, ~SHRINKER_REGISTERED, __ATOMIC_RELAXED);
			found = true;
			break;
		}
	/* Its own callback unregistering it: it is running, on this thread.
	 * The wait is no cancellation point: the lock must come back. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	while (found && shrinker->uslab_running > (running_shrinker == shrinker ? 1u : 0u))
		spin_cond_wait(&shrinker_done, &shrinker_lock);
	pthread_setcancelstate(cancel, NULL);
	spin_unlock(&shrinker_lock);
	/* Not read: it may be freed memory (a second unregister). */
	if (!found)
		uslab_reportf("uslab: unregister_shrinker(%p): not registered\n", (void *)shrinker);
}

/* shrinker_alloc()'s block: the shrinker and its formatted name. */
#define SHRINKER_NAME_MAX 64

struct allocated_shrinker {
	struct shrinker shrinker;
	char name[SHRINKER_NAME_MAX];
};

USLAB_API struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...)
{
	struct allocated_shrinker *a = meta_alloc(sizeof(*a));
	va_list ap;

	if (!a)
		return NULL;
	memset(a, 0, sizeof(*a));
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(a->name, sizeof(a->name), fmt, ap);
		va_end(ap);
	}
	a->shrinker.name = a->name[0] ? a->name : "shrinker";
	a->shrinker.flags = (flags & ~SHRINKER_REGISTERED) | SHRINKER_ALLOCATED;
	a->shrinker.seeks = DEFAULT_SEEKS;
	return &a->shrinker;
}

/* What a freed shrinker_alloc() block's flags say until the metadata
 * allocator reuses it: a second shrinker_free is reported, mostly. */
#define SHRINKER_FREED 0xdead5u

static bool shrinker_freed(struct shrinker *shrinker, const char *caller)
{
	if (__atomic_load_n(&shrinker->flags, __ATOMIC_RELAXED) != SHRINKER_FREED)
		return false;
	uslab_reportf("uslab: %s(%p): freed already; ignored\n", caller, (void *)shrinker);
	return true;
}

USLAB_API void shrinker_register(struct shrinker *shrinker)
{
	if (!shrinker || shrinker_freed(shrinker, "shrinker_register"))
		return;
	if (!(shrinker->flags & SHRINKER_ALLOCATED)) {
		uslab_reportf("uslab: shrinker_register(%p): not from shrinker_alloc() (register_shrinker() takes the caller's own); ignored\n",
			      (void *)shrinker);
		return;
	}
	/* Set before a walk can see it. */
	__atomic_or_fetch(&shrinker->flags, SHRINKER_REGISTERED, __ATOMIC_RELAXED);
	if (register_shrinker(shrinker, "%s", shrinker->name))
		__atomic_and_fetch(&shrinker->flags, ~SHRINKER_REGISTERED, __ATOMIC_RELAXED);
}

static void free_allocated(struct shrinker *shrinker)
{
	__atomic_store_n(&shrinker->flags, SHRINKER_FREED, __ATOMIC_RELAXED);
	meta_free(container_of(shrinker, struct allocated_shrinker, shrinker),
		  sizeof(struct allocated_shrinker));
}

/* Freed from inside its own callback, the shrinker is freed once that
 * returns (a uslab extension: the kernel's would wait for itself). */
USLAB_API void shrinker_free(struct shrinker *shrinker)
{
	bool own_callback;

	if (!shrinker || shrinker_freed(shrinker, "shrinker_free"))
		return;
	if (!(shrinker->flags & SHRINKER_ALLOCATED)) {
		uslab_reportf("uslab: shrinker_free(%p): not from shrinker_alloc(); unregistered only\n",
			      (void *)shrinker);
		unregister_shrinker(shrinker);
		return;
	}
	if (__atomic_fetch_and(&shrinker->flags, ~SHRINKER_REGISTERED, __ATOMIC_RELAXED) &
	    SHRINKER_REGISTERED)
		unregister_shrinker(shrinker);
	/* Its own callback, on this thread: the walk frees it once the
	 * callback returns; no other callback of it runs (unregister). */
	spin_lock(&shrinker_lock);
	own_callback = shrinker->uslab_running > 0;
	if (own_callback)
		__atomic_store_n(&shrinker->uslab_free_pending, true, __ATOMIC_RELAXED);
	spin_unlock(&shrinker_lock);
	if (!own_callback)
		free_allocated(shrinker);
}

/* In the child after fork: the callbacks that ran then ran on threads the
 * child does not have.  shrinker_lock is new already. */
void shrinker_fork_child(void)
{
	pthread_cond_init(&shrinker_done, NULL);
	for (struct shrinker *sh = shrinkers; sh; sh = sh->uslab_next)
		sh->uslab_running = 0;
	running_shrinker = NULL;
}

/* The registered shrinker registered just before seq (list newest first);
 * shrinker_lock held. */
static struct shrinker *shrinker_before(unsigned long seq)
{
	for (struct shrinker *sh = shrinkers; sh; sh = sh->uslab_next)
		if (sh->uslab_seq < seq)
			return sh;
	return NULL;
}

/* One node's scan (nid 0 for a shrinker that is not NUMA aware, as the
 * kernel's shrink_slab passes). */
static unsigned long shrink_node(struct shrinker *sh, gfp_t gfp, int nid)
{
	struct shrink_control sc = { .gfp_mask = gfp, .nid = nid };
	unsigned long count = sh->count_objects(sh, &sc), freed = 0;

	if (__atomic_load_n(&sh->uslab_free_pending, __ATOMIC_RELAXED))
		return 0;

	while (count && count != SHRINK_EMPTY) {
		unsigned long batch = sh->batch > 0 ? (unsigned long)sh->batch : count;
		unsigned long got;

		sc.nr_to_scan = batch < count ? batch : count;
		sc.nr_scanned = sc.nr_to_scan;
		got = sh->scan_objects(sh, &sc);
		if (got == SHRINK_STOP || !got)
			break;
		freed += got;
		__atomic_add_fetch(&sh->uslab_freed, got, __ATOMIC_RELAXED);
		/* Freed from inside its callback: no more calls. */
		if (__atomic_load_n(&sh->uslab_free_pending, __ATOMIC_RELAXED))
			break;
		count = count > sc.nr_scanned ? count - sc.nr_scanned : 0;
	}
	return freed;
}

static unsigned long shrink_one(struct shrinker *sh, gfp_t gfp)
{
	unsigned long freed = 0;
	int nodes = (__atomic_load_n(&sh->flags, __ATOMIC_RELAXED) & SHRINKER_NUMA_AWARE) ?
		    os_nr_nodes() : 1;

	for (int nid = 0; nid < nodes; nid++) {
		if (nid && !os_node_online(nid))
			continue;
		freed += shrink_node(sh, gfp, nid);
		/* Freed from inside its callback: no more calls. */
		if (__atomic_load_n(&sh->uslab_free_pending, __ATOMIC_RELAXED))
			break;
	}
	return freed;
}

/* Asks each shrinker, newest first, for all it can free. */
static unsigned long run_shrinkers(gfp_t gfp)
{
	struct shrinker *sh, *outer = running_shrinker;
	unsigned long freed = 0, seq = ~0UL;

	spin_lock(&shrinker_lock);
	while ((sh = shrinker_before(seq))) {
		seq = sh->uslab_seq;
		sh->uslab_running++;
		spin_unlock(&shrinker_lock);
		running_shrinker = sh;
		freed += shrink_one(sh, gfp);
		running_shrinker = outer;
		spin_lock(&shrinker_lock);
		if (!--sh->uslab_running) {
			pthread_cond_broadcast(&shrinker_done);
			if (sh->uslab_free_pending) {
				spin_unlock(&shrinker_lock);
				free_allocated(sh);
				spin_lock(&shrinker_lock);
			}
		}
	}
	spin_unlock(&shrinker_lock);
	return freed;
}

/* Flushes the calling thread's per-cache state; returns the objects its
 * sheaves held. */
static unsigned long flush_own_thread(void)
{
	struct uslab_thread *t = current_thread();
	unsigned long before = 0, after = 0;
	struct kmem_cache_cpu *c;
	unsigned int i;

	if (t->state != THREAD_LIVE || t->in_thread_list_lock || !t->reg)
		return 0;
	thread_list_lock_acquire();
	for_each_thread_entry(t->reg, c, i)
		before += c->stat[SHEAF_FLUSH];
	thread_flush(t->reg, false);
	for_each_thread_entry(t->reg, c, i)
		after += c->stat[SHEAF_FLUSH];
	thread_list_lock_release();
	return after - before;
}

/* Can the calling thread flush its own caches now?  Not from inside one
 * of its slow paths (a nested one holds that state), nor with a lock held
 * (flushing takes thread_list_lock; a shrinker may create a cache). */
static bool own_flush_safe(void)
{
	return lock_context()->slow_depth <= 1 && !lock_context()->locks_held;
}

bool reclaim_check_epoch_slow(void)
{
	struct uslab_thread *t = current_thread();

	if (t->state != THREAD_LIVE || !own_flush_safe())
		return false;
	t->reclaim_epoch = __atomic_load_n(&reclaim_epoch, __ATOMIC_RELAXED);
	flush_own_thread();
	return true;
}

static unsigned long resident_free_bytes(void)
{
	struct uslab_page_stats st;

	page_alloc_stats(&st);
	return (st.pages_in_use + st.pages_free_cached) * PAGE_SIZE;
}

/* Shrinks every cache; returns the slabs left, and adds the slabs there
 * were before to *before. */
static unsigned long shrink_all_caches(unsigned long *before)
{
	unsigned long after = 0;
	struct kmem_cache *s;

	slab_mutex_lock();
	list_for_each_entry(s, &slab_caches, list) {
		if (before) {
			struct uslab_cache_info ci;

			cache_info_locked(s, &ci);
			*before += ci.nr_slabs;
		}
		after += s->ops->shrink(s, false);
	}
	slab_mutex_unlock();
	return after;
}

USLAB_API unsigned long uslab_reclaim(struct uslab_reclaim_result *res)
{
	struct uslab_reclaim_result r = { 0, 0, 0, 0 };
	unsigned long before, after, slabs_before = 0, slabs_after;
	struct uslab_thread *t = current_thread();
	bool flush_own;

	uslab_ensure_init();
	/* Called with the registry or the thread list held (a constructor
	 * of a cache being created, say): nothing can be done safely. */
	if (in_reclaim || lock_context()->locks_held) {
		if (res)
			*res = r;
		return 0;
	}
	in_reclaim = 1;
	flush_own = lock_context()->slow_depth == 0;
	__atomic_add_fetch(&reclaims, 1, __ATOMIC_RELAXED);
	before = resident_free_bytes();
	r.shrinker_objects = run_shrinkers(GFP_KERNEL);
	thread_reap();
	__atomic_add_fetch(&reclaim_epoch, 1, __ATOMIC_RELAXED);
	if (flush_own) {
		t->reclaim_epoch = __atomic_load_n(&reclaim_epoch, __ATOMIC_RELAXED);
		r.objects_flushed = flush_own_thread();
	}
	r.objects_flushed += percpu_drain(NULL);
	slabs_after = shrink_all_caches(&slabs_before);
	r.slabs_freed = slabs_before > slabs_after ? slabs_before - slabs_after : 0;
	page_alloc_purge(true);
	after = resident_free_bytes();
	r.bytes_returned = before > after ? before - after : 0;
	in_reclaim = 0;
	if (res)
		*res = r;
	return r.bytes_returned;
}

USLAB_API unsigned long uslab_reclaim_count(void)
{
	return __atomic_load_n(&reclaims, __ATOMIC_RELAXED);
}

void reclaim_nofail_wait(gfp_t gfpflags, unsigned int attempt)
{
	struct timespec ts = { 0, (attempt < 8 ? 1 : 20) * 1000000L };

	nanosleep(&ts, NULL);
	reclaim_before_failing(gfpflags);
}

bool reclaim_before_failing(gfp_t gfpflags)
{
	unsigned long before, after;

	if (!(gfpflags & __GFP_DIRECT_RECLAIM) || in_reclaim || !own_flush_safe())
		return false;
	in_reclaim = 1;
	__atomic_add_fetch(&reclaims, 1, __ATOMIC_RELAXED);
	before = resident_free_bytes();
	run_shrinkers(gfpflags);
	flush_own_thread();
	percpu_drain(NULL);
	shrink_all_caches(NULL);
	page_alloc_purge(true);
	after = resident_free_bytes();
	in_reclaim = 0;
	return after < before;
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(register_shrinker);
USLAB_KERNEL_ALIAS(unregister_shrinker);
USLAB_KERNEL_ALIAS(shrinker_alloc);
USLAB_KERNEL_ALIAS(shrinker_register);
USLAB_KERNEL_ALIAS(shrinker_free);
