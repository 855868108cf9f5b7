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
#include "page_alloc.h"
#include "report.h"

__thread struct uslab_thread uslab_self __attribute__((tls_model("initial-exec")));

pthread_mutex_t thread_list_lock = PTHREAD_MUTEX_INITIALIZER;
struct list_head thread_list = LIST_HEAD_INIT(thread_list);
static pthread_key_t thread_key;

static void free_cpu_array(struct slab *run)
{
	if (run)
		pa_free_pages(root_page_allocator, run);
}

/* pthread key destructor: flush every cache's cpu slab of this thread. */
static void thread_exit(void *arg)
{
	struct uslab_thread *t = arg;
	struct slab *run;

	pthread_mutex_lock(&thread_list_lock);
	for (unsigned int i = 0; i < t->nr_cpu_slab; i++) {
		struct kmem_cache_cpu *c = &t->cpu_slab[i];

		if (!c->cache)
			continue;
		flush_cpu_slab(c->cache, c);
		cache_stats_fold(c->cache, c);
	}
	list_del(&t->list);
	run = t->cpu_slab_pages;
	t->cpu_slab = NULL;
	t->cpu_slab_pages = NULL;
	t->nr_cpu_slab = 0;
	t->state = THREAD_DEAD;
	pthread_mutex_unlock(&thread_list_lock);
	free_cpu_array(run);
}

struct kmem_cache_cpu *this_cpu_slab_slow(struct kmem_cache *s)
{
	struct uslab_thread *t = &uslab_self;
	unsigned int need = s->cpu_index + 1, nr, order = 0;
	struct kmem_cache_cpu *array;
	struct slab *run, *old_run;

	if (s->cpu_index < t->nr_cpu_slab)
		return &t->cpu_slab[s->cpu_index];
	if (t->state == THREAD_DEAD)
		return NULL;
	if (need < 2 * t->nr_cpu_slab)
		need = 2 * t->nr_cpu_slab;
	while ((PAGE_SIZE << order) / sizeof(struct kmem_cache_cpu) < need) {
		if (++order > PAGE_ALLOC_MAX_ORDER)
			return NULL;
	}
	nr = (unsigned int)((PAGE_SIZE << order) / sizeof(struct kmem_cache_cpu));
	run = pa_alloc_pages(root_page_allocator, order, NUMA_NO_NODE, GFP_KERNEL, PAGE_INTERNAL);
	if (!run)
		return NULL;
	array = slab_address(run);

	pthread_mutex_lock(&thread_list_lock);
	if (t->nr_cpu_slab)
		memcpy(array, t->cpu_slab, t->nr_cpu_slab * sizeof(*array));
	memset(array + t->nr_cpu_slab, 0, (nr - t->nr_cpu_slab) * sizeof(*array));
	old_run = t->cpu_slab_pages;
	t->cpu_slab = array;
	t->cpu_slab_pages = run;
	t->nr_cpu_slab = nr;
	if (t->state == THREAD_NEW) {
		t->state = THREAD_LIVE;
		list_add(&t->list, &thread_list);
		pthread_setspecific(thread_key, t);
	}
	pthread_mutex_unlock(&thread_list_lock);
	free_cpu_array(old_run);
	return &t->cpu_slab[s->cpu_index];
}

void flush_all_threads(struct kmem_cache *s)
{
	struct uslab_thread *t;

	pthread_mutex_lock(&thread_list_lock);
	list_for_each_entry(t, &thread_list, list) {
		struct kmem_cache_cpu *c;

		if (s->cpu_index >= t->nr_cpu_slab)
			continue;
		c = &t->cpu_slab[s->cpu_index];
		if (c->cache == s) {
			flush_cpu_slab(s, c);
			cache_stats_fold(s, c);
		}
		memset(c, 0, sizeof(*c));
	}
	pthread_mutex_unlock(&thread_list_lock);
}

USLAB_API void uslab_thread_flush(void)
{
	struct uslab_thread *t = &uslab_self;

	uslab_ensure_init();
	pthread_mutex_lock(&thread_list_lock);
	for (unsigned int i = 0; i < t->nr_cpu_slab; i++) {
		struct kmem_cache_cpu *c = &t->cpu_slab[i];

		if (c->cache)
			flush_cpu_slab(c->cache, c);
	}
	pthread_mutex_unlock(&thread_list_lock);
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
