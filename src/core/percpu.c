/*
 * percpu.c - cpu mode: entries per CPU instead of per thread, as in the
 * kernel.  Both personalities' fast paths (slub/slub_rseq.h,
 * unified/unified_rseq.h) run in an rseq critical section on the entry of
 * the CPU they run on;
 * the slow paths lock that entry; drains from elsewhere lock it and abort
 * the sections in flight with membarrier (base/rseq.h).
 *
 * Each CPU has a block of CPU_FAST_ENTRIES entries at a fixed place in
 * one reserved mapping (percpu_fast.base + cpu * CPU_BLOCK_BYTES), so a fast
 * path finds its entry from the CPU number by a shift and an add; pages
 * of it are touched only on CPUs the process runs on.  A CPU's block has a
 * registration (struct thread_reg, is_cpu) on thread_list, so that the
 * statistics, reports and destroy walk it as they walk a thread's; it is
 * never reaped, forgotten at fork or freed.
 *
 * The entry lock (kmem_cache_cpu.lock) is the whole theory:
 *  - it holds the token of the thread whose slow path owns the entry, or
 *    0.  A fast path reads it inside its section and goes to the slow
 *    path when it is not 0 (its own thread's token included);
 *  - a slow path takes it with one compare-and-swap and never waits for
 *    it: when another thread holds it, the slow path runs threadless
 *    (straight to the slabs, as a thread without state does).  So holding
 *    it across a call out (a constructor, which may allocate and free,
 *    or block on a lock of the program's) cannot deadlock: the owner's own
 *    nested slow paths find their token and use the entry as a nested
 *    slow path uses a thread's entry, everyone else goes around it;
 *  - taken, the owner makes sure no fast path that read 0 is still in its
 *    section: if the thread now runs on the entry's CPU, every section
 *    there began after the compare-and-swap or was aborted when this
 *    thread was scheduled in; otherwise membarrier aborts them;
 *  - the slow path keeps it until its outermost slow path ends
 *    (slow_path_exit, base/lock.h), even if the thread migrates: the
 *    entry stays the CPU's, the owner works on it from wherever it runs;
 *  - the fast paths count in the same word they commit (unified: fast_ops,
 *    beside main_size; slub: the top bits of freelist; types.h says how
 *    pops and pushes follow from them); the lock's taker folds the count
 *    into stat[] once no section runs (leaving slub's freelist a bare
 *    pointer), and a unified entry's release records main_size
 *    (fold_size), so the counts stay exact under migration, and a fast
 *    path's count costs no store of its own.  A fast path that would
 *    carry a count out goes to the slow path, which folds.
 *
 * Thread exit has nothing to flush in this mode; fork keeps the CPU
 * entries (the child's memory is the parent's), except those a thread
 * that does not exist in the child held mid slow path: dropped, a bounded
 * leak (as thread.c drops the other threads' entries).
 */
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "base/meta.h"
#include "base/options.h"
#include "base/os.h"
#include "base/report.h"
#include "base/rseq.h"
#include "core/object.h"
#include "core/personality.h"

struct percpu_fast percpu_fast;
struct kmem_cache *percpu_caches[CPU_FAST_ENTRIES];
char percpu_mode_name[8] = "thread";
static unsigned int percpu_nr_cpus;
static struct thread_reg **percpu_regs;
static bool percpu_possible;
static const char *percpu_why = "not started";
static uint32_t next_token;
static __thread uint32_t my_token __attribute__((tls_model("initial-exec")));

#define CPU_BLOCK_BYTES (CPU_FAST_ENTRIES * sizeof(struct kmem_cache_cpu))
_Static_assert(CPU_BLOCK_BYTES == 1u << PERCPU_BLOCK_SHIFT, "a CPU's block is a shift");

/* The first entry of cpu's block (pages untouched until used read zeros). */
static struct kmem_cache_cpu *percpu_block(unsigned int cpu)
{
	return (struct kmem_cache_cpu *)(percpu_fast.base + (size_t)cpu * CPU_BLOCK_BYTES);
}

