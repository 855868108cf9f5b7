/*
 * slub.c - the slow paths of the slub personality: getting a new cpu slab,
 * freeing into a slab that is not the caller's cpu slab, deactivation, cpu
 * partial lists and node partial lists.
 *
 * The slab states, the lock order and what a slow path may call out to
 * are described at the top of slab.h; the fields in types.h.  In short:
 *  - a frozen slab belongs to one thread; others only push objects onto
 *    slab->freelist (slab_update_freelist), without any list operation;
 *  - an unfrozen slab is on its node's partial list iff it has free
 *    objects, except for the short window in deactivate_slab() between
 *    unfreezing and add_partial(); __slab_free() sees that window through
 *    on_partial and leaves the slab to deactivate_slab();
 *  - a free that makes an unfrozen slab empty, or that frees into a full
 *    one without a cpu partial list to take it, takes list_lock *before*
 *    its cmpxchg, so list state and slab state change together;
 *  - slabs are discarded (given to the page allocator) with no list_lock
 *    held, once nobody can reach them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/os.h"
#include "base/random.h"
#include "base/report.h"
#include "core/personality.h"
#include "page/page_alloc.h"
#include "slub/slub.h"
#include "slub/slub_fastpath.h"

/* ------------------------------------------------- slabs in and out */

/* A free pointer read from a free object: NULL or an object of the same
 * slab.  Anything else was forged or overwritten; with a hardened freelist
 * a forged value decodes to garbage that this catches. */
static bool freeptr_valid(struct kmem_cache *s, struct slab *slab, void *p)
{
	if (!p)
		return true;
	if (!segment_is_mapped(p) || virt_to_slab(p) != slab)
		return false;
	if (((uintptr_t)p & (slab_bytes(slab) - 1)) < s->red_left_pad)
		return false;
	return object_start(s, slab, p);
}

/* Reports a free pointer that fails freeptr_valid(); the caller isolates
 * the slab (its remaining free objects are leaked, as SLUB does). */
static void __cold freelist_corrupt(struct kmem_cache *s, struct slab *slab, void *object,
				    void *next)
{
	struct report_buf r;

	report_init(&r);
	slab_bug(&r, s, "Freelist pointer corrupt");
	report_add(&r, "INFO: Object %p @offset=%lu has free pointer %p (stored 0x%lx) outside its slab\n",
		   object, (unsigned long)((char *)object - (char *)slab_address(slab)), next,
		   (unsigned long)(uintptr_t)kasan_load_word((char *)object + s->offset));
	print_slab_info(&r, slab);
	report_add(&r, "\n");
	slab_fix(&r, s, "Isolating the slab (its free objects are leaked)");
	report_emit(&r);
}

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return min_t(unsigned int, (PAGE_SIZE << order) / size, MAX_OBJS_PER_SLAB);
}

/* Links the objects of a new slab: in address order, or (random freelist)
 * along the cache's shuffled sequence from a random point in it. */
static void *build_freelist(struct kmem_cache *s, char *start, unsigned int objects)
{
	void *head = NULL, *prev = NULL;
	unsigned int n = s->random_seq_len, pos = 0;
	/* Slabs of an order raised since (tunable) go in address order. */
	bool shuffled = s->random_seq && objects <= n;

	if (shuffled)
		pos = (unsigned int)(uslab_random64() % n);
	for (unsigned int i = 0, k = 0; k < objects; i++) {
		unsigned int idx = i;
		void *p;

		if (shuffled) {
			idx = s->random_seq[(pos + i) % n];
			if (idx >= objects)
				continue;	/* a fallback-order slab holds fewer */
		}
		p = slab_object(s, start, idx);
		if (prev)
			set_freepointer(s, prev, p);
		else
			head = p;
		prev = p;
		k++;
	}
	set_freepointer(s, prev, NULL);
	return head;
}

static bool slub_init_slab(struct kmem_cache *s, struct slab *slab, void *start,
			   unsigned int objects)
{
	slab->freelist = build_freelist(s, start, objects);
	return true;
}

static unsigned int slub_objects_per_slab(const struct kmem_cache *s, unsigned int order)
{
	return order_objects(order, s->size);
}

