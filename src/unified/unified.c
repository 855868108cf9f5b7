/*
 * unified.c - the unified personality (the 2011 "unified allocator" seed,
 * shaped as today's kernel sheaves): per-thread object queues over slabs
 * that track their free objects in a bitmap.
 *
 * A thread holds two sheaves per cache, main and spare.  Alloc pops main,
 * free pushes main (unified_fastpath.h).  When main runs dry: swap with a spare
 * that has objects, else trade it for a full sheaf of the node's barn,
 * else refill it with batchcount objects from the slabs.  When main is
 * full: swap with a spare that has room, else give it whole to the barn
 * and take an empty one, else flush batchcount objects back to the slabs.
 * Objects freed by another thread go into the freeing thread's sheaves.
 *
 * Slabs: bit i of the bitmap set means object i is free.  Up to 64
 * objects the bitmap is the descriptor's word; beyond, it is a few words
 * of uslab metadata (meta.c) that the descriptor's word points to, so the
 * objects fill the slab: a power-of-two cache's slabs have no tail, and a
 * mask tells an object start (core/object.h).  Nothing is ever written into
 * a free object: an object freed cache-cold is not touched again until
 * it is handed out.
 *
 * Locks: slab bitmaps, inuse counts and list moves change only under the
 * slab's node->list_lock, one lock hold per batch of refill or flush; the
 * barn under its own lock; never both at once.  A thread's sheaves are its
 * own (thread_list_lock when others flush them, as for slub).
 */
#include <string.h>

#include "base/meta.h"
#include "base/options.h"
#include "base/os.h"
#include "base/random.h"
#include "core/personality.h"
#include "unified/sheaf.h"
#include "unified/unified.h"

/* ------------------------------------------------------------- bitmaps */

static unsigned int bitmap_words(unsigned int objects)
{
	return (objects + 63) / 64;
}

static unsigned int unified_objects_per_slab(const struct kmem_cache *s, unsigned int order)
{
	size_t bytes = PAGE_SIZE << order;
	unsigned int n = (unsigned int)(bytes / s->size);

	return n > MAX_OBJS_PER_SLAB ? MAX_OBJS_PER_SLAB : n;
}

static uint64_t *slab_bitmap(struct slab *slab, unsigned int objects)
{
	if (objects <= 64)
		return &slab->bitmap;
	return (uint64_t *)(uintptr_t)slab->bitmap;
}

static bool unified_init_slab(struct kmem_cache *s, struct slab *slab, void *start,
			      unsigned int objects)
{
	unsigned int words = bitmap_words(objects);
	uint64_t *map = &slab->bitmap;

	(void)s; (void)start;
	if (objects > 64) {
		map = meta_alloc(words * sizeof(uint64_t));
		if (!map)
			return false;
		slab->bitmap = (uint64_t)(uintptr_t)map;
	}
	for (unsigned int w = 0; w < words; w++)
		map[w] = ~0ULL;
	if (objects % 64)
		map[words - 1] = (1ULL << (objects % 64)) - 1;
	return true;
}

static void unified_release_slab(struct kmem_cache *s, struct slab *slab)
{
	unsigned int objects = slab_objects(slab);

	(void)s;
	if (objects > 64)
		meta_free(slab_bitmap(slab, objects), bitmap_words(objects) * sizeof(uint64_t));
}

static union slab_counters read_counters(struct slab *slab)
{
	union slab_counters cnt = { .counters = READ_ONCE(slab->counters) };

	return cnt;
}

/* Takes up to want free objects of a partial slab into out[]; with
 * list_lock held.  Returns how many. */
static unsigned int take_objects(struct kmem_cache *s, struct kmem_cache_node *n,
				 struct slab *slab, void **out, unsigned int want)
{
	union slab_counters cnt = read_counters(slab);
	uint64_t *map = slab_bitmap(slab, cnt.objects);
	char *base = slab_address(slab);
	unsigned int got = 0;