static uint32_t percpu_token(void)
{
	uint32_t t = my_token;

	while (!t)
		t = my_token = __atomic_add_fetch(&next_token, 1, __ATOMIC_RELAXED);
	return t;
}

/* The registration of cpu's block, made at its first slow path. */
static struct thread_reg *percpu_reg(unsigned int cpu)
{
	struct thread_reg *r = __atomic_load_n(&percpu_regs[cpu], __ATOMIC_ACQUIRE);

	if (r || current_thread()->in_thread_list_lock)
		return r;
	thread_list_lock_acquire();
	r = percpu_regs[cpu];
	if (!r && (r = meta_alloc(sizeof(*r)))) {
		r->cpu_slab = percpu_block(cpu);
		r->is_cpu = true;
		r->cpu = cpu;
		list_add_tail(&r->list, &thread_list);
		__atomic_store_n(&percpu_regs[cpu], r, __ATOMIC_RELEASE);
	}
	thread_list_lock_release();
	return r;
}

/* Makes r's entries valid up to idx's page; false under thread_list_lock
 * (an entry cannot be made there) or when it is not valid yet. */
static bool percpu_entry_valid(struct thread_reg *r, unsigned int idx)
{
	unsigned int need;

	if (idx < __atomic_load_n(&r->nr_cpu_slab, __ATOMIC_ACQUIRE))
		return true;
	if (current_thread()->in_thread_list_lock)
		return false;
	need = ALIGN(idx + 1, (unsigned int)CPU_ENTRIES_STEP);
	thread_list_lock_acquire();
	/* A fast path may read these meanwhile: all zero, it goes slow. */
	for (unsigned int i = r->nr_cpu_slab; i < need; i++)
		cpu_entry_reset(&r->cpu_slab[i]);
	if (need > r->nr_cpu_slab)
		__atomic_store_n(&r->nr_cpu_slab, need, __ATOMIC_RELEASE);
	thread_list_lock_release();
	return true;
}