static void discard_list(struct kmem_cache *s, struct slab *list, struct kmem_cache_cpu *c)
{
	while (list) {
		struct slab *slab = list;

		list = slab->next;
		discard_slab(s, slab);
		stat(s, c, FREE_SLAB);
	}
}

/* ---------------------------------------------- freezing and thawing */

/* Takes a slab off the partial list, frozen: with its freelist (it becomes
 * the cpu slab; returned) or without (it goes to a cpu partial list). */
static void *acquire_slab(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab,
			  bool take_freelist)
{
	union slab_counters old, new;
	void *freelist;

	do {
		freelist = READ_ONCE(slab->freelist);
		old.counters = READ_ONCE(slab->counters);
		new.counters = old.counters;
		if (take_freelist)
			new.inuse = new.objects;
		new.frozen = 1;
	} while (!slab_update_freelist(s, slab, freelist, old.counters,
				       take_freelist ? NULL : freelist, new.counters));
	remove_partial(n, slab);
	return freelist;
}

/* Takes everything on slab->freelist for the cpu freelist; a slab that has
 * nothing left is unfrozen at the same time (it is full: on no list). */
static void *get_freelist(struct kmem_cache *s, struct slab *slab)
{
	union slab_counters old, new;
	void *freelist;

	do {
		freelist = READ_ONCE(slab->freelist);
		old.counters = READ_ONCE(slab->counters);
		new.counters = old.counters;
		new.inuse = new.objects;
		new.frozen = freelist != NULL;
	} while (!slab_update_freelist(s, slab, freelist, old.counters, NULL, new.counters));
	return freelist;
}

/* Unfreezes a cpu partial list onto the node partial lists; empty slabs
 * beyond min_partial are discarded. */
static void unfreeze_partials(struct kmem_cache *s, struct slab *list, struct kmem_cache_cpu *c)
{
	struct kmem_cache_node *n = NULL;
	struct slab *discard = NULL;

	while (list) {
		struct slab *slab = list;
		struct kmem_cache_node *n2 = get_node(s, slab_nid(slab));
		union slab_counters old, new;
		void *freelist;

		list = slab->next;
		if (n != n2) {
			if (n)
				spin_unlock(&n->list_lock);
			n = n2;
			spin_lock(&n->list_lock);
		}
		do {
			freelist = READ_ONCE(slab->freelist);
			old.counters = READ_ONCE(slab->counters);
			new.counters = old.counters;
			new.frozen = 0;
		} while (!slab_update_freelist(s, slab, freelist, old.counters, freelist,
					       new.counters));
		if (!new.inuse && !keep_empty_slab(s, n, false)) {
			slab->next = discard;
			discard = slab;
			stat(s, c, DEACTIVATE_EMPTY);
		} else {
			add_partial(n, slab, true);
			stat(s, c, FREE_ADD_PARTIAL);
		}
	}
	if (n)
		spin_unlock(&n->list_lock);
	discard_list(s, discard, c);
}

/* Puts a frozen slab on c's cpu partial list; with drain, a full list is
 * first emptied to the node (never with list_lock held). */
static void put_cpu_partial(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab,
			    bool drain)
{
	struct slab *oldslab = c->partial;
	unsigned int slabs = 0;

	if (oldslab) {
		if (drain && oldslab->slabs >= READ_ONCE(s->cpu_partial_slabs)) {
			/* Off the entry before anything of it goes back. */
			c->partial = NULL;
			WRITE_ONCE(c->nr_partial, 0);
			unfreeze_partials(s, oldslab, c);
			stat(s, c, CPU_PARTIAL_DRAIN);
			/* Read again: nothing should have come, but the
			 * unfreeze gave pages back. */
			oldslab = c->partial;
			if (oldslab)
				slabs = oldslab->slabs;
		} else {
			slabs = oldslab->slabs;
		}
	}
	slabs++;
	slab->slabs = slabs;
	slab->next = oldslab;
	c->partial = slab;
	WRITE_ONCE(c->nr_partial, slabs);
}

