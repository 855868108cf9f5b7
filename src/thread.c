/*
 * thread.c - per-thread state: the array of struct kmem_cache_cpu indexed
 * by cache->cpu_index, its growth, and its flush when the thread exits.
 *
 * thread_list_lock guards: the list of live threads; each thread's
 * cpu_slab pointer and length (written by the owner only, under the lock;
 * read by the owner without it); and every access to a thread's entries by
 * another thread (destroy, reports).  The owner's own fast and slow paths
 * use its entries without the lock: a cache's entry is touched by others
 * only while the owner cannot be using that cache (destroy) or read-only
 * (reports, READ_ONCE).
 *
 * A thread's memory for the array comes straight from the root page
 * allocator (kind PAGE_INTERNAL): no recursion into kmalloc, no failure
 * injected by a test's page allocator.  If it cannot be had, or after the
 * thread's exit destructor ran, the thread allocates and frees through the
 * threadless paths, which need no per-thread state.
 */
#include <string.h>

#include "fastpath.h"
#include "fork.h"
#include "page_alloc.h"
#include "personality.h"
#include "report.h"

__thread struct uslab_thread uslab_self __attribute__((tls_model("initial-exec")));

pthread_mutex_t thread_list_lock = PTHREAD_MUTEX_INITIALIZER;
struct list_head thread_list = LIST_HEAD_INIT(thread_list);
static pthread_key_t thread_key;

struct uslab_thread *current_thread(void)
{
	return &uslab_self;
}

void thread_list_lock_acquire(void)
{
	pthread_mutex_lock(&thread_list_lock);
	uslab_self.in_thread_list_lock = 1;
}

void thread_list_lock_release(void)
{
	uslab_self.in_thread_list_lock = 0;
	pthread_mutex_unlock(&thread_list_lock);
}

void cpu_entry_reset(struct kmem_cache_cpu *c)
{
	memset(c, 0, sizeof(*c));
	c->main = &empty_sheaf;
	c->spare = &empty_sheaf;
}

static void free_cpu_array(struct slab *run)
{
	if (run)
		pa_free_pages(root_page_allocator, run);
}

/*
 * Flushes the entries of t (thread_list_lock held): unified caches in one
 * pass, slub caches in another, in that order, because the sheaves the
 * first pass frees go back to the (slub) sheaf caches through t's own
 * entries.  With fold, the counters go to the caches' totals.
 */
void thread_flush_pass(struct uslab_thread *t, bool unified, bool fold)
{
	for (unsigned int i = 0; i < t->nr_cpu_slab; i++) {
		struct kmem_cache_cpu *c = &t->cpu_slab[i];

		if (!c->cache || !(c->cache->flags & SLAB_UNIFIED) != !unified)
			continue;
		c->cache->ops->flush_cpu(c->cache, c);
		if (fold)
			cache_stats_fold(c->cache, c);
	}
}

/* thread_list_lock held: t's counters go to the caches' totals and t
 * leaves the list; returns its array's run, for the caller to free. */
static struct slab *thread_forget(struct uslab_thread *t)
{
	struct slab *run = t->cpu_slab_pages;

	for (unsigned int i = 0; i < t->nr_cpu_slab; i++)
		if (t->cpu_slab[i].cache)
			cache_stats_fold(t->cpu_slab[i].cache, &t->cpu_slab[i]);
	list_del(&t->list);
	t->cpu_slab = NULL;
	t->cpu_slab_pages = NULL;
	t->nr_cpu_slab = 0;
	t->state = THREAD_DEAD;
	return run;
}

/* pthread key destructor: flush every cache's cpu slab of this thread. */
static void thread_exit(void *arg)
{
	struct uslab_thread *t = arg;
	struct slab *run;

	thread_list_lock_acquire();
	thread_flush_pass(t, true, false);
	thread_flush_pass(t, false, false);
	run = thread_forget(t);
	thread_list_lock_release();
	free_cpu_array(run);
}

/* Entries made valid at a time: one page of them, so that a thread
 * touches only the pages of the caches it uses. */
#define CPU_ENTRIES_STEP (PAGE_SIZE / sizeof(struct kmem_cache_cpu))

struct kmem_cache_cpu *this_cpu_slab_slow(struct kmem_cache *s)
{
	struct uslab_thread *t = &uslab_self;
	unsigned int need = s->cpu_index + 1, nr, order = 0, capacity;
	struct kmem_cache_cpu *array;
	struct slab *run, *old_run;

