/*
 * sheaf.c - the sheaves of the unified personality and the barn that
 * keeps whole sheaves per node.
 *
 * A sheaf's memory comes from a few internal caches ("sheaf-62" ...), one
 * per capacity class, which are always slub caches: a unified cache never
 * waits on itself for a sheaf.  empty_sheaf (capacity 0) stands in for "no
 * sheaf" in a thread's entry, so that the fast paths need no NULL test.
 *
 * barn.lock guards a barn's lists and counts; it is a leaf lock (no other
 * lock is taken while it is held).
 */
#include <stdlib.h>

#include "personality.h"
#include "sheaf.h"

struct sheaf empty_sheaf = { .size = 0, .capacity = 0 };

static const unsigned int sheaf_capacity[NR_SHEAF_CLASSES] = { 6, 14, 30, 62, 126, 254 };
static struct kmem_cache *sheaf_caches[NR_SHEAF_CLASSES];
static const char *const sheaf_names[NR_SHEAF_CLASSES] = {
	"sheaf-6", "sheaf-14", "sheaf-30", "sheaf-62", "sheaf-126", "sheaf-254",
};

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

void sheaf_init(void)
{
	pthread_mutex_lock(&slab_mutex);
	for (int i = 0; i < NR_SHEAF_CLASSES; i++) {
		unsigned int size = (unsigned int)(sizeof(struct sheaf) +
						   sheaf_capacity[i] * sizeof(void *));
		struct kmem_cache *s = create_cache(sheaf_names[i], size, 0,
						    SLAB_SLUB | SLAB_NO_MERGE |
						    debug_flags_for(sheaf_names[i]), NULL);

		if (!s) {
			uslab_reportf("uslab: out of memory creating %s\n", sheaf_names[i]);
			abort();
		}
		s->name_static = true;
		s->internal = true;
		sheaf_caches[i] = s;
	}
	pthread_mutex_unlock(&slab_mutex);
}

struct sheaf *sheaf_alloc(struct kmem_cache *s, unsigned int capacity)
{
	struct sheaf *sh;

	if (capacity > MAX_SHEAF_CAPACITY)
		capacity = MAX_SHEAF_CAPACITY;
	sh = kmem_cache_alloc(sheaf_caches[sheaf_class(capacity)], GFP_NOWAIT | __GFP_NOWARN);
	if (!sh)
		return NULL;
	INIT_LIST_HEAD(&sh->barn_list);
	sh->size = 0;
	sh->capacity = capacity;
	stat(s, this_cpu_slab(s), SHEAF_ALLOC);
	return sh;
}

void sheaf_free(struct kmem_cache *s, struct sheaf *sh)
{
	if (sh == &empty_sheaf)
		return;
	kmem_cache_free(sheaf_caches[sheaf_class(sh->capacity)], sh);
	stat(s, this_cpu_slab(s), SHEAF_FREE);
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

bool barn_put(struct barn *b, struct sheaf *sh, bool full)
{
	bool ok = false;

	spin_lock(&b->lock);
	if (full && b->nr_full < MAX_BARN_SHEAVES) {
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