/*
 * Gives the cpu slab back: its private freelist is spliced onto the slab's
 * own, the slab is unfrozen, then put on the partial list (has free
 * objects), discarded (empty, enough kept), or left alone (full).
 */
static void deactivate_slab(struct kmem_cache *s, struct slab *slab, void *freelist,
			    struct kmem_cache_cpu *c)
{
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	int tail = DEACTIVATE_TO_HEAD;
	union slab_counters old, new;
	void *freelist_tail = NULL, *old_freelist, *new_freelist;
	unsigned int free_delta = 0;
	union slab_counters now = { .counters = READ_ONCE(slab->counters) };

	if (READ_ONCE(slab->freelist)) {
		stat(s, c, DEACTIVATE_REMOTE_FREES);
		tail = DEACTIVATE_TO_TAIL;
	}
	for (void *p = freelist, *next; p; p = next) {
		next = get_freepointer(s, p);
		freelist_tail = p;
		if (unlikely(!freeptr_valid(s, slab, next) || ++free_delta > now.objects)) {
			freelist_corrupt(s, slab, p, next);
			set_freepointer(s, p, NULL);
			break;
		}
	}
	do {
		old_freelist = READ_ONCE(slab->freelist);
		old.counters = READ_ONCE(slab->counters);
		new.counters = old.counters;
		if (freelist_tail) {
			new.inuse -= free_delta;
			set_freepointer(s, freelist_tail, old_freelist);
			new_freelist = freelist;
		} else {
			new_freelist = old_freelist;
		}
		new.frozen = 0;
	} while (!slab_update_freelist(s, slab, old_freelist, old.counters, new_freelist,
				       new.counters));

	if (!new.inuse && !keep_empty_slab(s, n, false)) {
		stat(s, c, DEACTIVATE_EMPTY);
		discard_slab(s, slab);
		stat(s, c, FREE_SLAB);
	} else if (new_freelist) {
		spin_lock(&n->list_lock);
		add_partial(n, slab, tail == DEACTIVATE_TO_TAIL);
		spin_unlock(&n->list_lock);
		stat(s, c, tail);
	} else {
		stat(s, c, DEACTIVATE_FULL);
	}
}

void flush_cpu_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;

	if (slab) {
		void *freelist = c->freelist;

		WRITE_ONCE(c->freelist, NULL);
		set_cpu_slab(c, NULL);
		stat(s, c, CPUSLAB_FLUSH);
		deactivate_slab(s, slab, freelist, c);
	}
	if (c->partial) {
		struct slab *list = c->partial;

		c->partial = NULL;
		WRITE_ONCE(c->nr_partial, 0);
		unfreeze_partials(s, list, c);
	}
}

/* ---------------------------------------------------- getting objects */

/* Takes slabs from one node's partial list: the first becomes c's cpu
 * slab (its freelist is returned), more go to c's cpu partial list. */
static void *get_partial_node(struct kmem_cache *s, struct kmem_cache_node *n,
			      struct kmem_cache_cpu *c)
{
	struct slab *slab, *tmp;
	void *object = NULL;
	unsigned int partial_slabs = 0;

	if (!READ_ONCE(n->nr_partial))
		return NULL;
	spin_lock(&n->list_lock);
	list_for_each_entry_safe(slab, tmp, &n->partial, slab_list) {
		if (!object) {
			object = acquire_slab(s, n, slab, true);
			set_cpu_slab(c, slab);
			stat(s, c, ALLOC_FROM_PARTIAL);
			if (!READ_ONCE(s->cpu_partial_slabs))
				break;
		} else {
			acquire_slab(s, n, slab, false);
			put_cpu_partial(s, c, slab, false);
			stat(s, c, CPU_PARTIAL_NODE);
			if (++partial_slabs > READ_ONCE(s->cpu_partial_slabs) / 2)
				break;
		}
	}
	spin_unlock(&n->list_lock);
	return object;
}

static void *get_partial(struct kmem_cache *s, int node, struct kmem_cache_cpu *c)
{
	int searchnode = node == NUMA_NO_NODE ? os_current_node() : node;
	void *object = get_partial_node(s, get_node(s, searchnode), c);

	if (object || node != NUMA_NO_NODE)
		return object;
	for (unsigned int i = 0; i < s->nr_nodes && !object; i++)
		if ((int)i != searchnode)
			object = get_partial_node(s, get_node(s, (int)i), c);
	return object;
}