	if (s->cpu_index < t->nr_cpu_slab)
		return &t->cpu_slab[s->cpu_index];
	if (t->state == THREAD_DEAD || t->in_thread_list_lock)
		return NULL;
	need = ALIGN(need, (unsigned int)CPU_ENTRIES_STEP);
	if (t->cpu_slab_pages) {
		capacity = (unsigned int)(slab_bytes(t->cpu_slab_pages) / sizeof(*array));
		if (need <= capacity) {
			/* Room in the run: validate more entries, touch no other page. */
			thread_list_lock_acquire();
			for (unsigned int i = t->nr_cpu_slab; i < need; i++)
				cpu_entry_reset(&t->cpu_slab[i]);
			t->nr_cpu_slab = need;
			thread_list_lock_release();
			return &t->cpu_slab[s->cpu_index];
		}
	}
	if (need < 2 * t->nr_cpu_slab)
		need = 2 * t->nr_cpu_slab;
	while ((PAGE_SIZE << order) / sizeof(struct kmem_cache_cpu) < need) {
		if (++order > PAGE_ALLOC_MAX_ORDER)
			return NULL;
	}
	run = pa_alloc_pages(root_page_allocator, order, NUMA_NO_NODE, GFP_KERNEL, PAGE_INTERNAL);
	if (!run)
		return NULL;
	array = slab_address(run);
	nr = ALIGN(s->cpu_index + 1, (unsigned int)CPU_ENTRIES_STEP);
	if (nr < t->nr_cpu_slab)
		nr = t->nr_cpu_slab;

	thread_list_lock_acquire();
	if (t->nr_cpu_slab)
		memcpy(array, t->cpu_slab, t->nr_cpu_slab * sizeof(*array));
	for (unsigned int i = t->nr_cpu_slab; i < nr; i++)
		cpu_entry_reset(&array[i]);
	old_run = t->cpu_slab_pages;
	t->cpu_slab = array;
	t->cpu_slab_pages = run;
	t->nr_cpu_slab = nr;
	if (t->state == THREAD_NEW) {
		t->state = THREAD_LIVE;
		t->reclaim_epoch = __atomic_load_n(&reclaim_epoch, __ATOMIC_RELAXED);
		list_add(&t->list, &thread_list);
		pthread_setspecific(thread_key, t);
	}
	thread_list_lock_release();
	free_cpu_array(old_run);
	return &t->cpu_slab[s->cpu_index];
}

void flush_all_threads(struct kmem_cache *s)
{
	struct uslab_thread *t;

	thread_list_lock_acquire();
	list_for_each_entry(t, &thread_list, list) {
		struct kmem_cache_cpu *c;

		if (s->cpu_index >= t->nr_cpu_slab)
			continue;
		c = &t->cpu_slab[s->cpu_index];
		if (c->cache == s) {
			s->ops->flush_cpu(s, c);
			cache_stats_fold(s, c);
		}
		cpu_entry_reset(c);
	}
	thread_list_lock_release();
}

USLAB_API void uslab_thread_flush(void)
{
	struct uslab_thread *t = &uslab_self;

	uslab_ensure_init();
	thread_list_lock_acquire();
	thread_flush_pass(t, true, false);
	thread_flush_pass(t, false, false);
	thread_list_lock_release();
}

USLAB_API const char *uslab_cpu_mode(void)
{
	return "thread";
}

void thread_init(void)
{
	if (pthread_key_create(&thread_key, thread_exit))
		uslab_reportf("uslab: pthread_key_create failed: threads will not flush at exit\n");
}

/*
 * In the child after fork: only the forking thread exists.  The others'
 * entries are dropped, not flushed: one of them may have been inside a
 * slow path (a cpu slab half swapped, a sheaf half refilled) at the
 * instant of fork, and flushing that state could hand an object out
 * twice.  What they cached (a cpu slab, partial slabs, sheaves per cache)
 * stays allocated in the child: a bounded leak, as in jemalloc's child.
 */
void thread_fork_child(void)
{
	struct uslab_thread *t, *tmp;

	thread_list_lock_acquire();
	list_for_each_entry_safe(t, tmp, &thread_list, list)
		if (t != &uslab_self)
			free_cpu_array(thread_forget(t));
	thread_list_lock_release();
}
