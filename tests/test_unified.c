/*
 * test_unified.c - the unified personality: per-thread sheaves over
 * bitmap slabs.  Queue sizes, where the bitmap lives, objects never
 * written while free, frees from another thread kept in that thread's
 * queue, whole sheaves exchanged through the barn, slabs given back as
 * they empty, double frees caught, and no thread of its own.
 */
#include <dirent.h>

#include "check.h"
#include "base/types.h"
#include "core/object.h"
#include "page/segment.h"

#define ST(s, x) uslab_cache_stat(s, USLAB_STAT_##x)

static struct kmem_cache *unified(const char *name, unsigned int size)
{
	return kmem_cache_create(name, size, 0, SLAB_UNIFIED | SLAB_NO_MERGE, NULL);
}

TEST(queue_sizes_by_object_size)
{
	unsigned int sizes[] = { 64, 300, 2000, 5000 }, limits[] = { 62, 30, 14, 6 };

	for (int i = 0; i < 4; i++) {
		struct kmem_cache *s = unified("u-sizes", sizes[i]);
		struct uslab_cache_info ci = cache_info(s);

		CHECK(!strcmp(ci.allocator, "unified"));
		CHECK_EQ(ci.queue_limit, limits[i]);
		CHECK_EQ(ci.batchcount, (limits[i] + 1) / 2);
		kmem_cache_destroy(s);
	}
}

TEST(bitmap_in_descriptor_or_in_metadata)
{
	/* 64 objects of 64 bytes: the bitmap is the descriptor's word. */
	struct kmem_cache *a = unified("u-64", 64);
	/* 256 slots of 16 bytes: four bitmap words out of band (metadata),
	 * so the objects fill the slab, all aligned to 16. */
	struct kmem_cache *b = unified("u-16", 16);
	void *p[600];

	CHECK_EQ(cache_info(a).objs_per_slab, 64);
	CHECK_EQ(cache_info(b).order, 0);
	CHECK_EQ(cache_info(b).objs_per_slab, 256);
	/* The last slot is an object, and no word of the slab is metadata. */
	CHECK(b->slot_mask == 15);
	for (int i = 0; i < 600; i++) {
		p[i] = kmem_cache_alloc(b, GFP_KERNEL);
		CHECK_EQ((uintptr_t)p[i] % 16, 0);
		memset(p[i], 0x77, 16);
	}
	for (int i = 0; i < 600; i++)
		kmem_cache_free(b, p[i]);
	kmem_cache_destroy(a);
	CHECK_EQ(destroy_counting_reports(b), 0);
}

TEST(a_free_object_is_never_written)
{
	struct kmem_cache *s = unified("u-untouched", 128);
	unsigned int n = cache_info(s).queue_limit * 6;
	unsigned char **p = calloc(n, sizeof(*p));

	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		memset(p[i], (int)(i & 0xff), 128);
	}
	/* Freed: into the sheaves, the barn, back to the slabs. */
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	CHECK(uslab_cache_stat(s, USLAB_STAT_SHEAF_FLUSH) + cache_info(s).barn_sheaves > 0);
	if (!TEST_ASAN)
		for (unsigned int i = 0; i < n; i++)
			for (int b = 0; b < 128; b++)
				CHECK_EQ(p[i][b], i & 0xff);
	free(p);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

struct handoff {
	struct kmem_cache *s;
	void *objs[10];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage;
};