/* A slab alloc_threadless froze by taking its last object, now off the
 * partial list (list_lock held): unfrozen, and back on the list if frees
 * came meanwhile (they only pushed: it was frozen).  It holds the object
 * just taken, so it cannot be empty. */
static void unfreeze_taken(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab)
{
	union slab_counters old, new;
	void *prior;

	do {
		prior = READ_ONCE(slab->freelist);
		old.counters = READ_ONCE(slab->counters);
		new.counters = old.counters;
		new.frozen = 0;
	} while (!slab_update_freelist(s, slab, prior, old.counters, prior, new.counters));
	if (prior)
		add_partial(n, slab, true);
}

/*
 * Threadless allocation: for a thread past its exit destructor, one that
 * could not get memory for its cpu array, or one whose CPU's entry
 * another thread's slow path holds (cpu mode).  One object at a time from
 * a partial slab under list_lock, as SLUB's debug caches do.
 */
static void *alloc_threadless(struct kmem_cache *s, gfp_t gfpflags, int node)
{
	int searchnode = node == NUMA_NO_NODE ? os_current_node() : node;
	struct kmem_cache_node *n = get_node(s, searchnode);
	union slab_counters old, new;
	struct slab *slab;
	void *object, *next, *bad = NULL;

	spin_lock(&n->list_lock);
	while (!list_empty(&n->partial)) {
		bool corrupt;

		slab = list_first_entry(&n->partial, struct slab, slab_list);
		do {
			corrupt = false;
			/* Acquire: the free pointer is read before the
			 * update (the free that pushed object wrote it). */
			object = __atomic_load_n(&slab->freelist, __ATOMIC_ACQUIRE);
			old.counters = READ_ONCE(slab->counters);
			new.counters = old.counters;
			new.inuse++;
			next = get_freepointer(s, object);
			if (unlikely(!freeptr_valid(s, slab, next))) {
				corrupt = true;
				bad = next;
				next = NULL;
				new.inuse = new.objects;
				new.frozen = 1;
			} else if (!next) {
				/* The last object: frozen with it, or a free
				 * would see a full unfrozen slab and take it
				 * for its cpu partial list (slab_list's
				 * words) while it is still on this list. */
				new.frozen = 1;
			}
		} while (!slab_update_freelist(s, slab, object, old.counters, next, new.counters));
		if (unlikely(corrupt)) {
			freelist_corrupt(s, slab, object, bad);
			/* Isolated: off the list, all counted used, never taken again. */
			remove_partial(n, slab);
			continue;
		}
		if (!next) {
			remove_partial(n, slab);
			unfreeze_taken(s, n, slab);
		}
		spin_unlock(&n->list_lock);
		stat(s, NULL, ALLOC_SLOWPATH);
		return object;
	}
	spin_unlock(&n->list_lock);

	slab = new_slab(s, gfpflags, node, NULL);
	if (!slab) {
		slab_out_of_memory(s, gfpflags, node);
		return NULL;
	}
	object = slab->freelist;
	slab->freelist = get_freepointer(s, object);
	slab->inuse = 1;
	if (slab->freelist) {
		n = get_node(s, slab_nid(slab));
		spin_lock(&n->list_lock);
		add_partial(n, slab, false);
		spin_unlock(&n->list_lock);
	}
	stat(s, NULL, ALLOC_SLOWPATH);
	return object;
}

static void *___slab_alloc(struct kmem_cache *s, gfp_t gfpflags, int node,
			   struct kmem_cache_cpu *c)
{
	struct slab *slab;
	void *freelist;

