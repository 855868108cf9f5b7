/*
 * cache.c - the life of a cache: create (or merge into an existing one),
 * shrink, destroy; the registry of caches and their cpu indexes.
 *
 * slab_mutex guards slab_caches, every cache's name/refcount/aliases/dead,
 * and the cpu index bitmap.  It is taken only here and by reports, never
 * on an allocation path.  A cache's descriptor (its node locks and lists,
 * its method table pointer), its name, its aliases and its shuffled index
 * table are uslab metadata (meta.c): apart from every object, behind
 * guard pages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/meta.h"
#include "base/options.h"
#include "base/os.h"
#include "base/random.h"
#include "base/report.h"
#include "base/start.h"
#include "base/symbolize.h"
#include "cache/cache.h"
#include "cache/fastpath.h"
#include "core/personality.h"
#include "debug/debug.h"
#include "page/page_alloc.h"
#include "slub/slub.h"
#include "unified/sheaf.h"
#include "unified/unified.h"

/* Until kmalloc/ starts no pointer can be in a segment: never called. */
static void free_before_kmalloc(const void *object)
{
	uslab_reportf("uslab: %p freed without its cache before kmalloc started; ignored\n", object);
}

void (*free_without_cache)(const void *object) = free_before_kmalloc;


static uint64_t cpu_index_map[MAX_CACHES / 64];

static int alloc_cpu_index(void)
{
	for (unsigned int w = 0; w < ARRAY_SIZE(cpu_index_map); w++) {
		if (~cpu_index_map[w]) {
			unsigned int bit = (unsigned int)__builtin_ctzll(~cpu_index_map[w]);

			cpu_index_map[w] |= 1ULL << bit;
			return (int)(w * 64 + bit);
		}
	}
	return -1;
}

static void free_cpu_index(unsigned int idx)
{
	cpu_index_map[idx / 64] &= ~(1ULL << (idx % 64));
}

static size_t kmem_cache_struct_size(void)
{
	return sizeof(struct kmem_cache) + (size_t)os_nr_nodes() * sizeof(struct kmem_cache_node);
}

/* The flags a cache gets: the caller's, USLAB_DEBUG's for its name. */
static slab_flags_t kmem_cache_flags(const char *name, slab_flags_t flags)
{
	return flags | debug_flags_for(name);
}

/* A shuffled sequence of object indexes for random freelists (metadata). */
static bool init_random_seq(struct kmem_cache *s)
{
	unsigned int n = s->oo.objects;
	unsigned int *seq = meta_alloc(n * sizeof(unsigned int));

	if (!seq)
		return false;
	for (unsigned int i = 0; i < n; i++)
		seq[i] = i;
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = (unsigned int)(uslab_random64() % (i + 1)), t = seq[i];

		seq[i] = seq[j];
		seq[j] = t;
	}
	s->random_seq = seq;
	s->random_seq_len = n;
	return true;
}

static void free_random_seq(struct kmem_cache *s)
{
	meta_free(s->random_seq, s->random_seq_len * sizeof(unsigned int));
	s->random_seq = NULL;
	s->random_seq_len = 0;
}

/* Hardening and zeroing options: which fast path the cache takes. */
static void init_hardening(struct kmem_cache *s)
{
	s->flags &= ~(__SLAB_CHECKED | __SLAB_INIT_ON_ALLOC | __SLAB_INIT_ON_FREE | __SLAB_UNIFIED_FAST);
	s->fp_key = 0;
	s->fp_mix = 0;
	if (uslab_opt(USLAB_OPT_FREELIST_HARDENED)) {
		s->fp_key = (uintptr_t)uslab_random64();
		s->fp_mix = ~(uintptr_t)0;
		s->flags |= __SLAB_CHECKED;
	}
	if (!s->ctor && !(s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON))) {
		if (uslab_opt(USLAB_OPT_INIT_ON_ALLOC))
			s->flags |= __SLAB_INIT_ON_ALLOC | __SLAB_CHECKED;
		if (uslab_opt(USLAB_OPT_INIT_ON_FREE))
			s->flags |= __SLAB_INIT_ON_FREE | __SLAB_CHECKED;
	}
	/* After choose_personality(), as every caller has it. */
	if ((s->flags & (SLAB_UNIFIED | __SLAB_CHECKED)) == SLAB_UNIFIED)
		s->flags |= __SLAB_UNIFIED_FAST;
}