	for (unsigned int w = 0; w < bitmap_words(cnt.objects) && got < want; w++) {
		uint64_t bits = map[w];

		while (bits && got < want) {
			unsigned int bit = (unsigned int)__builtin_ctzll(bits);

			bits &= bits - 1;
			out[got++] = base + ((size_t)w * 64 + bit) * s->size;
		}
		map[w] = bits;
	}
	cnt.inuse += got;
	WRITE_ONCE(slab->counters, cnt.counters);
	if (cnt.inuse == cnt.objects)
		remove_partial(n, slab);
	return got;
}

/*
 * Fills out[] with up to want objects from the node's partial slabs, and
 * from new slabs when those run out; one list_lock hold for the lot
 * (dropped only around the page allocator).  Returns how many.
 */
static unsigned int refill(struct kmem_cache *s, int node, void **out, unsigned int want)
{
	int searchnode = node == NUMA_NO_NODE ? os_current_node() : node;
	struct kmem_cache_node *n = get_node(s, searchnode);
	unsigned int got = 0;

	spin_lock(&n->list_lock);
	while (got < want) {
		struct slab *slab;

		if (list_empty(&n->partial)) {
			spin_unlock(&n->list_lock);
			slab = new_slab(s, GFP_NOWAIT, node, NULL);
			if (!slab)
				return got;
			n = get_node(s, slab_nid(slab));
			spin_lock(&n->list_lock);
			add_partial(n, slab, false);
		}
		slab = list_first_entry(&n->partial, struct slab, slab_list);
		got += take_objects(s, n, slab, out + got, want - got);
	}
	spin_unlock(&n->list_lock);
	return got;
}

/*
 * Gives objects back to their slabs: each object's bit is set under its
 * node's list_lock (held across runs of the same node); consecutive
 * objects of one slab (the usual case: a sheaf flushes in the order it
 * was filled) update its counters once.  A bit already set is a double
 * free: reported, not counted.  Slabs that become empty beyond
 * min_partial are discarded after the lock is dropped.
 */
struct flush_state {
	struct kmem_cache_node *n;
	struct slab *slab, *discard;
	union slab_counters cnt;
	uint64_t *map;
};

static void flush_slab_done(struct kmem_cache *s, struct flush_state *f)
{
	struct slab *slab = f->slab;

	if (!slab)
		return;
	WRITE_ONCE(slab->counters, f->cnt.counters);
	if (!slab->on_partial)
		add_partial(f->n, slab, true);   /* it was full */
	if (!f->cnt.inuse && !keep_empty_slab(s, f->n, true)) {
		remove_partial(f->n, slab);
		slab->next = f->discard;
		f->discard = slab;
	}
	f->slab = NULL;
}

static void flush_objects(struct kmem_cache *s, void **objects, unsigned int nr)
{
	struct flush_state f = { NULL, NULL, NULL, { 0 }, NULL };

	for (unsigned int i = 0; i < nr; i++) {
		struct slab *slab = virt_to_slab(objects[i]);
		unsigned int idx;

		/* Pushed onto a CPU's sheaf by another thread (cpu mode). */
		tsan_handoff_acquire(objects[i]);

		if (slab != f.slab) {
			struct kmem_cache_node *n2 = get_node(s, slab_nid(slab));

			flush_slab_done(s, &f);
			if (n2 != f.n) {
				if (f.n)
					spin_unlock(&f.n->list_lock);
				f.n = n2;
				spin_lock(&f.n->list_lock);
			}
			f.slab = slab;
			f.cnt = read_counters(slab);
			f.map = slab_bitmap(slab, f.cnt.objects);
		}
		/* kmem_cache_free() does not check the pointer on its fast
		 * path (SLUB's contract): a bad one may have been handed out
		 * again from the sheaf already, but it never reaches a
		 * slab's bitmap. */
		if (unlikely(!object_start(s, slab, objects[i]))) {
			WRITE_ONCE(slab->counters, f.cnt.counters);
			slab_bug_bad_pointer(s, objects[i], "kmem_cache_free",
					     "pointer is not the start of an object");
			continue;
		}
		idx = obj_to_index(s, slab, objects[i]);
		if (f.map[idx / 64] & (1ULL << (idx % 64))) {
			/* Counters first: the report reads them. */
			WRITE_ONCE(slab->counters, f.cnt.counters);
			slab_bug_double_free(s, slab, objects[i]);
			continue;
		}
		f.map[idx / 64] |= 1ULL << (idx % 64);
		f.cnt.inuse--;
	}
	flush_slab_done(s, &f);
	if (f.n)
		spin_unlock(&f.n->list_lock);
	while (f.discard) {
		struct slab *slab = f.discard;

		f.discard = slab->next;
		discard_slab(s, slab);
		stat(s, NULL, FREE_SLAB);
	}
}

