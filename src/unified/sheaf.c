/*
 * sheaf.c - the sheaves of the unified personality and the barn that
 * keeps whole sheaves per node.
 *
 * A sheaf is uslab metadata (meta.c): out of band, never beside objects,
 * and never allocated through a slab cache, so getting one calls nothing
 * that could come back into uslab.  Freed sheaves wait in a pool per
 * capacity class and are only ever reused as sheaves: a report that reads
 * another thread's sheaf while its owner frees it (READ_ONCE of the size)
 * reads a sheaf, never freed or foreign memory.  empty_sheaf (capacity 0)
 * stands in for "no sheaf" in a thread's entry, so that the fast paths
 * need no NULL test.
 *
 * pool.lock and barn.lock guard a pool's list and a barn's lists and
 * counts; both are leaves (no other lock is taken while one is held).
 */
#include <stdlib.h>

#include "base/meta.h"
#include "core/personality.h"
#include "unified/sheaf.h"


static const unsigned int sheaf_capacity[NR_SHEAF_CLASSES] = { 6, 14, 30, 62, 126, 254 };

static struct sheaf_pool {
	spinlock_t lock;
	struct sheaf *free;          /* linked through barn_list.next */
} sheaf_pools[NR_SHEAF_CLASSES];

static int sheaf_class(unsigned int capacity)
{
	for (int i = 0; i < NR_SHEAF_CLASSES; i++)
		if (capacity <= sheaf_capacity[i])
			return i;
	return NR_SHEAF_CLASSES - 1;
}

unsigned int sheaf_class_capacity(unsigned int capacity)
{
	return sheaf_capacity[sheaf_class(capacity)];
}

static size_t sheaf_bytes(int class)
{
	return sizeof(struct sheaf) + sheaf_capacity[class] * sizeof(void *);
}

void sheaf_init(void)
{
	for (int i = 0; i < NR_SHEAF_CLASSES; i++)
		spin_lock_init(&sheaf_pools[i].lock, LOCK_RANK_SHEAF_POOL);
}

struct sheaf *sheaf_alloc(struct kmem_cache *s, unsigned int capacity)
{
	struct sheaf_pool *pool;
	struct sheaf *sh;
	int class;

	if (capacity > MAX_SHEAF_CAPACITY)
		capacity = MAX_SHEAF_CAPACITY;
	class = sheaf_class(capacity);
	pool = &sheaf_pools[class];
	spin_lock(&pool->lock);
	sh = pool->free;
	if (sh)
		pool->free = (struct sheaf *)sh->barn_list.next;
	spin_unlock(&pool->lock);
	if (!sh) {
		sh = meta_alloc(sheaf_bytes(class));
		if (!sh)
			return NULL;
	}
	INIT_LIST_HEAD(&sh->barn_list);
	WRITE_ONCE(sh->size, 0);
	sh->capacity = capacity;
	stat(s, slow_cpu_slab(s), SHEAF_ALLOC);
	return sh;
}

void sheaf_free(struct kmem_cache *s, struct sheaf *sh)
{
	struct sheaf_pool *pool;

	if (sh == &empty_sheaf)
		return;
	pool = &sheaf_pools[sheaf_class(sh->capacity)];
	WRITE_ONCE(sh->size, 0);
	spin_lock(&pool->lock);
	sh->barn_list.next = (struct list_head *)pool->free;
	pool->free = sh;
	spin_unlock(&pool->lock);
	stat(s, slow_cpu_slab(s), SHEAF_FREE);
}

void sheaf_fork_lock(void)
{
	for (int i = 0; i < NR_SHEAF_CLASSES; i++)
		spin_lock(&sheaf_pools[i].lock);
}

void sheaf_fork_unlock(bool child)
{
	for (int i = 0; i < NR_SHEAF_CLASSES; i++) {
		if (child)
			spin_lock_init(&sheaf_pools[i].lock, LOCK_RANK_SHEAF_POOL);
		else
			spin_unlock(&sheaf_pools[i].lock);
	}
}

/* ---------------------------------------------------------------- barn */

struct sheaf *barn_get_full(struct barn *b)
{
	struct sheaf *sh = NULL;

	if (!READ_ONCE(b->nr_full))
		return NULL;
	spin_lock(&b->lock);
	if (!list_empty(&b->full)) {
		sh = list_first_entry(&b->full, struct sheaf, barn_list);
		list_del(&sh->barn_list);
		WRITE_ONCE(b->nr_full, b->nr_full - 1);
	}
	spin_unlock(&b->lock);
	return sh;
}

struct sheaf *barn_get_empty(struct barn *b)
{
	struct sheaf *sh = NULL;

	if (!READ_ONCE(b->nr_empty))
		return NULL;
	spin_lock(&b->lock);
	if (!list_empty(&b->empty)) {
		sh = list_first_entry(&b->empty, struct sheaf, barn_list);
		list_del(&sh->barn_list);
		WRITE_ONCE(b->nr_empty, b->nr_empty - 1);
	}
	spin_unlock(&b->lock);
	return sh;
}

bool barn_put(struct barn *b, struct sheaf *sh, bool full, unsigned int max_full)
{
	bool ok = false;

	spin_lock(&b->lock);
	if (full && b->nr_full < max_full) {
		list_add(&sh->barn_list, &b->full);
		WRITE_ONCE(b->nr_full, b->nr_full + 1);
		ok = true;
	} else if (!full && b->nr_empty < MAX_BARN_SHEAVES) {
		list_add(&sh->barn_list, &b->empty);
		WRITE_ONCE(b->nr_empty, b->nr_empty + 1);
		ok = true;
	}
	spin_unlock(&b->lock);
	return ok;
}

void barn_take_all(struct barn *b, struct list_head *out)
{
	spin_lock(&b->lock);
	while (!list_empty(&b->full))
		list_move_tail(b->full.next, out);
	while (!list_empty(&b->empty))
		list_move_tail(b->empty.next, out);
	WRITE_ONCE(b->nr_full, 0);
	WRITE_ONCE(b->nr_empty, 0);
	spin_unlock(&b->lock);
}
