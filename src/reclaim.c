/*
 * reclaim.c - giving memory back: uslab_reclaim(), the shrinkers of the
 * program, the reclaim an allocation runs before it gives up, and the
 * epoch that asks every thread to give back what it caches.
 *
 * A thread's caches (slub cpu slabs and partial lists, unified sheaves)
 * are its own and are touched by others only in destroy, so reclaim does
 * not reach into them: it bumps reclaim_epoch and each thread flushes
 * itself at its next slow path (reclaim_check_epoch).  Barns, partial
 * lists and the page allocator are reclaimed at once.
 *
 * shrinker_lock guards the shrinker list; it is not held while a
 * shrinker's callbacks run (they may allocate and free), and nested
 * reclaim (a shrinker that runs out of memory) is refused.
 */
#include <stdarg.h>
#include <stdio.h>

#include "fork.h"
#include "page_alloc.h"
#include "personality.h"
#include "report.h"
#include "slab.h"

unsigned long reclaim_epoch;
static unsigned long reclaims;
pthread_mutex_t shrinker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shrinker *shrinkers;
static __thread int in_reclaim;

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
	pthread_mutex_lock(&shrinker_lock);
	shrinker->uslab_next = shrinkers;
	shrinkers = shrinker;
	pthread_mutex_unlock(&shrinker_lock);
	return 0;
}

USLAB_API void unregister_shrinker(struct shrinker *shrinker)
{
	pthread_mutex_lock(&shrinker_lock);
	for (struct shrinker **pp = &shrinkers; *pp; pp = &(*pp)->uslab_next)
		if (*pp == shrinker) {
			*pp = shrinker->uslab_next;
			break;
		}
	pthread_mutex_unlock(&shrinker_lock);
}

/* Asks each shrinker for all it can free.  The list is walked under the
 * lock but each call made without it: a shrinker unregistered meanwhile
 * by another thread is the program's race, as in the kernel. */
static unsigned long run_shrinkers(void)
{
	struct shrinker *list[64];
	unsigned long freed = 0;
	int n = 0;

	pthread_mutex_lock(&shrinker_lock);
	for (struct shrinker *sh = shrinkers; sh && n < 64; sh = sh->uslab_next)
		list[n++] = sh;
	pthread_mutex_unlock(&shrinker_lock);

	for (int i = 0; i < n; i++) {
		struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .nid = NUMA_NO_NODE };
		unsigned long count = list[i]->count_objects(list[i], &sc);

		while (count && count != SHRINK_EMPTY) {
			unsigned long batch = list[i]->batch > 0 ? (unsigned long)list[i]->batch : count;
			unsigned long got;

			sc.nr_to_scan = batch < count ? batch : count;
			sc.nr_scanned = sc.nr_to_scan;
			got = list[i]->scan_objects(list[i], &sc);
			if (got == SHRINK_STOP || !got)
				break;
			freed += got;
			list[i]->uslab_freed += got;
			count = count > sc.nr_scanned ? count - sc.nr_scanned : 0;
		}
	}
	return freed;
}

/* Flushes the calling thread's per-cache state, unified caches first:
 * their sheaves go back to the sheaf caches, whose slub state is flushed
 * after.  Returns the objects its sheaves held. */
static unsigned long flush_own_pass(bool unified);

static unsigned long flush_own_thread(void)
{
	unsigned long n = flush_own_pass(true);

	return n + flush_own_pass(false);
}

static unsigned long flush_own_pass(bool unified)
{
	struct uslab_thread *t = current_thread();
	unsigned long before = 0, after = 0;

	if (t->state != THREAD_LIVE || t->in_thread_list_lock)
		return 0;
	thread_list_lock_acquire();
	for (unsigned int i = 0; i < t->nr_cpu_slab; i++)
		before += t->cpu_slab[i].stat[SHEAF_FLUSH];
	thread_flush_pass(t, unified, false);
	for (unsigned int i = 0; i < t->nr_cpu_slab; i++)
		after += t->cpu_slab[i].stat[SHEAF_FLUSH];
	thread_list_lock_release();
	return after - before;
}

bool reclaim_check_epoch_slow(void)
{
	struct uslab_thread *t = current_thread();

	if (t->state != THREAD_LIVE || t->in_thread_list_lock)
		return false;
	t->reclaim_epoch = __atomic_load_n(&reclaim_epoch, __ATOMIC_RELAXED);
	flush_own_thread();
	return true;
}

static void uslab_self_epoch_seen(void)
{

	current_thread()->reclaim_epoch = __atomic_load_n(&reclaim_epoch, __ATOMIC_RELAXED);
}

static unsigned long resident_free_bytes(void)
{
	struct uslab_page_stats st;

	page_alloc_stats(&st);
	return (st.pages_in_use + st.pages_free_cached) * PAGE_SIZE;
}

USLAB_API unsigned long uslab_reclaim(struct uslab_reclaim_result *res)
{
	struct uslab_reclaim_result r = { 0, 0, 0, 0 };
	unsigned long before, after, slabs_before = 0, slabs_after = 0;
	struct kmem_cache *s;

	uslab_ensure_init();
	if (in_reclaim)
		return 0;
	in_reclaim = 1;
	__atomic_add_fetch(&reclaims, 1, __ATOMIC_RELAXED);
	before = resident_free_bytes();
	r.shrinker_objects = run_shrinkers();
	__atomic_add_fetch(&reclaim_epoch, 1, __ATOMIC_RELAXED);
	uslab_self_epoch_seen();
	r.objects_flushed = flush_own_pass(true);
	pthread_mutex_lock(&slab_mutex);
	list_for_each_entry(s, &slab_caches, list) {
		struct uslab_cache_info ci;

		cache_info_locked(s, &ci);
		slabs_before += ci.nr_slabs;
		/* Unified first: their barns' sheaves go to the sheaf caches. */
		if (s->flags & SLAB_UNIFIED)
			slabs_after += s->ops->shrink(s, false);
	}
	pthread_mutex_unlock(&slab_mutex);
	flush_own_pass(false);
	pthread_mutex_lock(&slab_mutex);
	list_for_each_entry(s, &slab_caches, list)
		if (!(s->flags & SLAB_UNIFIED))
			slabs_after += s->ops->shrink(s, false);
	pthread_mutex_unlock(&slab_mutex);
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

bool reclaim_before_failing(void)
{
	unsigned long before, after;
	struct kmem_cache *s;

	if (in_reclaim)
		return false;
	in_reclaim = 1;
	__atomic_add_fetch(&reclaims, 1, __ATOMIC_RELAXED);
	before = resident_free_bytes();
	run_shrinkers();
	flush_own_pass(true);
	/* The registry may be held by our own caller (kmem_cache_create). */
	if (!pthread_mutex_trylock(&slab_mutex)) {
		list_for_each_entry(s, &slab_caches, list)
			if (s->flags & SLAB_UNIFIED)
				s->ops->shrink(s, false);
		pthread_mutex_unlock(&slab_mutex);
	}
	flush_own_pass(false);
	if (!pthread_mutex_trylock(&slab_mutex)) {
		list_for_each_entry(s, &slab_caches, list)
			if (!(s->flags & SLAB_UNIFIED))
				s->ops->shrink(s, false);
		pthread_mutex_unlock(&slab_mutex);
	}
	page_alloc_purge(true);
	after = resident_free_bytes();
	in_reclaim = 0;
	return after < before;
}