	if (unlikely(!c->cache))
		WRITE_ONCE(c->cache, s);
reread_slab:
	slab = c->slab;
	if (!slab)
		goto new_slab;
	if (unlikely(!node_match(slab, node))) {
		freelist = c->freelist;
		WRITE_ONCE(c->freelist, NULL);
		set_cpu_slab(c, NULL);
		stat(s, c, ALLOC_NODE_MISMATCH);
		deactivate_slab(s, slab, freelist, c);
		goto new_slab;
	}
	freelist = c->freelist;
	if (freelist)
		goto load_freelist;
	freelist = get_freelist(s, slab);
	if (!freelist) {
		set_cpu_slab(c, NULL);
		stat(s, c, DEACTIVATE_BYPASS);
		goto new_slab;
	}
	stat(s, c, ALLOC_REFILL);
load_freelist:
	/* Counted on success only: allocs minus frees is the live count. */
	stat(s, c, ALLOC_SLOWPATH);
	WRITE_ONCE(c->freelist, get_freepointer(s, freelist));
	if (unlikely(!freeptr_valid(s, c->slab, c->freelist))) {
		freelist_corrupt(s, c->slab, freelist, c->freelist);
		/* The cpu slab stays frozen and is dropped: nobody takes it. */
		WRITE_ONCE(c->freelist, NULL);
		set_cpu_slab(c, NULL);
	}
	return freelist;

new_slab:
	while (c->partial) {
		slab = c->partial;
		c->partial = slab->next;
		WRITE_ONCE(c->nr_partial, c->partial ? c->partial->slabs : 0);
		if (unlikely(!node_match(slab, node))) {
			slab->next = NULL;
			unfreeze_partials(s, slab, c);
			continue;
		}
		set_cpu_slab(c, slab);
		stat(s, c, CPU_PARTIAL_ALLOC);
		goto reread_slab;
	}
	freelist = get_partial(s, node, c);
	if (freelist)
		goto load_freelist;

	slab = new_slab(s, gfpflags, node, c);
	if (unlikely(!slab)) {
		slab_out_of_memory(s, gfpflags, node);
		return NULL;
	}
	/* The constructors ran: one that allocated from s gave c a cpu slab
	 * of its own meanwhile.  It goes back before this one takes over. */
	if (unlikely(c->slab)) {
		struct slab *other = c->slab;
		void *other_freelist = c->freelist;

		WRITE_ONCE(c->freelist, NULL);
		set_cpu_slab(c, NULL);
		deactivate_slab(s, other, other_freelist, c);
	}
	freelist = slab->freelist;
	slab->freelist = NULL;
	slab->inuse = slab->objects;
	slab->frozen = 1;
	set_cpu_slab(c, slab);
	goto load_freelist;
}

void *__slab_alloc(struct kmem_cache *s, gfp_t gfpflags, int node, struct kmem_cache_cpu *c)
{
	if (!c) {
		c = this_cpu_slab_slow(s);
		if (!c)
			return alloc_threadless(s, gfpflags, node);
	}
	return ___slab_alloc(s, gfpflags, node, c);
}

/* The fast free of an init_on_free cache: zero, then push on the cpu
 * freelist (the free pointer is written after the zeroing). */
void slab_free_zero(struct kmem_cache *s, struct kmem_cache_cpu *c, void *object)
{
	memset(object, 0, s->object_size);
	void *head = c->freelist;

	set_freepointer(s, object, head);
	kasan_slab_free(s, object);
	cpu_freelist_push(c, head, object);
	COUNTER_INC(c->stat[FREE_FASTPATH]);
}

void *slab_alloc_checked_slow(struct kmem_cache *s, struct kmem_cache_cpu *c, void *object,
			      void *next, gfp_t gfpflags, size_t orig_size)
{
	if (next && !freeptr_valid(s, c->slab, next)) {
		freelist_corrupt(s, c->slab, object, next);
		/* The cpu slab stays frozen and is dropped: nobody takes it. */
		next = NULL;
		set_cpu_slab(c, NULL);
	}
	WRITE_ONCE(c->freelist, next);
	COUNTER_INC(c->stat[ALLOC_FASTPATH]);
	if (want_zero(s, gfpflags))
		return slab_alloc_zero(s, object, orig_size);
	kasan_slab_alloc(s, object, orig_size);
	return object;
}

/* ------------------------------------------------------------- freeing */

