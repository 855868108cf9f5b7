/*
 * slab.c - the registry of caches; and slabs in and out of the page
 * allocator, for both personalities and the debug caches alike.
 *
 * A new slab is counted in its node, its objects prepared by debug
 * (through the hooks debug/ hands over) and constructed, then recorded as
 * free by the personality (init_slab: a freelist or a bitmap).  A
 * discarded slab gives back what the personality took for it, then its
 * pages.  Neither runs with a lock held: new_slab calls the constructors
 * (CALLING OUT in slab.h), and the page allocator's node lock is the
 * innermost one.
 */
#include <string.h>

#include "base/report.h"
#include "core/object.h"
#include "core/personality.h"
#include "page/page_alloc.h"

/* The registry: every cache, created and destroyed by cache/cache.c,
 * walked by whoever reports or reclaims, under slab_mutex. */
spinlock_t slab_mutex = SPINLOCK_INIT(LOCK_RANK_SLAB_MUTEX);
struct list_head slab_caches = LIST_HEAD_INIT(slab_caches);

/* Until debug/ starts (debug_options_init), no cache is a debug cache:
 * these are never called (new_slab says so if they are). */
static void no_setup_slab(struct kmem_cache *s, struct slab *slab, void *start)
{
	(void)slab, (void)start;
	/* A debug cache without debug's preparation would report its own
	 * untouched red zones as overwritten: a bug of the start order. */
	uslab_reportf("uslab: BUG: debug cache %s got a slab before debug started\n", s->name);
}

static void no_setup_object(struct kmem_cache *s, void *object)
{
	(void)s, (void)object;
}

static const struct slab_debug_hooks no_debug_hooks = {
	.setup_slab = no_setup_slab,
	.setup_object = no_setup_object,
};
static const struct slab_debug_hooks *debug_hooks = &no_debug_hooks;

void slab_set_debug_hooks(const struct slab_debug_hooks *hooks)
{
	debug_hooks = hooks ? hooks : &no_debug_hooks;
}

static struct slab *allocate_slab(struct kmem_cache *s, gfp_t flags, int node,
				  struct kmem_cache_cpu *c)
{
	struct uslab_page_allocator *pa = cache_page_allocator(s);
	struct kmem_cache_order_objects oo = { READ_ONCE(s->oo.order), 0 };
	struct kmem_cache_node *n;
	struct slab *slab;
	unsigned int objects;
	uint32_t *info;
	char *start;

	slab = pa_alloc_pages(pa, oo.order, node, flags, PAGE_SLAB);
	if (unlikely(!slab) && oo.order != s->min.order) {
		oo = s->min;
		slab = pa_alloc_pages(pa, oo.order, node, flags, PAGE_SLAB);
		if (slab)
			stat(s, c, ORDER_FALLBACK);
	}
	if (unlikely(!slab))
		return NULL;

	objects = s->ops->objects_per_slab(s, oo.order);
	/* The info words before the cache: a free that sees the cache
	 * sees them.  The page allocator clears them when the run is freed. */
	info = virt_to_page_info(slab_address(slab));
	for (unsigned int i = 0; i < 1u << oo.order; i++)
		__atomic_store_n(&info[i], page_info_make(s->cpu_index, oo.order), __ATOMIC_RELAXED);
	__atomic_store_n(&slab->slab_cache, s, __ATOMIC_RELEASE);
	slab->objects = objects;
	slab->inuse = 0;
	slab->frozen = 0;
	start = slab_address(slab);
	if (kmem_cache_debug(s))
		debug_hooks->setup_slab(s, slab, start);
	/* Most caches have neither: no walk over the objects then (a tenth
	 * of a batch of 100,000 mallocs went to an empty loop). */
	if (kmem_cache_debug(s) || s->ctor) {
		for (unsigned int i = 0; i < objects; i++) {
			char *p = slab_object(s, start, i);

			if (kmem_cache_debug(s))
				debug_hooks->setup_object(s, p);
			if (s->ctor)
				s->ctor(p);
		}
	}
	if (unlikely(!s->ops->init_slab(s, slab, start, objects))) {
		pa_free_pages(pa, slab);
		return NULL;
	}
	/* Nothing of a new slab is an object yet. */
	if (!(s->flags & SLAB_TYPESAFE_BY_RCU))
		kasan_poison(start, (size_t)objects * s->size);
	tool_noaccess(start, slab_bytes(slab));

