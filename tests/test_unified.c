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
	/* SLAB semantics: the ten objects sit in the other thread's sheaf. */
	CHECK_EQ(cache_info(h.s).queued_objs, queued_here + 10);
	CHECK_EQ(cache_info(h.s).active_objs, 0);
	pthread_mutex_lock(&h.lock);
	h.stage = 2;
	pthread_cond_broadcast(&h.cond);
	pthread_mutex_unlock(&h.lock);
	pthread_join(th, NULL);
	/* Its exit gave them back. */
	CHECK_EQ(cache_info(h.s).queued_objs, queued_here);
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

/* kfree finds the thread's entry through the page descriptor's copy of
 * the cache's cpu_index.  A racing free may read that copy stale (the
 * slab given back and made anew by another cache meanwhile): the object
 * must still never go onto the other cache's sheaf. */
/* kfree(p) as a free racing its slab's reuse would see it: the page
 * descriptor's cpu_index read as other's. */
static void kfree_through_index_of(void *p, const struct kmem_cache *other)
{
	struct slab *d = virt_to_page_desc(p);
	unsigned int saved = d->cpu_index;

	d->cpu_index = other->cpu_index;
	kfree(p);
	d->cpu_index = saved;
}

TEST(a_stale_cpu_index_never_sends_an_object_to_another_cache)
{
	struct kmem_cache *a = unified("u-stale-a", 64), *b = unified("u-stale-b", 64);
	void *pa = kmem_cache_alloc(a, GFP_KERNEL), *pb = kmem_cache_alloc(b, GFP_KERNEL);
	void *again, *held[200];

	kmem_cache_free(b, pb);
	kfree_through_index_of(pa, b);
	for (int i = 0; i < 200; i++) {
		held[i] = kmem_cache_alloc(b, GFP_KERNEL);
		CHECK(held[i] != pa);
		CHECK(virt_to_slab(held[i])->slab_cache == b);
	}
	for (int i = 0; i < 200; i++)
		kmem_cache_free(b, held[i]);
	again = kmem_cache_alloc(a, GFP_KERNEL);
	CHECK(again == pa);
	kmem_cache_free(a, again);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
}

/* The same with a slub cache's entry: its words are no sheaf. */
TEST(a_stale_cpu_index_naming_a_slub_entry_is_not_followed)
{
	struct kmem_cache *a = unified("u-stale-u", 64);
	struct kmem_cache *b = kmem_cache_create("u-stale-slub", 64, 0, SLAB_NO_MERGE, NULL);
	void *pa = kmem_cache_alloc(a, GFP_KERNEL), *pb = kmem_cache_alloc(b, GFP_KERNEL);
	void *again;

	kmem_cache_free(b, pb);
	/* A state slub's entry may be in: no object remembered (NULL). */
	if (!(b->flags & SLAB_UNIFIED))
		this_cpu_slab(b)->second = NULL;
	kfree_through_index_of(pa, b);
	again = kmem_cache_alloc(b, GFP_KERNEL);
	CHECK(again != pa);
	kmem_cache_free(b, again);
	again = kmem_cache_alloc(a, GFP_KERNEL);
	CHECK(again == pa);
	kmem_cache_free(a, again);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
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