/*
 * entry_later (cpu mode, c NULL): the CPU's entry is taken only if the
 * free is to make a full slab the entry's cpu partial one, the one case
 * that needs it; otherwise the free costs no entry lock, and counts in
 * the cache's totals.
 */
static void slab_free_to_slab(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
			      unsigned int cnt, struct kmem_cache_cpu *c, bool entry_later)
{
	struct kmem_cache_node *n = NULL;
	union slab_counters old, new;
	bool was_frozen;
	void *prior;

	for (;;) {
		if (unlikely(n)) {
			spin_unlock(&n->list_lock);
			n = NULL;
		}
		prior = READ_ONCE(slab->freelist);
		old.counters = READ_ONCE(slab->counters);
		if (unlikely(prior == head)) {
			slab_bug_double_free(s, slab, head);
			return;
		}
		set_freepointer(s, tail, prior);
		new.counters = old.counters;
		was_frozen = new.frozen;
		new.inuse -= cnt;
		if ((!new.inuse || !prior) && !was_frozen) {
			if (entry_later && !prior && READ_ONCE(s->cpu_partial_slabs)) {
				/* May call out (a first use makes the entry):
				 * the slab is read again after. */
				entry_later = false;
				c = this_cpu_slab_slow(s);
				/* Its first use, perhaps: it counts for s. */
				if (c && unlikely(!c->cache))
					WRITE_ONCE(c->cache, s);
				continue;
			}
			if (c && READ_ONCE(s->cpu_partial_slabs) && !prior) {
				/* Full slab: this thread takes it as cpu partial. */
				new.frozen = 1;
			} else {
				n = get_node(s, slab_nid(slab));
				spin_lock(&n->list_lock);
			}
		}
		if (slab_update_freelist(s, slab, prior, old.counters, head, new.counters))
			break;
	}
	stat_add(s, c, FREE_SLOWPATH, cnt);

	if (likely(!n)) {
		if (was_frozen) {
			stat(s, c, FREE_FROZEN);
		} else if (new.frozen) {
			put_cpu_partial(s, c, slab, true);
			stat(s, c, CPU_PARTIAL_FREE);
		}
		return;
	}

	/* A slab being unfrozen by deactivate_slab(): it adds it. */
	if (prior && !slab->on_partial) {
		spin_unlock(&n->list_lock);
		return;
	}
	if (unlikely(!new.inuse && !keep_empty_slab(s, n, slab->on_partial)))
		goto slab_empty;
	if (!prior) {
		add_partial(n, slab, true);
		stat(s, c, FREE_ADD_PARTIAL);
	}
	spin_unlock(&n->list_lock);
	return;

slab_empty:
	if (prior) {
		remove_partial(n, slab);
		stat(s, c, FREE_REMOVE_PARTIAL);
	}
	spin_unlock(&n->list_lock);
	discard_slab(s, slab);
	stat(s, c, FREE_SLAB);
}

void __slab_free(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
		 unsigned int cnt, struct kmem_cache_cpu *c)
{
	slab_free_to_slab(s, slab, head, tail, cnt, c, false);
}

bool check_object_pointer(struct kmem_cache *s, struct slab *slab, const void *object,
			  const char *caller)
{
	union slab_counters cnt = { .counters = READ_ONCE(slab->counters) };
	size_t off;

	/* The answer for a good pointer with multiplies (the bulk frees of
	 * kfree_rcu's batches make this per object); the divisions below
	 * only tell a bad one's report. */
	if (likely(object_start(s, slab, object) && obj_to_index(s, slab, object) < cnt.objects))
		return true;
	off = (uintptr_t)object & (slab_bytes(slab) - 1);
	if (unlikely(off < s->red_left_pad || (off - s->red_left_pad) % s->size)) {
		slab_bug_bad_pointer(s, object, caller, "pointer is not the start of an object");
		return false;
	}
	if (unlikely((off - s->red_left_pad) / s->size >= cnt.objects)) {
		slab_bug_bad_pointer(s, object, caller, "pointer is outside the objects of its slab");
		return false;
	}
	return true;
}

/* The slub part of a free the fast path could not take: the generic
 * checks (alloc.c) have passed. */
