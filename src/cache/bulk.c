/*
 * bulk.c - kmem_cache_alloc_bulk, kmem_cache_free_bulk and kfree_bulk.
 *
 * Allocation runs the allocation fast path in a loop; it is all or
 * nothing.  Freeing groups the objects of
 * one slab into a detached freelist (looking a few entries back for more
 * of the same slab, as SLUB does) and frees each group at once: onto the
 * cpu freelist when the slab is the cpu slab, else with one cmpxchg.
 * Each pointer is checked as a single free checks it, and a pointer that
 * comes twice into one detached list is found by its index (a map per
 * list) and reported: a freelist built through it would lose objects.
 * Copies further apart (in two lists of one slab) go unseen, as a single
 * free of an object no longer among the last freed does (DESIGN.md).
 * Objects of debug caches, of unified caches (which keep no freelists),
 * and of caches with a hardened or zeroing freelist go one by one through
 * the free path.
 */
#include <string.h>

#include "base/start.h"
#include "cache/cache.h"
#include "cache/fastpath.h"
#include "debug/debug.h"
#include "slub/slub.h"

USLAB_ENTRY int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t size, void **p)
{
	size_t i;

	for (i = 0; i < size; i++) {
		p[i] = slab_alloc_node(s, flags, NUMA_NO_NODE, 0);
		if (unlikely(!p[i]))
			goto error;
	}
	return (int)size;
error:
	kmem_cache_free_bulk(s, i, p);
	return 0;
}

/* Objects of a detached list marked by index: a pointer that comes twice
 * into one list is found there, where the heads' test below cannot see
 * it.  Indices beyond (tiny objects in big slabs) are looked up in the
 * list itself. */
#define DF_MAP_OBJECTS 4096

struct detached_freelist {
	struct kmem_cache *s;
	struct slab *slab;
	void *head, *tail;
	unsigned int cnt;
	unsigned int map_objects;   /* indices below this are in map[] */
	uint64_t map[DF_MAP_OBJECTS / 64];
};

/* Checks one pointer handed to a bulk free; NULL when it must be skipped
 * (reported) or was freed another way (large kmalloc objects). */
static struct slab *bulk_object_slab(struct kmem_cache *s, void *object, struct kmem_cache **cs,
				     const char *caller)
{
	struct slab *slab = virt_to_slab_checked(object);

	if (unlikely(!slab)) {
		bug_unmapped_pointer(object, caller);
		return NULL;
	}
	if (!slab->slab_cache) {
		if (s)
			slab_bug_wrong_cache(s, slab, object);
		else
			free_without_cache(object);
		return NULL;
	}
	if (s && unlikely(slab->slab_cache != s)) {
		slab_bug_wrong_cache(s, slab, object);
		return NULL;
	}
	*cs = slab->slab_cache;
	if (kmem_cache_debug(*cs) || ((*cs)->flags & (__SLAB_CHECKED | SLAB_UNIFIED))) {
		slab_free(*cs, slab, object, true);
		return NULL;
	}
	if (!check_object_pointer(*cs, slab, object, caller))
		return NULL;
	return slab;
}

/*
 * The single free's double-free test, made before a bulk free writes an
 * object's free pointer: an object that is the head of its slab's
 * freelist, of this thread's or CPU's cpu freelist, or this thread's
 * c->second is free already (a second kfree_rcu of it, say), and its free
 * pointer is part of a freelist.  Reported and left alone.  The heads
 * are read once for a detached list (its objects share a slab).  Plain
 * slub caches only: bulk_object_slab sends the others (unified, checked,
 * debug) one by one through slab_free.
 */
struct bulk_heads {
	void *slab_head;            /* slab->freelist */
	void *cpu_head;
	struct kmem_cache_cpu *c;   /* the thread's entry, for c->second */
};

/* Read once: an object the caller owns becomes a head during the call only
 * if someone else frees it too. */
static void bulk_heads_of(struct kmem_cache *s, const struct slab *slab, struct bulk_heads *bh)
{
	struct kmem_cache_cpu *c;

	bh->slab_head = READ_ONCE(slab->freelist);
	bh->cpu_head = NULL;
	bh->c = NULL;
	c = slow_cpu_slab(s);
	if (c && c->slab == slab) {
		bh->cpu_head = c->freelist;
		bh->c = c;
	} else if (!c) {
		bh->cpu_head = percpu_cpu_freelist_head(s, slab);
	}
}

static __always_inline bool bulk_already_free(struct kmem_cache *s, struct slab *slab,
					       const struct bulk_heads *bh, void *object)
{
	if (likely(object != bh->slab_head && object != bh->cpu_head &&
		   (!bh->c || object != bh->c->second || !cpu_freelist_recent(s, bh->c, object))))
		return false;
	slab_bug_double_free(s, slab, object);
	return true;
}