/* SLAB_RANDOM_FREELIST: a refilled batch is handed out in random order. */
static void shuffle(void **objects, unsigned int n)
{
	for (unsigned int i = n - 1; i > 0 && n; i--) {
		unsigned int j = (unsigned int)(uslab_random64() % (i + 1));
		void *t = objects[i];

		objects[i] = objects[j];
		objects[j] = t;
	}
}

/* ------------------------------------------------------ the main sheaf */

/*
 * While a sheaf is c's main, its size is c->main_size and its own size
 * field is stale: the fast paths read and write the entry's first line
 * only, and a free does not wait for a load of c->main before it loads
 * the size.  A sheaf becomes main through attach_main and stops through
 * detach_main, which writes the size back; code that takes any sheaf
 * reads its size through sheaf_size().
 */
static void attach_main(struct kmem_cache_cpu *c, struct sheaf *sh)
{
	WRITE_ONCE(c->main_size, sh->size);
	WRITE_ONCE(c->main, sh);
}

static struct sheaf *detach_main(struct kmem_cache_cpu *c)
{
	struct sheaf *main = c->main;

	if (main != &empty_sheaf)
		WRITE_ONCE(main->size, c->main_size);
	WRITE_ONCE(c->main, &empty_sheaf);
	WRITE_ONCE(c->main_size, 0);
	return main;
}

static unsigned int sheaf_size(const struct kmem_cache_cpu *c, const struct sheaf *sh)
{
	return c && sh == c->main ? c->main_size : sh->size;
}

static void sheaf_set_size(struct kmem_cache_cpu *c, struct sheaf *sh, unsigned int size)
{
	if (c && sh == c->main)
		WRITE_ONCE(c->main_size, size);
	else
		WRITE_ONCE(sh->size, size);
}

/* Flushes the oldest objects of a sheaf (the bottom) to the slabs; the
 * size is read again after the flush, which may report (a sink may use
 * this very sheaf). */
static void flush_sheaf(struct kmem_cache *s, struct kmem_cache_cpu *c, struct sheaf *sh,
			unsigned int nr)
{
	unsigned int size = sheaf_size(c, sh);

	if (nr > size)
		nr = size;
	flush_objects(s, sh->objects, nr);
	size = sheaf_size(c, sh);
	memmove(sh->objects, sh->objects + nr, (size - nr) * sizeof(void *));
	sheaf_set_size(c, sh, size - nr);
	stat_add(s, c, SHEAF_FLUSH, nr);
}

/* --------------------------------------------------------- one by one */

/* No thread state (exited thread, no memory for it) or a node request:
 * one object straight from the slabs. */
static void *alloc_single(struct kmem_cache *s, gfp_t gfpflags, int node,
			  struct kmem_cache_cpu *c)
{
	void *object;

	if (!refill(s, node, &object, 1)) {
		slab_out_of_memory(s, gfpflags, node);
		return NULL;
	}
	stat(s, c, ALLOC_SLOWPATH);
	return object;
}

/* ----------------------------------------------------------- the paths */