static void slub_free_slow(struct kmem_cache *s, struct slab *slab, void *object,
			   struct kmem_cache_cpu *c)
{
	/* cpu mode (c NULL): the CPU's entry only if slab may be its cpu
	 * slab (the object would go on its freelist, or be a double free
	 * of it); anything else goes to the slab without the entry's lock. */
	if (!c && !percpu_may_hold_slab(s, slab)) {
		if (s->flags & __SLAB_INIT_ON_FREE)
			memset(object, 0, s->object_size);
		kasan_slab_free(s, object);
		slab_free_to_slab(s, slab, object, object, 1, NULL, true);
		return;
	}
	if (!c)
		c = this_cpu_slab_slow(s);
	if (c && slab == c->slab && unlikely(cpu_freelist_recent(s, c, object))) {
		slab_bug_double_free(s, slab, object);
		return;
	}
	if (s->flags & __SLAB_INIT_ON_FREE)
		memset(object, 0, s->object_size);
	kasan_slab_free(s, object);
	if (c && slab == c->slab) {
		void *head = c->freelist;

		set_freepointer(s, object, head);
		cpu_freelist_push(c, head, object);
		COUNTER_INC(c->stat[FREE_FASTPATH]);
		return;
	}
	if (c && unlikely(!c->cache))
		WRITE_ONCE(c->cache, s);
	__slab_free(s, slab, object, object, 1, c);
}

/* ------------------------------------------------------------- shrink */

unsigned long shrink_node_lists(struct kmem_cache *s, bool destroying)
{
	unsigned long remaining = 0;

	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		struct kmem_cache_node *n = get_node(s, (int)i);
		struct slab *slab, *tmp, *discard = NULL;

		spin_lock(&n->list_lock);
		list_for_each_entry_safe(slab, tmp, &n->partial, slab_list) {
			union slab_counters cnt = { .counters = READ_ONCE(slab->counters) };

			if (cnt.inuse)
				continue;
			if (!destroying && (s->flags & SLAB_TYPESAFE_BY_RCU) && !rcu_grace_periods())
				break;
			remove_partial(n, slab);
			slab->next = discard;
			discard = slab;
		}
		spin_unlock(&n->list_lock);
		discard_list(s, discard, NULL);
		remaining += __atomic_load_n(&n->nr_slabs, __ATOMIC_RELAXED);
	}
	return remaining;
}

/* ------------------------------------------------------- personality */

static void *slub_alloc_slow(struct kmem_cache *s, gfp_t gfpflags, int node,
			     struct kmem_cache_cpu *c)
{
	return __slab_alloc(s, gfpflags, node, c);
}

/* cpu partial sizes, from the object size (SLUB's set_cpu_partial). */
static void slub_setup_cache(struct kmem_cache *s)
{
	unsigned int nr_objects;

	if (s->size >= PAGE_SIZE)
		nr_objects = 6;
	else if (s->size >= 1024)
		nr_objects = 24;
	else if (s->size >= 256)
		nr_objects = 52;
	else
		nr_objects = 120;
	/* Debug caches take one object at a time: no cpu partial slabs. */
	if (kmem_cache_debug(s))
		nr_objects = 0;
	s->cpu_partial = nr_objects;
	s->cpu_partial_slabs = nr_objects ? DIV_ROUND_UP(nr_objects * 2, s->oo.objects) : 0;
}

static void slub_cpu_info(struct kmem_cache *s, struct kmem_cache_cpu *c,
			  struct uslab_cache_info *info)
{
	(void)s;
	if (READ_ONCE(c->slab))
		info->cpu_slabs++;
	info->cpu_partial += READ_ONCE(c->nr_partial);
}

const struct personality slub_personality = {
	.name = "slub",
	.objects_per_slab = slub_objects_per_slab,
	.setup_cache = slub_setup_cache,
	.init_slab = slub_init_slab,
	.release_slab = NULL,
	.alloc_slow = slub_alloc_slow,
	.free_slow = slub_free_slow,
	.flush_cpu = flush_cpu_slab,
	.shrink = shrink_node_lists,
	.cpu_info = slub_cpu_info,
};
