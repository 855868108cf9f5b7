/*
 * thread.c - per-thread state: each thread's directory of entries (struct
 * kmem_cache_cpu, one per cache, by cache->cpu_index), its registration,
 * and its flush when the thread exits.
 *
 * Entries come a page (CPU_ENTRIES_STEP of them) at a time from uslab's
 * metadata and never move once handed out: a slow path may hold its
 * entry across anything it calls.  The directory has a slot for every
 * possible cpu index, so it never grows either.
 *
 * thread_list_lock guards: the list of registrations; each registration's
 * directory slots and nr_dir_pages (written by the owner only, under the
 * lock; read by the owner without it); and every access to a thread's
 * entries by another thread (destroy, reports, reaping).  The owner's own
 * fast and slow paths use its entries without the lock: a cache's entry
 * is touched by others only while the owner cannot be using that cache
 * (destroy) or read-only (reports, READ_ONCE).
 *
 * If a thread cannot register (no memory, no key), or after its exit
 * destructor ran, it allocates and frees through the threadless paths,
 * which need no per-thread state.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/meta.h"
#include "base/os.h"
#include "base/report.h"
#include "base/start.h"
#include "core/object.h"
#include "core/personality.h"

__thread struct uslab_thread uslab_self __attribute__((tls_model("initial-exec")));
struct sheaf empty_sheaf = { .size = 0, .capacity = 0 };
unsigned long reclaim_epoch;

spinlock_t thread_list_lock = SPINLOCK_INIT(LOCK_RANK_THREAD_LIST);
struct list_head thread_list = LIST_HEAD_INIT(thread_list);
static pthread_key_t thread_key;
static bool thread_key_ok;

#define CPU_BLOCK_BYTES (CPU_FAST_ENTRIES * sizeof(struct kmem_cache_cpu))
#define CPU_DIR_BYTES   (CPU_DIR_SLOTS * sizeof(struct kmem_cache_cpu *))

void thread_list_lock_acquire(void)
{
	spin_lock(&thread_list_lock);
	current_thread()->in_thread_list_lock = 1;
}

void thread_list_lock_release(void)
{
	current_thread()->in_thread_list_lock = 0;
	spin_unlock(&thread_list_lock);
}

void cpu_entry_reset(struct kmem_cache_cpu *c)
{
	memset(c, 0, sizeof(*c));
	c->main = &empty_sheaf;
	c->spare = &empty_sheaf;
}

/* Flushes every entry of r (thread_list_lock held); with fold, the
 * counters go to the caches' totals. */
void thread_flush(struct thread_reg *r, bool fold)
{
	struct kmem_cache_cpu *c;
	unsigned int i;

	for_each_thread_entry(r, c, i) {
		if (!c->cache)
			continue;
		c->cache->ops->flush_cpu(c->cache, c);
		if (fold)
			cache_stats_fold(c->cache, c);
	}
}

/* thread_list_lock held: r's counters go to the caches' totals and r
 * leaves the list; the caller frees it with free_thread_reg() once the
 * lock is dropped. */
static void thread_forget(struct thread_reg *r)
{
	struct kmem_cache_cpu *c;
	unsigned int i;

	for_each_thread_entry(r, c, i)
		if (c->cache)
			cache_stats_fold(c->cache, c);
	list_del(&r->list);
}

static void free_thread_reg(struct thread_reg *r)
{
	if (r->cpu_dir) {
		for (unsigned int k = 0; k < r->nr_dir_pages; k++)
			meta_free(r->cpu_dir[k], PAGE_SIZE);
		meta_free(r->cpu_dir, CPU_DIR_BYTES);
	}
	meta_free(r->cpu_slab, CPU_BLOCK_BYTES);
	meta_free(r, sizeof(*r));
}

/* Everything of r back to the slabs, then r is gone (lock held). */
static void thread_flush_and_forget(struct thread_reg *r)
{
	thread_flush(r, false);
	thread_forget(r);
}

/* pthread key destructor: flush every cache's cpu slab of this thread. */
static void thread_exit(void *arg)
{
	struct uslab_thread *t = arg;
	struct thread_reg *r = t->reg;

	thread_list_lock_acquire();
	thread_flush_and_forget(r);
	t->cpu_slab = NULL;
	t->nr_cpu_slab = 0;
	t->reg = NULL;
	t->state = THREAD_DEAD;
	thread_list_lock_release();
	free_thread_reg(r);
}

/*
 * Threads that died without their exit destructor: glibc calls key
 * destructors for at most PTHREAD_DESTRUCTOR_ITERATIONS rounds, and a
 * thread whose first uslab call came in the last round was never called
 * back.  Its registration (metadata, not its TLS) is flushed here, on the
 * paths that walk every thread anyway (destroy, reclaim): the thread is
 * gone, so its entries are nobody's.  thread_list_lock held; the
 * registrations move to dead, to be freed once it is dropped.
 */
static void reap_dead_threads(struct list_head *dead)
{
	struct thread_reg *r, *tmp;
	pid_t pid = getpid();

	list_for_each_entry_safe(r, tmp, &thread_list, list) {
		if (r->is_cpu || r == current_thread()->reg ||
		    syscall(SYS_tgkill, pid, r->tid, 0) == 0 || errno != ESRCH)
			continue;
		thread_flush_and_forget(r);
		list_add(&r->list, dead);
	}
}

static void free_reaped(struct list_head *dead)
{
	struct thread_reg *r, *tmp;

	list_for_each_entry_safe(r, tmp, dead, list)
		free_thread_reg(r);
}

void thread_reap(void)
{
	struct list_head dead = LIST_HEAD_INIT(dead);

	thread_list_lock_acquire();
	reap_dead_threads(&dead);
	thread_list_lock_release();
	free_reaped(&dead);
}