/* slub or unified: the flag asked for, else USLAB_ALLOCATOR.  Debug caches
 * keep slub's freelists, which the debug path walks. */
static void choose_personality(struct kmem_cache *s)
{
	bool unified = s->flags & SLAB_UNIFIED;

	if (!(s->flags & (SLAB_SLUB | SLAB_UNIFIED)))
		unified = uslab_opt(USLAB_OPT_ALLOCATOR) == 1;
	s->flags &= ~(SLAB_SLUB | SLAB_UNIFIED);
	if (unified && !kmem_cache_debug(s)) {
		s->flags |= SLAB_UNIFIED;
		s->ops = &unified_personality;
	} else {
		s->flags |= SLAB_SLUB;
		s->ops = &slub_personality;
	}
}

/* Fills in s from the arguments; the registry fields are the caller's. */
static bool init_cache(struct kmem_cache *s, const char *name, unsigned int size,
		       const struct kmem_cache_args *args, slab_flags_t flags)
{
	s->name = name;
	s->object_size = size;
	s->flags = flags;
	s->ctor = args->ctor;
	s->align = calculate_alignment(flags, args->align, size);
	s->use_freeptr_offset = args->use_freeptr_offset;
	s->freeptr_offset = args->freeptr_offset;
	s->nr_nodes = (unsigned int)os_nr_nodes();
	s->cmpxchg_double = cmpxchg_double_available() &&
			    !uslab_opt(USLAB_OPT_NO_CMPXCHG_DOUBLE);
	s->refcount = 1;
	choose_personality(s);
	INIT_LIST_HEAD(&s->aliases);
	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		struct kmem_cache_node *n = &s->node[i];

		spin_lock_init(&n->list_lock, LOCK_RANK_LIST);
		INIT_LIST_HEAD(&n->partial);
		INIT_LIST_HEAD(&n->full);
		n->nr_partial = 0;
		n->nr_slabs = 0;
		n->total_objects = 0;
		n->nr_pages = 0;
		spin_lock_init(&n->barn.lock, LOCK_RANK_BARN);
		INIT_LIST_HEAD(&n->barn.full);
		INIT_LIST_HEAD(&n->barn.empty);
		n->barn.nr_full = n->barn.nr_empty = 0;
	}
	init_hardening(s);
	if (!calculate_sizes(s))
		return false;
	if (uslab_opt(USLAB_OPT_RANDOM_FREELIST))
		s->flags |= SLAB_RANDOM_FREELIST;
	if ((s->flags & SLAB_RANDOM_FREELIST) && !init_random_seq(s))
		return false;
	return true;
}

/* Called with slab_mutex held.  name must stay valid: it is kept. */
struct kmem_cache *create_cache(const char *name, unsigned int size,
				const struct kmem_cache_args *args, slab_flags_t flags)
{
	struct kmem_cache *s;
	int idx = alloc_cpu_index();

	if (idx < 0) {
		uslab_reportf("uslab: kmem_cache_create(%s): more than %d caches\n", name,
			      MAX_CACHES);
		return NULL;
	}
	s = meta_alloc(kmem_cache_struct_size());
	if (!s) {
		free_cpu_index((unsigned int)idx);
		return NULL;
	}
	s->cpu_index = (unsigned int)idx;
	if (!init_cache(s, name, size, args, flags)) {
		uslab_reportf("uslab: kmem_cache_create(%s): no slab can hold a %u-byte object\n",
			      name, size);
		free_cpu_index((unsigned int)idx);
		meta_free(s, kmem_cache_struct_size());
		return NULL;
	}
	if (s->cpu_index < CPU_FAST_ENTRIES)
		__atomic_store_n(&percpu_caches[s->cpu_index], s, __ATOMIC_RELEASE);
	list_add_tail(&s->list, &slab_caches);
	return s;
}