static void *free_and_wait(void *arg)
{
	struct handoff *h = arg;

	for (int i = 0; i < 10; i++)
		kmem_cache_free(h->s, h->objs[i]);
	pthread_mutex_lock(&h->lock);
	h->stage = 1;
	pthread_cond_broadcast(&h->cond);
	while (h->stage != 2)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

TEST(remote_frees_stay_in_the_freeing_thread)
{
	struct handoff h = { .s = unified("u-remote", 64), .lock = PTHREAD_MUTEX_INITIALIZER,
			     .cond = PTHREAD_COND_INITIALIZER };
	unsigned long queued_here;
	pthread_t th;

	for (int i = 0; i < 10; i++)
		h.objs[i] = kmem_cache_alloc(h.s, GFP_KERNEL);
	queued_here = cache_info(h.s).queued_objs;
	pthread_create(&th, NULL, free_and_wait, &h);
	pthread_mutex_lock(&h.lock);
	while (h.stage != 1)
		pthread_cond_wait(&h.cond, &h.lock);
	pthread_mutex_unlock(&h.lock);
	/* SLAB semantics: the ten objects sit in the other thread's sheaf
	 * (cpu mode: in the sheaf of the CPU it ran on). */
	CHECK_EQ(cache_info(h.s).queued_objs, queued_here + 10);
	CHECK_EQ(cache_info(h.s).active_objs, 0);
	pthread_mutex_lock(&h.lock);
	h.stage = 2;
	pthread_cond_broadcast(&h.cond);
	pthread_mutex_unlock(&h.lock);
	pthread_join(th, NULL);
	/* Its exit gave them back; a CPU's sheaf keeps them. */
	CHECK_EQ(cache_info(h.s).queued_objs, queued_here + (cpu_mode() ? 10 : 0));
	CHECK_EQ(destroy_counting_reports(h.s), 0);
}

struct pc {
	struct kmem_cache *s;
	void **objs;
	int n;
};

static void *consume(void *arg)
{
	struct pc *pc = arg;

	for (int i = 0; i < pc->n; i++)
		kmem_cache_free(pc->s, pc->objs[i]);
	return NULL;
}

TEST(whole_sheaves_go_through_the_barn)
{
	struct pc pc = { unified("u-barn", 64), NULL, 2000 };
	pthread_t th;

	pc.objs = calloc((size_t)pc.n, sizeof(void *));
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < pc.n; i++)
			pc.objs[i] = kmem_cache_alloc(pc.s, GFP_KERNEL);
		pthread_create(&th, NULL, consume, &pc);
		pthread_join(th, NULL);
	}
	/* The consumer handed full sheaves to the barn; the producer took
	 * them back whole instead of refilling from slabs. */
	CHECK(ST(pc.s, BARN_PUT) > 0);
	CHECK(ST(pc.s, BARN_GET) > 0);
	CHECK_EQ(cache_info(pc.s).active_objs, 0);
	free(pc.objs);
	CHECK_EQ(destroy_counting_reports(pc.s), 0);
}