static struct barn *local_barn(struct kmem_cache *s)
{
	return &get_node(s, os_current_node())->barn;
}

/*
 * In the malloc replacement a thread's first refills of a kmalloc cache
 * take few objects, doubling up to batchcount: a thread that allocates
 * one object of many sizes (the seed's worry about per-cpu queues times
 * threads) does not strand a batch of objects, and the slab pages under
 * them, per size per thread.  kmem_caches refill batchcount always.
 */
static unsigned int refill_count(struct kmem_cache *s, struct kmem_cache_cpu *c,
				 const struct sheaf *main)
{
	unsigned int nr = min_t(unsigned int, READ_ONCE(s->batchcount), main->capacity);

	if (!malloc_replacement || !(s->flags & SLAB_KMALLOC))
		return nr;
	if (c->refills < 5 && nr > (2u << c->refills))
		nr = 2u << c->refills;
	c->refills++;
	return nr;
}

/* A refilled batch goes into c's main sheaf as it is now (read again
 * after the refill); what does not fit goes back to the slabs.  Returns
 * the object handed out: the last of the batch, as a pop would. */
static void *load_batch(struct kmem_cache *s, struct kmem_cache_cpu *c, void **batch,
			unsigned int got)
{
	struct sheaf *main = c->main;
	unsigned int size = c->main_size, keep = min_t(unsigned int, got - 1, main->capacity - size);

	/* A CPU's sheaf hands them to other threads (cpu mode). */
	for (unsigned int i = 0; i < keep; i++)
		tsan_handoff_release(batch[i]);
	memcpy(main->objects + size, batch, keep * sizeof(void *));
	WRITE_ONCE(c->main_size, size + keep);
	if (keep < got - 1)
		flush_objects(s, batch + keep, got - 1 - keep);
	return batch[got - 1];
}

static void *unified_alloc_slow(struct kmem_cache *s, gfp_t gfpflags, int node,
				struct kmem_cache_cpu *c)
{
	struct sheaf *main;

	if (!c) {
		c = this_cpu_slab_slow(s);
		if (!c)
			return alloc_single(s, gfpflags, node, NULL);
	}
	if (unlikely(!c->cache))
		WRITE_ONCE(c->cache, s);
	if (node != NUMA_NO_NODE) {
		stat(s, c, ALLOC_NODE_MISMATCH);
		return alloc_single(s, gfpflags, node, c);
	}
	main = c->main;
	if (!c->main_size) {
		struct sheaf *full;

		if (c->spare->size) {
			struct sheaf *spare = c->spare;

			WRITE_ONCE(c->spare, detach_main(c));
			attach_main(c, spare);
		} else if ((full = barn_get_full(local_barn(s)))) {
			stat(s, c, BARN_GET);
			main = detach_main(c);
			if (main != &empty_sheaf && !barn_put(local_barn(s), main, false, 0))
				sheaf_free(s, main);
			attach_main(c, full);
		} else {
			void *batch[MAX_SHEAF_CAPACITY];
			unsigned int got;

			stat(s, c, BARN_GET_FAIL);
			if (main == &empty_sheaf) {
				main = barn_get_empty(local_barn(s));
				if (!main)
					main = sheaf_alloc(s, READ_ONCE(s->queue_limit));
				if (!main)
					return alloc_single(s, gfpflags, node, c);
				attach_main(c, main);
			}
			/* Into a batch of our own: refill runs the constructors
			 * of new slabs, which may use c's sheaves meanwhile. */
			got = refill(s, NUMA_NO_NODE, batch, refill_count(s, c, main));
			if (!got) {
				slab_out_of_memory(s, gfpflags, node);
				return NULL;
			}
			if (s->flags & SLAB_RANDOM_FREELIST)
				shuffle(batch, got);
			stat_add(s, c, SHEAF_REFILL, got);
			stat(s, c, ALLOC_SLOWPATH);
			return load_batch(s, c, batch, got);
		}
	}
	main = c->main;
	stat(s, c, ALLOC_SLOWPATH);
	WRITE_ONCE(c->main_size, c->main_size - 1);
	return main->objects[c->main_size];
}