static const char *create_error(const char *name, unsigned int size, unsigned int align,
				slab_flags_t flags)
{
	if (!name || !*name)
		return "a cache needs a name";
	if (!size)
		return "object size is 0";
	if (size > (PAGE_SIZE << PAGE_ALLOC_MAX_ORDER))
		return "object size is larger than the largest slab (2 MiB)";
	if (align && !is_power_of_2(align))
		return "alignment is not a power of two";
	if (align > (PAGE_SIZE << PAGE_ALLOC_MAX_ORDER))
		return "alignment is larger than the largest slab (2 MiB)";
	if (flags & ~SLAB_FLAGS_PERMITTED)
		return "unknown flags";
	if ((flags & SLAB_SLUB) && (flags & SLAB_UNIFIED))
		return "SLAB_SLUB and SLAB_UNIFIED together";
	return NULL;
}

static void __cold creation_failed(const char *name, slab_flags_t flags)
{
	if (flags & SLAB_PANIC) {
		uslab_reportf("uslab: kmem_cache_create(%s) failed and SLAB_PANIC is set\n",
			      name ? name : "(null)");
		abort();
	}
}

/* The arguments of kmem_cache_args beyond align and ctor. */
static const char *args_error(unsigned int size, const struct kmem_cache_args *args,
			      slab_flags_t flags)
{
	if (args->use_freeptr_offset &&
	    (args->freeptr_offset > size - sizeof(void *) || size < sizeof(void *) ||
	     args->freeptr_offset % sizeof(void *) || !(flags & SLAB_TYPESAFE_BY_RCU)))
		return "freeptr_offset must leave a pointer-aligned word inside the object, for SLAB_TYPESAFE_BY_RCU";
	if (args->usersize > size || args->useroffset > size - args->usersize)
		return "the usercopy region leaves the object";
	if (args->sheaf_capacity > MAX_SHEAF_CAPACITY)
		return "sheaf_capacity is larger than a sheaf holds (254)";
	return NULL;
}

USLAB_API struct kmem_cache *__kmem_cache_create_args(const char *name, unsigned int size,
						      struct kmem_cache_args *args,
						      slab_flags_t flags)
{
	struct kmem_cache *s;
	unsigned int align = args ? args->align : 0;
	const char *err;
	char *copy;

	uslab_ensure_init();
	err = args ? create_error(name, size, align, flags) :
		     "no struct kmem_cache_args (NULL, or a void * that is not NULL)";
	if (!err)
		err = args_error(size, args, flags);
	if (err) {
		uslab_reportf("uslab: kmem_cache_create(%s, size=%u, align=%u, flags=%#x): %s\n",
			      name ? name : "(null)", size, align, flags, err);
		creation_failed(name, flags);
		return NULL;
	}
	/* Never merged: a region the kernel guards, a layout or a sheaf
	 * size asked for. */
	if (args->usersize || args->use_freeptr_offset || args->sheaf_capacity)
		flags |= SLAB_NO_MERGE;
	flags = kmem_cache_flags(name, flags & ~SLAB_KMALLOC);
	if (uslab_opt(USLAB_OPT_RANDOM_FREELIST))
		flags |= SLAB_RANDOM_FREELIST;
	/* The personality is settled before merging: only like merges. */
	if (!(flags & (SLAB_SLUB | SLAB_UNIFIED)))
		flags |= uslab_opt(USLAB_OPT_ALLOCATOR) == 1 ? SLAB_UNIFIED : SLAB_SLUB;
	copy = meta_strdup(name);
	if (!copy) {
		creation_failed(name, flags);
		return NULL;
	}

	slab_mutex_lock();
	s = find_mergeable(size, align, flags, name, args->ctor);
	if (s) {
		struct kmem_cache_alias *alias = meta_alloc(sizeof(*alias));

		if (alias) {
			alias->name = copy;
			list_add_tail(&alias->list, &s->aliases);
			s->refcount++;
			if (size > s->object_size)
				s->object_size = size;
			if (ALIGN(size, (unsigned int)sizeof(void *)) > s->inuse)
				s->inuse = ALIGN(size, (unsigned int)sizeof(void *));
			slab_mutex_unlock();
			tune_apply(s, name);
			return s;
		}
		s = NULL;
	} else {
		s = create_cache(copy, size, args, flags);
		/* slub has no sheaves: there the capacity means nothing. */
		if (s && args->sheaf_capacity && s->ops == &unified_personality) {
			unified_set_queue_limit(s, args->sheaf_capacity);
			if (s->batchcount > args->sheaf_capacity)
				s->batchcount = args->sheaf_capacity;
		}
	}
	slab_mutex_unlock();
	if (!s) {
		meta_strfree(copy);
		creation_failed(name, flags);
		return NULL;
	}
	tune_apply(s, name);
	return s;
}