/* Registers the calling thread at its first entry; false leaves it
 * threadless (no key, no memory). */
static bool thread_register(struct uslab_thread *t)
{
	struct thread_reg *r;

	if (!thread_key_ok || pthread_setspecific(thread_key, t))
		return false;
	/* The block is reserved whole (its untouched pages cost nothing)
	 * and made valid a page at a time. */
	r = meta_alloc(sizeof(*r));
	if (r)
		r->cpu_slab = meta_alloc(CPU_BLOCK_BYTES);
	if (!r || !r->cpu_slab) {
		meta_free(r, sizeof(*r));
		pthread_setspecific(thread_key, NULL);
		return false;
	}
	r->tid = os_gettid();
	thread_list_lock_acquire();
	t->reg = r;
	t->cpu_slab = r->cpu_slab;
	t->state = THREAD_LIVE;
	t->reclaim_epoch = __atomic_load_n(&reclaim_epoch, __ATOMIC_RELAXED);
	list_add(&r->list, &thread_list);
	thread_list_lock_release();
	return true;
}

/* An entry beyond the block: a page of the directory (allocated first). */
static struct kmem_cache_cpu *dir_entry_slow(struct thread_reg *r, unsigned int idx)
{
	unsigned int k = (idx - CPU_FAST_ENTRIES) / CPU_ENTRIES_STEP;
	struct kmem_cache_cpu **dir = r->cpu_dir, *page;

	if (!dir && !(dir = meta_alloc(CPU_DIR_BYTES)))
		return NULL;
	page = meta_alloc(PAGE_SIZE);
	if (!page) {
		if (!r->cpu_dir)
			meta_free(dir, CPU_DIR_BYTES);
		return NULL;
	}
	for (unsigned int i = 0; i < CPU_ENTRIES_STEP; i++)
		cpu_entry_reset(&page[i]);
	thread_list_lock_acquire();
	r->cpu_dir = dir;
	dir[k] = page;
	if (k >= r->nr_dir_pages)
		r->nr_dir_pages = k + 1;
	thread_list_lock_release();
	return page + (idx - CPU_FAST_ENTRIES) % CPU_ENTRIES_STEP;
}

struct kmem_cache_cpu *this_cpu_slab_slow(struct kmem_cache *s)
{
	struct uslab_thread *t = current_thread();
	unsigned int idx = s->cpu_index, need;
	struct kmem_cache_cpu *c;

	if (READ_ONCE(percpu_fast.enabled) && percpu_cache(s)) {
		bool threadless;

		c = percpu_entry_lock(s, &threadless);
		if (c || threadless)
			return c;
		/* rseq is not registered for this thread: its own entries. */
	}
	if (t->reg && (c = thread_cpu_entry(t->reg, idx)))
		return c;
	if (t->state == THREAD_DEAD || t->in_thread_list_lock)
		return NULL;
	if (t->state == THREAD_NEW && !thread_register(t)) {
		/* No key: for good; no memory: perhaps the next time. */
		if (!thread_key_ok)
			t->state = THREAD_DEAD;
		return NULL;
	}
	if (idx >= CPU_FAST_ENTRIES)
		return dir_entry_slow(t->reg, idx);
	/* Validate the block's entries up to idx's page: nothing moves. */
	need = ALIGN(idx + 1, (unsigned int)CPU_ENTRIES_STEP);
	thread_list_lock_acquire();
	for (unsigned int i = t->nr_cpu_slab; i < need; i++)
		cpu_entry_reset(&t->cpu_slab[i]);
	t->reg->nr_cpu_slab = need;
	t->nr_cpu_slab = need;
	thread_list_lock_release();
	return &t->cpu_slab[idx];
}

bool flush_all_threads(struct kmem_cache *s)
{
	struct list_head dead = LIST_HEAD_INIT(dead);
	struct thread_reg *r;
	bool all = true;

	thread_list_lock_acquire();
	reap_dead_threads(&dead);
	list_for_each_entry(r, &thread_list, list) {
		struct kmem_cache_cpu *c = thread_cpu_entry(r, s->cpu_index);

		if (!c)
			continue;
		/* A CPU's entry of another cache is not touched; one of s
		 * is taken from a slow path that holds it, or left to it. */
		if (r->is_cpu && READ_ONCE(c->cache) != s)
			continue;
		if (r->is_cpu && !percpu_entry_take(r, c)) {
			all = false;
			continue;
		}
		if (c->cache == s) {
			s->ops->flush_cpu(s, c);
			cache_stats_fold(s, c);
		}
		cpu_entry_reset(c);
	}
	thread_list_lock_release();
	free_reaped(&dead);
	return all;
}

USLAB_API void uslab_thread_flush(void)
{
	struct uslab_thread *t = current_thread();

	uslab_ensure_init();
	/* In cpu mode what the caller cached went to its CPUs' entries. */
	percpu_drain(NULL);
	if (!t->reg)
		return;
	thread_list_lock_acquire();
	thread_flush(t->reg, false);
	thread_list_lock_release();
}

void thread_init(void)
{
	thread_key_ok = !pthread_key_create(&thread_key, thread_exit);
	if (!thread_key_ok)
		uslab_reportf("uslab: pthread_key_create failed: threads allocate without caches\n");
	percpu_init();
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
	struct thread_reg *r, *tmp;

	thread_list_lock_acquire();
	list_for_each_entry_safe(r, tmp, &thread_list, list) {
		if (r->is_cpu || r == current_thread()->reg)
			continue;
		thread_forget(r);
		free_thread_reg(r);
	}
	if (current_thread()->reg)
		current_thread()->reg->tid = os_gettid();
	percpu_fork_child();
	thread_list_lock_release();
}