/* Makes room in c->main for one object; false if none could be made. */
static bool make_room(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct sheaf *main = c->main, *spare = c->spare, *empty;

	if (main == &empty_sheaf) {
		main = barn_get_empty(local_barn(s));
		if (!main)
			main = sheaf_alloc(s, READ_ONCE(s->queue_limit));
		if (!main)
			return false;
		attach_main(c, main);
		return true;
	}
	if (spare->size < spare->capacity) {
		WRITE_ONCE(c->spare, detach_main(c));
		attach_main(c, spare);
		return true;
	}
	if (spare == &empty_sheaf) {
		empty = sheaf_alloc(s, READ_ONCE(s->queue_limit));
		if (empty) {
			WRITE_ONCE(c->spare, detach_main(c));
			attach_main(c, empty);
			return true;
		}
	}
	/* Detached for barn_put, which takes it only if the barn has room. */
	main = detach_main(c);
	if (barn_put(local_barn(s), main, true, READ_ONCE(s->barn_full_max))) {
		stat(s, c, BARN_PUT);
		empty = barn_get_empty(local_barn(s));
		if (!empty)
			empty = sheaf_alloc(s, READ_ONCE(s->queue_limit));
		if (empty) {
			attach_main(c, empty);
			return true;
		}
		return make_room(s, c);
	}
	attach_main(c, main);
	stat(s, c, BARN_PUT_FAIL);
	flush_sheaf(s, c, main, READ_ONCE(s->batchcount) ? READ_ONCE(s->batchcount) : 1);
	return c->main_size < c->main->capacity;
}

static void unified_free_slow(struct kmem_cache *s, struct slab *slab, void *object,
			      struct kmem_cache_cpu *c)
{
	struct sheaf *main;

	if (!c)
		c = this_cpu_slab_slow(s);
	if (c && unlikely(!c->cache))
		WRITE_ONCE(c->cache, s);
	/* The fast path saw the main sheaf's last two; with sheaves of one
	 * object (the largest malloc classes) the one before went to the
	 * spare sheaf when this one made room. */
	if (c && ((c->main != &empty_sheaf && sheaf_recent(c->main, c->main_size, object)) ||
		  (c->spare != &empty_sheaf && c->spare->size &&
		   c->spare->objects[c->spare->size - 1] == object))) {
		slab_bug_double_free(s, slab, object);
		return;
	}
	if (s->flags & __SLAB_INIT_ON_FREE)
		memset(object, 0, s->object_size);
	kasan_slab_free(s, object);
	if (!c || (c->main_size >= c->main->capacity && !make_room(s, c))) {
		flush_objects(s, &object, 1);
		stat(s, c, FREE_SLOWPATH);
		return;
	}
	main = c->main;
	main->objects[c->main_size] = object;
	WRITE_ONCE(c->main_size, c->main_size + 1);
	stat(s, c, FREE_SLOWPATH);
}

static void flush_and_free_sheaf(struct kmem_cache *s, struct kmem_cache_cpu *c,
				 struct sheaf *sh)
{
	if (sh == &empty_sheaf)
		return;
	flush_sheaf(s, c, sh, sh->size);
	sheaf_free(s, sh);
}

static void unified_flush_cpu(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct sheaf *main = detach_main(c), *spare = c->spare;

	WRITE_ONCE(c->spare, &empty_sheaf);
	stat(s, c, CPUSLAB_FLUSH);
	flush_and_free_sheaf(s, c, main);
	flush_and_free_sheaf(s, c, spare);
}