/* The classic form, also the symbol a program without the macro links. */
USLAB_API struct kmem_cache *(kmem_cache_create)(const char *name, unsigned int size,
						 unsigned int align, slab_flags_t flags,
						 void (*ctor)(void *))
{
	struct kmem_cache_args args = { .align = align, .ctor = ctor };

	return __kmem_cache_create_args(name, size, &args, flags);
}

USLAB_API struct kmem_cache *kmem_cache_create_usercopy(const char *name, unsigned int size,
							unsigned int align, slab_flags_t flags,
							unsigned int useroffset,
							unsigned int usersize,
							void (*ctor)(void *))
{
	struct kmem_cache_args args = {
		.align = align, .ctor = ctor, .useroffset = useroffset, .usersize = usersize,
	};

	return __kmem_cache_create_args(name, size, &args, flags);
}

/* listed: s is still on slab_caches (a cache whose RCU slabs were waited
 * for left it before the wait). */
static void free_cache(struct kmem_cache *s, bool listed)
{
	free_random_seq(s);
	if (listed)
		list_del(&s->list);
	if (s->cpu_index < CPU_FAST_ENTRIES)
		WRITE_ONCE(percpu_caches[s->cpu_index], NULL);
	free_cpu_index(s->cpu_index);
	if (!s->name_static)
		meta_strfree(s->name);
	if (s->fault)
		meta_free(s->fault, sizeof(*s->fault));
	meta_free(s, kmem_cache_struct_size());
}

static void __cold report_leak(struct kmem_cache *s, unsigned long slabs, void *caller)
{
	uint64_t st[USLAB_NR_STATS];
	struct report_buf r;
	char where[128];
	long objects;

	cache_stats_sum(s, st);
	objects = (long)(st[ALLOC_FASTPATH] + st[ALLOC_SLOWPATH]) -
		  (long)(st[FREE_FASTPATH] + st[FREE_SLOWPATH]);
	report_init(&r);
	report_bug(&r, s->name, "Objects remaining in %s on __kmem_cache_shutdown()", s->name);
	report_add(&r, "INFO: %ld objects remaining in %lu slabs\n", objects, slabs);
	if (kmem_cache_debug(s))
		list_remaining_objects(s, &r);
	format_address(where, sizeof(where), (uintptr_t)caller);
	report_add(&r, "kmem_cache_destroy %s: Slab cache still has objects when called from %s\n",
		   s->name, where);
	report_add(&r, "\n");
	report_fix(&r, s->name, "Cache kept (not freed); its remaining objects stay valid");
	report_emit(&r);
}

/* Is s a cache of the registry?  Looked up, not read: a destroyed
 * cache's descriptor is freed memory.  slab_mutex held. */
static bool cache_is_live(const struct kmem_cache *s)
{
	struct kmem_cache *t;

	list_for_each_entry(t, &slab_caches, list)
		if (t == s)
			return true;
	return false;
}