TEST(slabs_go_back_as_they_empty)
{
	struct kmem_cache *s = unified("u-empty", 512);
	void *p[3000];
	struct uslab_cache_info ci;

	for (int i = 0; i < 3000; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(cache_info(s).nr_slabs > 100);
	for (int i = 0; i < 3000; i++)
		kmem_cache_free(s, p[i]);
	uslab_thread_flush();
	ci = cache_info(s);
	/* At most min_partial empty slabs stay, plus what the barn holds. */
	CHECK(ci.nr_slabs <= ci.min_partial + ci.barn_sheaves * ci.queue_limit / ci.objs_per_slab + 2);
	CHECK_EQ(ci.active_objs, 0);
	CHECK(ST(s, FREE_SLAB) > 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(double_frees_caught)
{
	struct kmem_cache *s = unified("u-double", 64);
	void *p = kmem_cache_alloc(s, GFP_KERNEL), *q = kmem_cache_alloc(s, GFP_KERNEL);
	const char *text;

	kmem_cache_free(s, p);
	capture_start();
	kmem_cache_free(s, p);          /* right after: caught at once */
	text = capture_stop();
	CHECK_BUG_STARTS(text, "u-double", "Object already free");
	kmem_cache_free(s, q);
	capture_start();
	kmem_cache_free(s, p);          /* later: caught when the sheaf is flushed */
	uslab_thread_flush();
	text = capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK_BUG_STARTS(text, "u-double", "Object already free");
	CHECK_EQ(destroy_counting_reports(s), 0);
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The entry s's fast paths use now: the CPU's in cpu mode (the caller
 * pins itself to one CPU), else the thread's. */
static inline struct kmem_cache_cpu *fast_entry(const struct kmem_cache *s)
{
	if (cpu_mode() && s->cpu_index < CPU_FAST_ENTRIES)
		return (struct kmem_cache_cpu *)(percpu_fast.base +
						 ((size_t)sched_getcpu() << PERCPU_BLOCK_SHIFT)) +
		       s->cpu_index;
	return this_cpu_slab(s);
}

/* kfree(p) as a free racing its slab's reuse could see it: the page's
 * info word naming other's index (and order). */
static void kfree_through_index_of(void *p, const struct kmem_cache *other)
{
	uint32_t *info = virt_to_page_info(p), saved = *info;

	*info = page_info_make(other->cpu_index, other->oo.order);
	kfree(p);
	*info = saved;
}

/* The info word of every page of a slab names its cache and order; the
 * page allocator clears them when the slab goes. */
TEST(every_page_of_a_slab_has_its_info_word_until_the_slab_goes)
{
	struct kmem_cache *s = unified("u-info", 1000);
	unsigned int order = s->oo.order, n = 0;
	void *p[200];
	struct slab *first;
	char *start;

	CHECK(order > 0);
	/* Objects of the first slab and one of another slab of its segment,
	 * which keeps the segment (and its table) mapped. */
	p[n++] = kmem_cache_alloc(s, GFP_KERNEL);
	first = virt_to_slab(p[0]);
	start = slab_address(first);
	while (n < 200) {
		p[n] = kmem_cache_alloc(s, GFP_KERNEL);
		if (virt_to_slab(p[n]) != first && ptr_segment(p[n]) == ptr_segment(start))
			break;
		n++;
	}
	CHECK(n < 200);
	for (unsigned int i = 0; i < 1u << order; i++)
		CHECK_EQ(*virt_to_page_info(start + ((size_t)i << PAGE_SHIFT)),
			 page_info_make(s->cpu_index, order));
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_shrink(s);
	CHECK(virt_to_slab(start)->kind != PAGE_SLAB);
	for (unsigned int i = 0; i < 1u << order; i++)
		CHECK_EQ(*virt_to_page_info(start + ((size_t)i << PAGE_SHIFT)), 0);
	kmem_cache_free(s, p[n]);
	kmem_cache_destroy(s);
}

/* A word that names a cache whose fast path cannot take the object (a
 * slub cache, a unified one of another size) while the descriptor names
 * the slab's: the free goes by the descriptor, to the right cache.  (A
 * word naming a cache of the same geometry is taken at its word: one
 * aligned load shows the page as one slab's or the other's, and a double
 * free that races the reuse of its slab is not caught, as in SLUB.) */
TEST(a_page_info_word_the_descriptor_contradicts_is_settled_by_the_descriptor)
{
	struct kmem_cache *a = unified("u-stale-u", 64);
	struct kmem_cache *b = kmem_cache_create("u-stale-slub", 64, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *d = unified("u-stale-96", 96);
	void *pb, *pd, *pa[2], *again = NULL;
	cpu_set_t all;

	/* One CPU's entries throughout (cpu mode). */
	CHECK_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
	pin_to_current_cpu();
	pb = kmem_cache_alloc(b, GFP_KERNEL);
	pd = kmem_cache_alloc(d, GFP_KERNEL);

	/* One at an offset where d's slabs have no object start. */
	pa[0] = kmem_cache_alloc(a, GFP_KERNEL);
	pa[1] = kmem_cache_alloc(a, GFP_KERNEL);
	if (object_start_order(d, d->oo.order, pa[0])) {
		void *t = pa[0];

		pa[0] = pa[1];
		pa[1] = t;
	}
	CHECK(!object_start_order(d, d->oo.order, pa[0]));
	kmem_cache_free(a, pa[1]);
	kmem_cache_free(b, pb);
	kmem_cache_free(d, pd);
	/* A state slub's entry may be in: no object remembered (NULL). */
	if (!(b->flags & SLAB_UNIFIED))
		fast_entry(b)->second = NULL;
	for (int round = 0; round < 2; round++) {
		struct kmem_cache *other = round ? d : b;

		/* USLAB_ALLOCATOR=unified: b has a's geometry. */
		if (other->flags & SLAB_UNIFIED && other->size == a->size)
			continue;
		kfree_through_index_of(pa[0], other);
		again = kmem_cache_alloc(other, GFP_KERNEL);
		CHECK(again != pa[0]);
		kmem_cache_free(other, again);
		again = kmem_cache_alloc(a, GFP_KERNEL);
		CHECK(again == pa[0]);
	}
	kmem_cache_free(a, again);
	sched_setaffinity(0, sizeof(all), &all);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	kmem_cache_destroy(d);
}

/* object_start_order() against a division, at every word of slabs of
 * orders 0-3 of caches of many sizes, with and without a left red zone:
 * starts of slots, the slab's tail, the red zone and the words inside. */
TEST(object_start_matches_a_division_at_every_offset)
{
	static const unsigned int sizes[] = { 8, 16, 24, 48, 64, 96, 100, 192, 1000, 2048, 3000, 4096 };
	char *base = (char *)((uintptr_t)1 << 32);

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (int red = 0; red < 2; red++) {
			struct kmem_cache *s = kmem_cache_create("u-start", sizes[i], 0,
								 SLAB_NO_MERGE | (red ? SLAB_RED_ZONE : 0),
								 NULL);
			int bad = 0;

			CHECK(!red || s->red_left_pad > 0);
			for (unsigned int order = 0; order <= 3; order++) {
				uint64_t bytes = PAGE_SIZE << order;

				if (bytes < s->size)   /* no slab of s has this order */
					continue;
				for (uint64_t off = 0; off < bytes; off += 8) {
					int64_t q = (int64_t)off - s->red_left_pad;
					bool want = q >= 0 && q % s->size == 0 && (uint64_t)q + s->size <= bytes;

					bad += object_start_order(s, order, base + off) != want;
				}
			}
			CHECK_EQ(bad, 0);
			kmem_cache_destroy(s);
		}
	}
}

/* __SLAB_UNIFIED_FAST, the malloc fast paths' one-bit test, holds exactly
 * for unified caches without __SLAB_CHECKED, whatever the caller passed,
 * and follows a debug layout set and cleared at run time. */
TEST(the_unified_fast_bit_follows_personality_and_checks)
{
	struct kmem_cache *s = unified("u-fast", 64), *sl, *z;

	/* Not a flag a caller may pass. */
	capture_start();
	CHECK(!kmem_cache_create("u-fast-bad", 64, 0, SLAB_NO_MERGE | __SLAB_UNIFIED_FAST, NULL));
	CHECK_STR_CONTAINS(capture_stop(), "unknown flags");
	sl = kmem_cache_create("u-fast-slub", 64, 0, SLAB_NO_MERGE | SLAB_SLUB, NULL);
	CHECK(s->flags & __SLAB_UNIFIED_FAST);
	CHECK(!(sl->flags & __SLAB_UNIFIED_FAST));
	uslab_option_set(USLAB_OPT_INIT_ON_FREE, 1);
	z = unified("u-fast-zero", 64);
	uslab_option_set(USLAB_OPT_INIT_ON_FREE, 0);
	CHECK(z->flags & __SLAB_CHECKED);
	CHECK(!(z->flags & __SLAB_UNIFIED_FAST));
	CHECK_EQ(uslab_cache_set_debug(s, SLAB_RED_ZONE), 0);
	CHECK(!(s->flags & __SLAB_UNIFIED_FAST));
	/* Cleared, the cache takes the default personality again. */
	CHECK_EQ(uslab_cache_set_debug(s, 0), 0);
	CHECK_EQ(!!(s->flags & __SLAB_UNIFIED_FAST), !!(s->flags & SLAB_UNIFIED));
	kmem_cache_destroy(s);
	kmem_cache_destroy(sl);
	kmem_cache_destroy(z);
}

TEST(no_thread_no_timer)
{
	int threads = count_threads();   /* a sanitizer may run one of its own */
	struct kmem_cache *s = unified("u-quiet", 256);
	void *p[500];

	for (int i = 0; i < 500; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 500; i++)
		kmem_cache_free(s, p[i]);
	/* Queues expire through reclaim only: uslab runs no thread. */
	CHECK_EQ(count_threads(), threads);
	CHECK(cache_info(s).queued_objs > 0);
	uslab_reclaim(NULL);
	CHECK_EQ(cache_info(s).queued_objs, 0);
	CHECK_EQ(cache_info(s).nr_slabs, 0);
	kmem_cache_destroy(s);
}

TEST(threads_mixed_with_slub)
{
	/* The same traffic through both personalities gives the same counts. */
	struct kmem_cache *u = unified("u-mixed", 96);
	struct kmem_cache *l = kmem_cache_create("l-mixed", 96, 0, SLAB_SLUB | SLAB_NO_MERGE, NULL);
	struct pc a = { u, NULL, 5000 }, b = { l, NULL, 5000 };
	pthread_t t1, t2;

	a.objs = calloc(5000, sizeof(void *));
	b.objs = calloc(5000, sizeof(void *));
	for (int i = 0; i < 5000; i++) {
		a.objs[i] = kmem_cache_alloc(u, GFP_KERNEL);
		b.objs[i] = kmem_cache_alloc(l, GFP_KERNEL);
	}
	pthread_create(&t1, NULL, consume, &a);
	pthread_create(&t2, NULL, consume, &b);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK_EQ(cache_info(u).active_objs, 0);
	CHECK_EQ(cache_info(l).active_objs, 0);
	free(a.objs);
	free(b.objs);
	CHECK_EQ(destroy_counting_reports(u), 0);
	CHECK_EQ(destroy_counting_reports(l), 0);
}

TEST_MAIN()