static unsigned long unified_shrink(struct kmem_cache *s, bool destroying)
{
	unsigned long remaining = 0;

	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		struct kmem_cache_node *n = get_node(s, (int)i);
		struct list_head sheaves = LIST_HEAD_INIT(sheaves);
		struct slab *slab, *tmp, *discard = NULL;

		barn_take_all(&n->barn, &sheaves);
		while (!list_empty(&sheaves)) {
			struct sheaf *sh = list_first_entry(&sheaves, struct sheaf, barn_list);

			list_del(&sh->barn_list);
			flush_and_free_sheaf(s, NULL, sh);
		}
		spin_lock(&n->list_lock);
		list_for_each_entry_safe(slab, tmp, &n->partial, slab_list) {
			if (read_counters(slab).inuse)
				continue;
			if (!destroying && (s->flags & SLAB_TYPESAFE_BY_RCU) && !rcu_grace_periods())
				break;
			remove_partial(n, slab);
			slab->next = discard;
			discard = slab;
		}
		spin_unlock(&n->list_lock);
		while (discard) {
			slab = discard;
			discard = slab->next;
			discard_slab(s, slab);
			stat(s, NULL, FREE_SLAB);
		}
		remaining += __atomic_load_n(&n->nr_slabs, __ATOMIC_RELAXED);
	}
	return remaining;
}

/* Sheaf capacity by object size (the kernel's 4/12/26/60, filled up to
 * the sheaf classes); batches of half a sheaf, as SLAB's batchcount. */
void unified_set_queue_limit(struct kmem_cache *s, unsigned int limit)
{
	unsigned int barn = MAX_BARN_SHEAVES;

	/* The medium malloc classes' barns: at most 256 KiB or one sheaf. */
	if (malloc_replacement && (s->flags & SLAB_KMALLOC) && s->size > KMALLOC_MAX_CACHE_SIZE)
		barn = clamp_t(unsigned int, (256u << 10) / ((size_t)limit * s->size), 1,
			       MAX_BARN_SHEAVES);
	WRITE_ONCE(s->queue_limit, limit);
	WRITE_ONCE(s->barn_full_max, barn);
}

static void unified_setup_cache(struct kmem_cache *s)
{
	unsigned int limit;

	if (s->size >= PAGE_SIZE)
		limit = 6;
	else if (s->size >= 1024)
		limit = 14;
	else if (s->size >= 256)
		limit = 30;
	else
		limit = 62;
	/* A program's malloc batches are longer than a kernel's.  Its medium
	 * classes (above 8 KiB) hold at most 64 KiB or one object a sheaf:
	 * a thread that used all of them and went idle keeps about 4 MiB in
	 * its main and spare sheaves (as much as tcmalloc lets a thread
	 * cache hold), which nobody else can take until it allocates again. */
	if (malloc_replacement && (s->flags & SLAB_KMALLOC)) {
		limit = 2 * limit + 2;
		if (s->size > KMALLOC_MAX_CACHE_SIZE)
			limit = clamp_t(unsigned int, (64u << 10) / s->size, 1, limit);
	}
	unified_set_queue_limit(s, limit);
	s->batchcount = (limit + 1) / 2;
	s->cpu_partial = 0;
	s->cpu_partial_slabs = 0;
}

static void unified_cpu_info(struct kmem_cache *s, struct kmem_cache_cpu *c,
			     struct uslab_cache_info *info)
{
	struct sheaf *main = READ_ONCE(c->main), *spare = READ_ONCE(c->spare);

	(void)s;
	if (main != &empty_sheaf || spare != &empty_sheaf)
		info->cpu_slabs++;
	info->queued_objs += READ_ONCE(c->main_size) + READ_ONCE(spare->size);
}

const struct personality unified_personality = {
	.name = "unified",
	.objects_per_slab = unified_objects_per_slab,
	.setup_cache = unified_setup_cache,
	.init_slab = unified_init_slab,
	.release_slab = unified_release_slab,
	.alloc_slow = unified_alloc_slow,
	.free_slow = unified_free_slow,
	.flush_cpu = unified_flush_cpu,
	.shrink = unified_shrink,
	.cpu_info = unified_cpu_info,
};