USLAB_API void kmem_cache_destroy(struct kmem_cache *s)
{
	unsigned long remaining;

	if (!s)
		return;
	/* As the kernel's rcu_barrier() and kvfree_rcu_barrier() first:
	 * objects still queued by kfree_rcu are freed, and so are the
	 * slabs of RCU caches whose grace period is running. */
	if (rcu_defer_used())
		rcu_defer_barrier();
	slab_mutex_lock();
	if (unlikely(!cache_is_live(s))) {
		slab_mutex_unlock();
		uslab_reportf("uslab: kmem_cache_destroy(%p): not a live cache (destroyed twice?); ignored\n",
			      (void *)s);
		return;
	}
	/* A kmalloc cache lives for the process: a destroy of a cache merged
	 * into it beyond its aliases is a second destroy of that handle. */
	if (unlikely((s->flags & SLAB_KMALLOC) && s->refcount <= 1)) {
		slab_mutex_unlock();
		uslab_reportf("uslab: kmem_cache_destroy(%s): more destroys than kmem_cache_create()s merged into it (destroyed twice?); ignored\n",
			      s->name);
		return;
	}
	if (!s->dead) {
		if (--s->refcount > 0) {
			struct kmem_cache_alias *alias =
				list_last_entry(&s->aliases, struct kmem_cache_alias, list);

			list_del(&alias->list);
			meta_strfree(alias->name);
			meta_free(alias, sizeof(*alias));
			slab_mutex_unlock();
			return;
		}
	}
	if (!flush_all_threads(s)) {
		/* An entry still names s: its index and descriptor stay
		 * (freed, they would pass to the next cache made). */
		s->dead = true;
		slab_mutex_unlock();
		uslab_reportf("uslab: kmem_cache_destroy(%s): another thread's slow path of it still holds a CPU's entry (inside a constructor?); the cache is kept\n",
			      s->name);
		return;
	}
	remaining = s->ops->shrink(s, true);
	if (remaining) {
		s->dead = true;
		report_leak(s, remaining, __builtin_return_address(0));
	} else if ((s->flags & SLAB_TYPESAFE_BY_RCU) && rcu_grace_periods()) {
		/* The slabs just discarded wait for a grace period, and
		 * their frees need s: off the registry (a second destroy
		 * is refused), waited for without slab_mutex (a reader
		 * that creates a cache would hold up the grace period
		 * behind it, and fork takes the worker's lock first). */
		list_del(&s->list);
		slab_mutex_unlock();
		rcu_defer_barrier();
		slab_mutex_lock();
		free_cache(s, false);
	} else {
		free_cache(s, true);
	}
	slab_mutex_unlock();
}

USLAB_API int kmem_cache_shrink(struct kmem_cache *s)
{
	struct kmem_cache_cpu *c;

	if (!s)
		return 0;
	c = this_cpu_slab(s);
	if (c && c->cache == s) {
		thread_list_lock_acquire();
		s->ops->flush_cpu(s, c);
		thread_list_lock_release();
	}
	/* Every CPU's entry: the caller's cache lives while it shrinks it. */
	percpu_drain(s);
	s->ops->shrink(s, false);
	page_alloc_purge(true);
	return 0;
}

USLAB_API unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s ? s->object_size : 0;
}

/* Exact once the threads using s are quiet: every allocation and free is
 * counted once, on its thread (core/stats.c). */
USLAB_API long uslab_cache_live(struct kmem_cache *s)
{
	uint64_t st[USLAB_NR_STATS];

	if (!s)
		return 0;
	cache_stats_sum(s, st);
	return (long)(st[ALLOC_FASTPATH] + st[ALLOC_SLOWPATH]) -
	       (long)(st[FREE_FASTPATH] + st[FREE_SLOWPATH]);
}

USLAB_API const char *kmem_cache_name(struct kmem_cache *s)
{
	return s ? s->name : NULL;
}

static void caches_forget_page_allocator(struct uslab_page_allocator *pa)
{
	struct kmem_cache *s;

	slab_mutex_lock();
	list_for_each_entry(s, &slab_caches, list)
		if (s->page_alloc == pa)
			WRITE_ONCE(s->page_alloc, NULL);
	slab_mutex_unlock();
}

/* The page allocator goes: no cache may name it afterwards. */
USLAB_API void uslab_page_allocator_destroy(struct uslab_page_allocator *pa)
{
	if (!pa || !pa->ops->destroy)
		return;
	if (__atomic_load_n(&current_page_allocator, __ATOMIC_ACQUIRE) == pa)
		uslab_set_page_allocator(NULL);
	caches_forget_page_allocator(pa);
	pa->ops->destroy(pa);
}

USLAB_API int uslab_cache_set_page_allocator(struct kmem_cache *s,
					     struct uslab_page_allocator *pa)
{
	if (!s)
		return -1;
	WRITE_ONCE(s->page_alloc, pa);
	return 0;
}

USLAB_API int uslab_cache_set_should_fail(struct kmem_cache *s,
					  bool (*fn)(struct kmem_cache *s, gfp_t gfp, void *ctx),
					  void *ctx)
{
	struct cache_fault *f;

	if (!s) {
		uslab_reportf("uslab: uslab_cache_set_should_fail(NULL): no cache\n");
		return -EINVAL;
	}
	/* The callback is asked on failslab's path (debug/): the cache
	 * takes it, which it can only while it has no objects. */
	if (fn && !(s->flags & SLAB_FAILSLAB) &&
	    uslab_cache_set_debug(s, (s->flags & (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE |
						  SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE)) |
				     SLAB_FAILSLAB))
		return -EBUSY;
	slab_mutex_lock();
	f = s->fault;
	if (!f && fn) {
		f = meta_alloc(sizeof(*f));
		if (!f) {
			slab_mutex_unlock();
			uslab_reportf("uslab: uslab_cache_set_should_fail(%s): out of memory\n",
				      s->name);
			return -ENOMEM;
		}
	}
	if (f) {
		WRITE_ONCE(f->should_fail, fn);
		WRITE_ONCE(f->ctx, ctx);
		__atomic_store_n(&s->fault, f, __ATOMIC_RELEASE);
	}
	slab_mutex_unlock();
	return 0;
}