/* Is object (at index idx) in df's list already?  Marks it if not. */
static bool df_seen(struct detached_freelist *df, unsigned int idx, void *object)
{
	if (likely(idx < df->map_objects)) {
		uint64_t bit = 1ull << (idx % 64);

		if (df->map[idx / 64] & bit)
			return true;
		df->map[idx / 64] |= bit;
		return false;
	}
	for (void *o = df->head; o; o = get_freepointer(df->s, o))
		if (o == object)
			return true;
	return false;
}

/* Builds a freelist of the objects of one slab from the end of p[],
 * clearing the entries it takes; returns how many entries remain. */
static size_t build_detached_freelist(struct kmem_cache *s, size_t size, void **p,
				      struct detached_freelist *df, const char *caller)
{
	unsigned int lookahead = 3;
	size_t first_skipped = 0;
	struct bulk_heads bh;
	unsigned int objects;
	void *object;

	df->slab = NULL;
	do {
		object = p[--size];
		p[size] = NULL;
	} while (!object && size);
	if (!object)
		return 0;
	df->slab = bulk_object_slab(s, object, &df->s, caller);
	if (!df->slab)
		return size;
	bulk_heads_of(df->s, df->slab, &bh);
	objects = ((union slab_counters){ .counters = READ_ONCE(df->slab->counters) }).objects;
	if (unlikely(bulk_already_free(df->s, df->slab, &bh, object))) {
		df->slab = NULL;
		return size;
	}
	df->map_objects = objects < DF_MAP_OBJECTS ? objects : DF_MAP_OBJECTS;
	memset(df->map, 0, (df->map_objects + 63) / 64 * sizeof(df->map[0]));
	df->head = NULL;
	df_seen(df, obj_to_index(df->s, df->slab, object), object);
	kasan_slab_free(df->s, object);
	set_freepointer(df->s, object, NULL);
	df->head = df->tail = object;
	df->cnt = 1;

	while (size) {
		object = p[--size];
		if (!object)
			continue;
		if (segment_is_mapped(object) && virt_to_slab(object) == df->slab) {
			unsigned int idx = obj_to_index(df->s, df->slab, object);

			if (!(likely(object_start(df->s, df->slab, object) && idx < objects) ||
			      check_object_pointer(df->s, df->slab, object, caller)) ||
			    unlikely(bulk_already_free(df->s, df->slab, &bh, object))) {
				p[size] = NULL;
				continue;
			}
			if (unlikely(df_seen(df, idx, object))) {
				slab_bug_double_free(df->s, df->slab, object);
				p[size] = NULL;
				continue;
			}
			kasan_slab_free(df->s, object);
			set_freepointer(df->s, object, df->head);
			df->head = object;
			df->cnt++;
			p[size] = NULL;
			continue;
		}
		if (!--lookahead)
			break;
		if (!first_skipped)
			first_skipped = size + 1;
	}
	return first_skipped;
}

static void free_detached(struct detached_freelist *df)
{
	struct kmem_cache *s = df->s;
	struct kmem_cache_cpu *c = slow_cpu_slab(s);

	if (!c)
		c = this_cpu_slab_slow(s);
	if (c && df->slab == c->slab) {
		set_freepointer(s, df->tail, c->freelist);
		WRITE_ONCE(c->freelist, df->head);
		c->second = NULL;
		COUNTER_ADD(c->stat[FREE_FASTPATH], df->cnt);
		return;
	}
	if (c && !c->cache)
		WRITE_ONCE(c->cache, s);
	__slab_free(s, df->slab, df->head, df->tail, df->cnt, c);
}

/* A slow path as a whole (alloc.c): what it frees may call out (a slab
 * given back starts the purger, a report goes to the sink) only once the
 * batch is done. */
static void free_bulk(struct kmem_cache *s, size_t size, void **p, const char *caller)
{
	slow_path_enter();
	while (size) {
		struct detached_freelist df;

		size = build_detached_freelist(s, size, p, &df, caller);
		if (df.slab)
			free_detached(&df);
	}
	slow_path_exit();
}

USLAB_ENTRY void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p)
{
	free_bulk(s, size, p, "kmem_cache_free_bulk");
}

void kfree_bulk_caller(size_t size, void **p, const char *caller)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] == ZERO_SIZE_PTR)
			p[i] = NULL;
	free_bulk(NULL, size, p, caller);
}

USLAB_ENTRY void kfree_bulk(size_t size, void **p)
{
	kfree_bulk_caller(size, p, "kfree_bulk");
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(kmem_cache_alloc_bulk);
USLAB_KERNEL_ALIAS(kmem_cache_free_bulk);
USLAB_KERNEL_ALIAS(kfree_bulk);