	n = get_node(s, slab_nid(slab));
	__atomic_add_fetch(&n->nr_slabs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&n->total_objects, objects, __ATOMIC_RELAXED);
	__atomic_add_fetch(&n->nr_pages, 1UL << slab->order, __ATOMIC_RELAXED);
	return slab;
}

struct slab *new_slab(struct kmem_cache *s, gfp_t flags, int node, struct kmem_cache_cpu *c)
{
	struct slab *slab = allocate_slab(s, flags & ~__GFP_ZERO, node, c);

	if (slab)
		stat(s, c, ALLOC_SLAB);
	return slab;
}

/* The slab goes back to the page allocator: its personality's metadata
 * first, then its memory, which ASan then sees as nobody's (the page
 * allocator's next user unpoisons what it gets: page_alloc.h). */
static void free_slab(struct kmem_cache *s, struct slab *slab)
{
	if (s->ops->release_slab)
		s->ops->release_slab(s, slab);
	kasan_poison(slab_address(slab), slab_bytes(slab));
	tool_access(slab_address(slab), slab_bytes(slab));
	pa_free_pages(cache_page_allocator(s), slab);
}

/* A SLAB_TYPESAFE_BY_RCU slab whose grace period is over. */
static void rcu_free_slab(struct rcu_deferred *item)
{
	struct slab *slab = container_of((struct list_head *)item, struct slab, slab_list);
	struct kmem_cache *s = slab->slab_cache;
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));

	__atomic_sub_fetch(&n->rcu_slabs, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&n->rcu_pages, 1UL << slab->order, __ATOMIC_RELAXED);
	free_slab(s, slab);
}

_Static_assert(sizeof(struct rcu_deferred) <= sizeof(((struct slab *)0)->slab_list),
	       "a deferred slab's item lies in its slab_list");

/* The slab is on no list and nobody can reach it but lockless readers of
 * a SLAB_TYPESAFE_BY_RCU cache: such a slab waits for a grace period
 * (counted in rcu_slabs meanwhile), with its objects as they were. */
void discard_slab(struct kmem_cache *s, struct slab *slab)
{
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	union slab_counters cnt = { .counters = READ_ONCE(slab->counters) };

	__atomic_sub_fetch(&n->nr_slabs, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&n->total_objects, cnt.objects, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&n->nr_pages, 1UL << slab->order, __ATOMIC_RELAXED);
	if (s->flags & SLAB_TYPESAFE_BY_RCU) {
		__atomic_add_fetch(&n->rcu_slabs, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&n->rcu_pages, 1UL << slab->order, __ATOMIC_RELAXED);
		if (rcu_defer((struct rcu_deferred *)&slab->slab_list, rcu_free_slab))
			return;
		/* No flavour (keep_empty_slab kept the others): only a
		 * destroy gets here, after its readers are gone. */
		__atomic_sub_fetch(&n->rcu_slabs, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&n->rcu_pages, 1UL << slab->order, __ATOMIC_RELAXED);
	}
	free_slab(s, slab);
}

/* The whole object, not only the size asked for, as the kernel's: krealloc()
 * copies ksize() bytes, so the bytes past a kzalloc()'s size must read zero
 * for a __GFP_ZERO growth to be all zeros.  Debug caches (their red zone
 * starts at the size asked for) zero in alloc_debug's caller instead. */
void *slab_alloc_zero(struct kmem_cache *s, void *object, size_t orig_size)
{
	kasan_unpoison(object, s->object_size);
	memset(object, 0, s->object_size);
	kasan_slab_alloc(s, object, orig_size);
	return object;
}