USLAB_API int uslab_cache_set_debug(struct kmem_cache *s, slab_flags_t debug_flags)
{
	const slab_flags_t settable = SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON |
				      SLAB_STORE_USER | SLAB_TRACE | SLAB_FAILSLAB;
	slab_flags_t old_flags;
	const char *why = NULL;

	if (!s)
		return -1;
	if (debug_flags & ~settable) {
		uslab_reportf("uslab: uslab_cache_set_debug(%s, %#x): not debug flags\n", s->name,
			      debug_flags);
		return -1;
	}
	/* U's unwinder loads with its first use and allocates: not under
	 * slab_mutex, with the cache half changed (calculate_sizes would
	 * load it there), where that allocation may come back to it. */
	if (debug_flags & SLAB_STORE_USER)
		track_init();
	slab_mutex_lock();
	if (s->refcount > 1 || s->dead) {
		why = s->dead ? "the cache is destroyed" : "other caches are merged into it";
	} else {
		if (!flush_all_threads(s))
			why = "another thread's slow path of it holds a CPU's entry";
		else if (s->ops->shrink(s, true))
			why = "it still has objects";
	}
	if (why) {
		slab_mutex_unlock();
		uslab_reportf("uslab: uslab_cache_set_debug(%s): %s\n", s->name, why);
		return -1;
	}
	old_flags = s->flags;
	s->flags = (s->flags & ~(settable | __OBJECT_POISON)) | debug_flags;
	if (old_flags & SLAB_UNIFIED)
		s->flags = (s->flags & ~SLAB_SLUB) | SLAB_UNIFIED;
	choose_personality(s);
	free_random_seq(s);
	init_hardening(s);
	if (!calculate_sizes(s) || ((s->flags & SLAB_RANDOM_FREELIST) && !init_random_seq(s))) {
		s->flags = old_flags;
		choose_personality(s);
		init_hardening(s);
		calculate_sizes(s);
		if (s->flags & SLAB_RANDOM_FREELIST)
			init_random_seq(s);
		slab_mutex_unlock();
		uslab_reportf("uslab: uslab_cache_set_debug(%s): no slab can hold the new layout\n",
			      s->name);
		return -1;
	}
	slab_mutex_unlock();
	return 0;
}

/* fork: every real cache's node locks (aliases share them); slab_mutex held. */
void caches_fork_lock(void)
{
	struct kmem_cache *s;

	list_for_each_entry(s, &slab_caches, list)
		for (unsigned int i = 0; i < s->nr_nodes; i++) {
			spin_lock(&s->node[i].list_lock);
			spin_lock(&s->node[i].barn.lock);
		}
}

void caches_fork_unlock(bool child)
{
	struct kmem_cache *s;

	list_for_each_entry(s, &slab_caches, list)
		for (unsigned int i = 0; i < s->nr_nodes; i++) {
			if (child) {
				spin_lock_init(&s->node[i].barn.lock, LOCK_RANK_BARN);
				spin_lock_init(&s->node[i].list_lock, LOCK_RANK_LIST);
			} else {
				spin_unlock(&s->node[i].barn.lock);
				spin_unlock(&s->node[i].list_lock);
			}
		}
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(__kmem_cache_create_args);
USLAB_KERNEL_ALIAS(kmem_cache_create);
USLAB_KERNEL_ALIAS(kmem_cache_create_usercopy);
USLAB_KERNEL_ALIAS(kmem_cache_destroy);
USLAB_KERNEL_ALIAS(kmem_cache_shrink);
USLAB_KERNEL_ALIAS(kmem_cache_size);
USLAB_KERNEL_ALIAS(kmem_cache_name);
