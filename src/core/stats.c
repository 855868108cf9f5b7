/*
 * stats.c - SLUB's statistics counters and the per-cache figures built on
 * them.
 *
 * A counter lives in the thread's struct kmem_cache_cpu (no shared cache
 * line on any path) and is folded into s->stat_total when the thread
 * exits or the cache's entries are flushed; threadless paths add to
 * stat_total directly.  Sums are taken under thread_list_lock, which is
 * also what a thread holds while it folds, so nothing is counted twice.
 * Objects in use are exact: every object allocated counts once as
 * ALLOC_FASTPATH or ALLOC_SLOWPATH, every object freed once as
 * FREE_FASTPATH or FREE_SLOWPATH.
 */
#include <string.h>

#include "core/object.h"
#include "core/personality.h"

static const char *const stat_names[USLAB_NR_STATS] = {
#define STAT_NAME(name) #name,
	USLAB_STAT_LIST(STAT_NAME)
#undef STAT_NAME
};

void stat_add_slow(struct kmem_cache *s, struct kmem_cache_cpu *c, enum stat_item i,
		   unsigned long n)
{
	(void)c;
	__atomic_add_fetch(&s->stat_total[i], n, __ATOMIC_RELAXED);
}

/* Called with thread_list_lock held. */
void cache_stats_fold(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	for (int i = 0; i < USLAB_NR_STATS; i++) {
		uint64_t v = READ_ONCE(c->stat[i]);

		if (v) {
			__atomic_add_fetch(&s->stat_total[i], v, __ATOMIC_RELAXED);
			WRITE_ONCE(c->stat[i], 0);
		}
	}
}

static void cache_stats_sum_locked(struct kmem_cache *s, uint64_t out[USLAB_NR_STATS])
{
	struct thread_reg *r;

	for (int i = 0; i < USLAB_NR_STATS; i++)
		out[i] = __atomic_load_n(&s->stat_total[i], __ATOMIC_RELAXED);
	list_for_each_entry(r, &thread_list, list) {
		struct kmem_cache_cpu *c = thread_cpu_entry(r, s->cpu_index);

		if (!c || READ_ONCE(c->cache) != s)
			continue;
		for (int i = 0; i < USLAB_NR_STATS; i++)
			out[i] += READ_ONCE(c->stat[i]);
		if (r->is_cpu) {
			uint64_t allocs, frees;

			if (s->flags & SLAB_UNIFIED) {
				uint64_t word = READ_ONCE(c->fast_word);

				cpu_entry_unfolded((uint32_t)(word >> 32), (uint32_t)word,
						   READ_ONCE(c->fold_size), &allocs, &frees);
			} else {
				slub_head_unfolded((uintptr_t)READ_ONCE(c->freelist), &allocs,
						   &frees);
			}
			out[ALLOC_FASTPATH] += allocs;
			out[FREE_FASTPATH] += frees;
		}
	}
}

void cache_stats_sum(struct kmem_cache *s, uint64_t out[USLAB_NR_STATS])
{
	spin_lock(&thread_list_lock);
	cache_stats_sum_locked(s, out);
	spin_unlock(&thread_list_lock);
}

/* Called with slab_mutex held (s cannot go away). */
void cache_info_locked(struct kmem_cache *s, struct uslab_cache_info *info)
{
	uint64_t st[USLAB_NR_STATS];
	struct thread_reg *r;
	long active;

	memset(info, 0, sizeof(*info));
	info->name = s->name;
	info->object_size = s->object_size;
	info->size = s->size;
	info->align = s->align;
	info->order = s->oo.order;
	info->objs_per_slab = s->oo.objects;
	info->refcount = (unsigned int)(s->refcount > 0 ? s->refcount : 0);
	info->min_partial = s->min_partial;
	info->cpu_partial_slabs = s->cpu_partial_slabs;
	info->flags = s->flags;
	info->has_ctor = s->ctor != NULL;
	info->destroyed = s->dead;
	info->allocator = s->ops->name;
	info->queue_limit = s->queue_limit;
	info->batchcount = s->batchcount;
	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		struct kmem_cache_node *n = get_node(s, (int)i);

		info->nr_slabs += __atomic_load_n(&n->nr_slabs, __ATOMIC_RELAXED);
		info->total_objs += __atomic_load_n(&n->total_objects, __ATOMIC_RELAXED);
		info->nr_partial += READ_ONCE(n->nr_partial);
		info->pages += __atomic_load_n(&n->nr_pages, __ATOMIC_RELAXED);
		info->rcu_slabs += __atomic_load_n(&n->rcu_slabs, __ATOMIC_RELAXED);
		info->rcu_pages += __atomic_load_n(&n->rcu_pages, __ATOMIC_RELAXED);
		info->barn_sheaves += READ_ONCE(n->barn.nr_full) + READ_ONCE(n->barn.nr_empty);
	}

	spin_lock(&thread_list_lock);
	cache_stats_sum_locked(s, st);
	list_for_each_entry(r, &thread_list, list) {
		struct kmem_cache_cpu *c = thread_cpu_entry(r, s->cpu_index);

		if (c && READ_ONCE(c->cache) == s)
			s->ops->cpu_info(s, c, info);
	}
	spin_unlock(&thread_list_lock);

	active = (long)(st[ALLOC_FASTPATH] + st[ALLOC_SLOWPATH]) -
		 (long)(st[FREE_FASTPATH] + st[FREE_SLOWPATH]);
	info->active_objs = active > 0 ? (unsigned long)active : 0;
	/* A racy snapshot can run ahead of the slab counts; keep it sane. */
	if (info->active_objs > info->total_objs)
		info->active_objs = info->total_objs;
	if (info->queued_objs > info->total_objs)
		info->queued_objs = info->total_objs;
}

USLAB_API int uslab_cache_info(struct kmem_cache *s, struct uslab_cache_info *info)
{
	if (!s || !info)
		return -1;
	slab_mutex_lock();
	cache_info_locked(s, info);
	slab_mutex_unlock();
	return 0;
}

USLAB_API const char *uslab_stat_name(enum uslab_stat_item item)
{
	if ((unsigned)item >= USLAB_NR_STATS)
		return NULL;
	return stat_names[item];
}

USLAB_API uint64_t uslab_cache_stat(struct kmem_cache *s, enum uslab_stat_item item)
{
	uint64_t st[USLAB_NR_STATS];

	if (!s || (unsigned)item >= USLAB_NR_STATS)
		return 0;
	cache_stats_sum(s, st);
	return st[item] - __atomic_load_n(&s->stat_base[item], __ATOMIC_RELAXED);
}

USLAB_API void uslab_cache_stat_clear(struct kmem_cache *s)
{
	uint64_t st[USLAB_NR_STATS];

	if (!s)
		return;
	cache_stats_sum(s, st);
	for (int i = 0; i < USLAB_NR_STATS; i++)
		__atomic_store_n(&s->stat_base[i], st[i], __ATOMIC_RELAXED);
}

/* For mallinfo2: bytes of live objects counted by their slots, and bytes
 * of the pages slabs hold. */
void memory_totals_get(unsigned long *live_slot_bytes, unsigned long *slab_bytes)
{
	struct kmem_cache *s;

	*live_slot_bytes = *slab_bytes = 0;
	slab_mutex_lock();
	list_for_each_entry(s, &slab_caches, list) {
		struct uslab_cache_info ci;

		cache_info_locked(s, &ci);
		*live_slot_bytes += ci.active_objs * ci.size;
		*slab_bytes += ci.pages * PAGE_SIZE;
	}
	slab_mutex_unlock();
}