static bool percpu_trylock(struct kmem_cache_cpu *c, uint32_t token)
{
	uint32_t expected = 0;

	return __atomic_compare_exchange_n(&c->lock, &expected, token, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/* A slub entry (types.h: it counts in freelist); an entry without a
 * cache has neither count nor cpu slab. */
static bool percpu_slub_entry(const struct kmem_cache_cpu *c)
{
	const struct kmem_cache *cs = READ_ONCE(c->cache);

	return cs && !(cs->flags & SLAB_UNIFIED);
}

/* The lock taken and no section running: what the fast paths did on the
 * entries of its cache comes before (cache/fastpath.h: for
 * ThreadSanitizer, which cannot see the sections). */
static void percpu_tsan_acquire(struct kmem_cache_cpu *c)
{
	if (c->cache)
		tsan_handoff_acquire(c->cache);
}

/* The fast paths' count into stat[]: the lock held, no section running. */
static void percpu_fold(struct kmem_cache_cpu *c)
{
	uint64_t allocs, frees;

	/* The count goes first: a reader meanwhile counts short, never twice
	 * (and never below a uslab_cache_stat_clear() base). */
	if (percpu_slub_entry(c)) {
		uint64_t word = (uintptr_t)c->freelist;

		slub_head_unfolded(word, &allocs, &frees);
		WRITE_ONCE(c->freelist, (void *)(uintptr_t)(word & SLUB_HEAD_PTR));
	} else {
		cpu_entry_unfolded(c->fast_ops, c->main_size, c->fold_size, &allocs, &frees);
		WRITE_ONCE(c->fast_ops, 0);
		WRITE_ONCE(c->fold_size, c->main_size);
	}
	WRITE_ONCE(c->stat[ALLOC_FASTPATH], c->stat[ALLOC_FASTPATH] + allocs);
	WRITE_ONCE(c->stat[FREE_FASTPATH], c->stat[FREE_FASTPATH] + frees);
}

/* Lets go of a lock taken but not folded (a fence the kernel refused):
 * the count and fold_size stay as the fast paths left them. */
static void percpu_unlock_unfolded(struct kmem_cache_cpu *c)
{
	__atomic_store_n(&c->lock, 0, __ATOMIC_RELEASE);
}

/* Lets go of a lock this thread holds; one it no longer holds (let go by
 * a signal handler's slow path meanwhile, slow_path_hold) is left alone. */
static void percpu_unlock(uint32_t *lock)
{
	struct kmem_cache_cpu *c = container_of(lock, struct kmem_cache_cpu, lock);

	if (__atomic_load_n(lock, __ATOMIC_RELAXED) != my_token)
		return;
	/* Nothing counted since the fold: the base for what comes (a slub
	 * entry's bare freelist is its own). */
	if (!percpu_slub_entry(c))
		WRITE_ONCE(c->fold_size, c->main_size);
	if (c->cache)
		tsan_handoff_release(c->cache);
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* Just taken: no section that read the lock as 0 may still run on it (the
 * thread is on r's CPU, or the fence aborted them), then the count is
 * folded.  False, the lock let go, when the kernel refused the fence. */
static bool percpu_settle(struct thread_reg *r, struct kmem_cache_cpu *c)
{
	if (rseq_current_cpu() != (int)r->cpu && !rseq_fence((int)r->cpu)) {
		percpu_unlock_unfolded(c);
		return false;
	}
	percpu_fold(c);
	percpu_tsan_acquire(c);
	return true;
}

struct kmem_cache_cpu *percpu_entry_lock(struct kmem_cache *s, bool *threadless)
{
	int cpu = rseq_current_cpu();
	uint32_t token, owner;
	struct kmem_cache_cpu *c;
	struct thread_reg *r;

	*threadless = false;
	if (cpu < 0 || (unsigned int)cpu >= percpu_nr_cpus)
		return NULL;
	*threadless = true;
	/* Released by the outermost slow path's end: outside one, never. */
	if (!lock_context()->slow_depth || !(r = percpu_reg((unsigned int)cpu)) ||
	    !percpu_entry_valid(r, s->cpu_index))
		return NULL;
	c = &r->cpu_slab[s->cpu_index];
	token = percpu_token();
	owner = __atomic_load_n(&c->lock, __ATOMIC_ACQUIRE);
	if (owner == token)
		return c;
	if (owner || !percpu_trylock(c, token) || !percpu_settle(r, c))
		return NULL;
	if (!slow_path_hold(&c->lock, percpu_unlock)) {
		percpu_unlock(&c->lock);
		return NULL;
	}
	return c;
}

/* The current CPU's entry of s, as a fast path finds it (an entry not
 * made yet reads as zeros), for a racy look; NULL when s has none (not cpu
 * mode, not a CPU cache, no rseq for this thread). */
static const struct kmem_cache_cpu *percpu_entry_peek(const struct kmem_cache *s)
{
	int cpu;

	if (!READ_ONCE(percpu_fast.enabled) || !percpu_cache(s))
		return NULL;
	cpu = rseq_current_cpu();
	if (cpu < 0 || (unsigned int)cpu >= percpu_nr_cpus)
		return NULL;
	return percpu_block((unsigned int)cpu) + s->cpu_index;
}

bool percpu_may_hold_slab(struct kmem_cache *s, const struct slab *slab)
{
	const struct kmem_cache_cpu *c = percpu_entry_peek(s);

	return !c || READ_ONCE(c->slab) == slab;
}

/* The head of the current CPU's cpu freelist when slab is that CPU's cpu
 * slab, or NULL: a racy look, as percpu_may_hold_slab's.  An object seen
 * there while its caller frees it was free already.  Only for a slub
 * cache in cpu mode (NULL otherwise). */
void *percpu_cpu_freelist_head(struct kmem_cache *s, const struct slab *slab)
{
	const struct kmem_cache_cpu *c = (s->flags & SLAB_UNIFIED) ? NULL : percpu_entry_peek(s);

	if (!c || READ_ONCE(c->slab) != slab)
		return NULL;
	return (void *)((uintptr_t)READ_ONCE(c->freelist) & SLUB_HEAD_PTR);
}

/* ------------------------------------------------------------ drains */

/* Locks, for a drain, every entry of r whose cache is s (NULL: every
 * cache) and that no slow path holds, marking them in locked; then makes
 * sure no section on r's CPU still runs on them.  Returns how many. */
static unsigned int percpu_lock_entries(struct thread_reg *r, struct kmem_cache *s,
					uint64_t locked[CPU_FAST_ENTRIES / 64])
{
	unsigned int n = 0, valid = __atomic_load_n(&r->nr_cpu_slab, __ATOMIC_ACQUIRE);
	uint32_t token = percpu_token();

	memset(locked, 0, CPU_FAST_ENTRIES / 8);
	for (unsigned int i = 0; i < valid; i++) {
		struct kmem_cache_cpu *c = &r->cpu_slab[i];
		struct kmem_cache *cs = READ_ONCE(c->cache);

		if (!cs || (s && cs != s) || !percpu_trylock(c, token))
			continue;
		locked[i / 64] |= 1ULL << (i % 64);
		n++;
	}
	if (n && rseq_current_cpu() != (int)r->cpu && !rseq_fence((int)r->cpu)) {
		for (unsigned int i = 0; i < valid; i++)
			if (locked[i / 64] & (1ULL << (i % 64)))
				percpu_unlock_unfolded(&r->cpu_slab[i]);
		return 0;
	}
	for (unsigned int i = 0; i < valid; i++) {
		if (locked[i / 64] & (1ULL << (i % 64))) {
			percpu_fold(&r->cpu_slab[i]);
			percpu_tsan_acquire(&r->cpu_slab[i]);
		}
	}
	return n;
}

/* Flushes what the CPU entries of s (NULL: of every cache) cache back to
 * the slabs; returns the objects flushed.  Entries a slow path holds are
 * skipped: their owner is using them.  A locked entry's cache cannot be
 * destroyed meanwhile (destroy takes the entry first), so the cache read
 * after the lock lives until the unlock. */
unsigned long percpu_drain(struct kmem_cache *s)
{
	uint64_t locked[CPU_FAST_ENTRIES / 64];
	unsigned long flushed = 0;

	if (!percpu_regs)
		return 0;
	for (unsigned int cpu = 0; cpu < percpu_nr_cpus; cpu++) {
		struct thread_reg *r = __atomic_load_n(&percpu_regs[cpu], __ATOMIC_ACQUIRE);

		if (!r || !percpu_lock_entries(r, s, locked))
			continue;
		for (unsigned int i = 0; i < CPU_FAST_ENTRIES; i++) {
			struct kmem_cache_cpu *c = &r->cpu_slab[i];
			struct kmem_cache *cs;

			if (!(locked[i / 64] & (1ULL << (i % 64))))
				continue;
			cs = READ_ONCE(c->cache);
			if (cs && (!s || cs == s)) {
				uint64_t before = c->stat[SHEAF_FLUSH];

				cs->ops->flush_cpu(cs, c);
				flushed += c->stat[SHEAF_FLUSH] - before;
			}
			percpu_unlock(&c->lock);
		}
	}
	return flushed;
}

/*
 * kmem_cache_destroy (thread_list_lock held): c, a CPU's entry of s, is
 * flushed and emptied.  A slow path of s holding it (using a cache being
 * destroyed) is waited for, a while, with the list lock dropped so that
 * it can finish; false if it does not let go (destroy then keeps the
 * cache, reported, and the entry is left to its owner).
 */
bool percpu_entry_take(struct thread_reg *r, struct kmem_cache_cpu *c)
{
	uint32_t token = percpu_token();

	for (unsigned int tries = 0; !percpu_trylock(c, token); tries++) {
		if (tries >= 100000)
			return false;
		thread_list_lock_release();
		sched_yield();
		thread_list_lock_acquire();
	}
	return percpu_settle(r, c);
}

/* In the child of fork: the entries that a thread of the parent held mid
 * slow path are dropped (what they cached is leaked); the forking thread
 * keeps its own. */
void percpu_fork_child(void)
{
	const char *why;

	if (!percpu_regs)
		return;
	for (unsigned int cpu = 0; cpu < percpu_nr_cpus; cpu++) {
		struct thread_reg *r = percpu_regs[cpu];

		if (!r)
			continue;
		for (unsigned int i = 0; i < r->nr_cpu_slab; i++) {
			struct kmem_cache_cpu *c = &r->cpu_slab[i];

			if (c->lock && c->lock != my_token)
				cpu_entry_reset(c);
		}
	}
	/* The registration belongs to the parent's mm: made again. */
	if (percpu_possible && !rseq_setup(&why)) {
		percpu_fast.enabled = 0;
		percpu_possible = false;
		percpu_why = why;
		strcpy(percpu_mode_name, "thread");
	}
}

/* ------------------------------------------------------------- mode */

static bool percpu_area_init(void)
{
	void *p;

	percpu_nr_cpus = rseq_nr_cpu_ids();
	percpu_regs = meta_alloc(percpu_nr_cpus * sizeof(*percpu_regs));
	if (!percpu_regs)
		return false;
	/* Address space only: a CPU's pages are touched when it is used. */
	p = mmap(NULL, (size_t)percpu_nr_cpus * CPU_BLOCK_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		meta_free(percpu_regs, percpu_nr_cpus * sizeof(*percpu_regs));
		percpu_regs = NULL;
		return false;
	}
	percpu_fast.base = p;
	return true;
}

/* The mode for a USLAB_CPU_MODE value: 0 thread, 1 cpu, 2 auto.  Asking
 * for cpu where it cannot be is reported, and thread is used. */
static int percpu_apply(long mode)
{
	if (mode == 0) {
		/* What the CPU entries hold stays there until a reclaim or
		 * destroy drains it (a fast path that read the flag as set
		 * may still be filling one). */
		__atomic_store_n(&percpu_fast.enabled, 0, __ATOMIC_RELEASE);
		strcpy(percpu_mode_name, "thread");
		if (percpu_possible)
			percpu_why = "thread mode asked for (USLAB_CPU_MODE)";
		return 0;
	}
	if (!percpu_possible) {
		if (mode == 1)
			uslab_reportf("uslab: USLAB_CPU_MODE=cpu: not available here (%s); thread mode\n",
				      percpu_why);
		return mode == 1 ? -1 : 0;
	}
	percpu_why = "rseq registered by glibc, membarrier expedited rseq";
	strcpy(percpu_mode_name, "cpu");
	percpu_fast.area = rseq_area_offset;
	__atomic_store_n(&percpu_fast.enabled, 1, __ATOMIC_RELEASE);
	return 0;
}

void percpu_init(void)
{
	const char *why;

	if (!rseq_setup(&why))
		percpu_why = why;
	else if (!percpu_area_init())
		percpu_why = "no memory for the per-CPU entries";
	else
		percpu_possible = true;
	options_set_apply(USLAB_OPT_CPU_MODE, percpu_apply);
	if (percpu_apply(uslab_opt(USLAB_OPT_CPU_MODE)))
		uslab_options[USLAB_OPT_CPU_MODE] = 0;
}

USLAB_API const char *uslab_cpu_mode(void)
{
	return __atomic_load_n(&percpu_fast.enabled, __ATOMIC_RELAXED) ? "cpu" : "thread";
}


USLAB_API const char *uslab_cpu_mode_reason(void)
{
	return percpu_why;
}
