/*
 * test_reclaim.c - memory goes back when asked: uslab_reclaim() empties
 * caches full of freed objects, calls the program's shrinkers, runs before
 * an allocation gives up, reaches other threads at their next slow path,
 * and can be driven by memory pressure (PSI, or any descriptor); the
 * background purger returns free pages without being called.
 */
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

TEST(a_cache_full_of_freed_objects_shrinks)
{
	slab_flags_t kinds[] = { SLAB_SLUB, SLAB_UNIFIED };

	for (int k = 0; k < 2; k++) {
		struct kmem_cache *s = kmem_cache_create("reclaim-me", 200, 0, kinds[k] | SLAB_NO_MERGE, NULL);
		struct uslab_reclaim_result r;
		unsigned long pages;
		void **p = calloc(20000, sizeof(void *));

		for (int i = 0; i < 20000; i++)
			p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		for (int i = 0; i < 20000; i++)
			kmem_cache_free(s, p[i]);
		free(p);
		CHECK(cache_info(s).nr_slabs > 0);
		pages = pages_in_use();
		uslab_reclaim(&r);
		CHECK_EQ(cache_info(s).nr_slabs, 0);
		CHECK_EQ(cache_info(s).queued_objs, 0);
		CHECK(r.slabs_freed > 0);
		CHECK(pages_in_use() < pages);
		kmem_cache_destroy(s);
	}
}

/* A program cache of its own: entries kept for reuse, freed on demand. */
struct entry {
	struct entry *next;
	char data[100];
};

static struct entry *cached;
static unsigned long nr_cached, scans;

static unsigned long count_entries(struct shrinker *sh, struct shrink_control *sc)
{
	(void)sh; (void)sc;
	return nr_cached ? nr_cached : SHRINK_EMPTY;
}

static unsigned long scan_entries(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long freed = 0;

	(void)sh;
	scans++;
	while (cached && freed < sc->nr_to_scan) {
		struct entry *e = cached;

		cached = e->next;
		kfree(e);
		freed++;
		nr_cached--;
	}
	return freed;
}

static struct shrinker entry_shrinker = {
	.count_objects = count_entries,
	.scan_objects = scan_entries,
	.batch = 128,
	.seeks = DEFAULT_SEEKS,
};

static void fill_cache(int n)
{
	for (int i = 0; i < n; i++) {
		struct entry *e = kmalloc(sizeof(*e), GFP_KERNEL);

		e->next = cached;
		cached = e;
		nr_cached++;
	}
}

TEST(shrinkers_are_called_and_their_objects_freed)
{
	struct kmem_cache *k = uslab_kmalloc_cache(sizeof(struct entry));
	unsigned long live;
	struct uslab_reclaim_result r;

	CHECK_EQ(register_shrinker(&entry_shrinker, "entries"), 0);
	live = cache_info(k).active_objs;
	fill_cache(1000);
	CHECK_EQ(cache_info(k).active_objs, live + 1000);
	uslab_reclaim(&r);
	CHECK_EQ(nr_cached, 0);
	CHECK(scans >= 1000 / 128);
	CHECK_EQ(r.shrinker_objects, 1000);
	CHECK_EQ(cache_info(k).active_objs, live);
	unregister_shrinker(&entry_shrinker);
	fill_cache(10);
	uslab_reclaim(&r);
	CHECK_EQ(nr_cached, 10);        /* no longer asked */
	CHECK_EQ(r.shrinker_objects, 0);
	while (cached) {
		struct entry *e = cached;

		cached = e->next;
		kfree(e);
	}
	nr_cached = 0;
	capture_start();
	struct shrinker bad = { 0 };
	CHECK_EQ(register_shrinker(&bad, "bad"), -1);
	CHECK_STR_CONTAINS(capture_stop(), "a shrinker needs count_objects and scan_objects");
}

/* The API since 6.7: shrinker_alloc names it (formatted), the caller
 * sets the callbacks and private_data, shrinker_register makes it
 * count, shrinker_free takes it out.  A NUMA-aware shrinker is asked per
 * node, others with nid 0 (never NUMA_NO_NODE, an index no array has). */
static int alloc_shrinker_nids[64], alloc_shrinker_calls;

static unsigned long count_private(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long *n = sh->private_data;

	if (alloc_shrinker_calls < 64)
		alloc_shrinker_nids[alloc_shrinker_calls++] = sc->nid;
	return *n ? *n : SHRINK_EMPTY;
}

static unsigned long scan_private(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long *n = sh->private_data, got = sc->nr_to_scan < *n ? sc->nr_to_scan : *n;

	*n -= got;
	return got;
}

TEST(shrinker_alloc_register_free)
{
	unsigned long objects = 300;
	struct uslab_reclaim_result r;
	struct shrinker *sh = shrinker_alloc(0, "test-%s-%d", "alloc", 7);

	CHECK(sh);
	CHECK(!strcmp(sh->name, "test-alloc-7"));
	CHECK_EQ(sh->seeks, DEFAULT_SEEKS);
	CHECK((sh->flags & SHRINKER_ALLOCATED) && !(sh->flags & SHRINKER_REGISTERED));
	sh->count_objects = count_private;
	sh->scan_objects = scan_private;
	sh->private_data = &objects;
	sh->batch = 100;
	uslab_reclaim(&r);
	CHECK_EQ(objects, 300);            /* not registered yet */
	shrinker_register(sh);
	CHECK(sh->flags & SHRINKER_REGISTERED);
	alloc_shrinker_calls = 0;
	uslab_reclaim(&r);
	CHECK_EQ(objects, 0);
	CHECK_EQ(r.shrinker_objects, 300);
	CHECK(alloc_shrinker_calls >= 1);
	for (int i = 0; i < alloc_shrinker_calls; i++)
		CHECK_EQ(alloc_shrinker_nids[i], 0);
	shrinker_free(sh);
	objects = 50;
	uslab_reclaim(&r);
	CHECK_EQ(objects, 50);             /* freed: asked no more */
	shrinker_free(NULL);
	/* Unregistered by the older call, then freed: no second report. */
	sh = shrinker_alloc(0, "test-unregistered");
	CHECK(sh);
	sh->count_objects = count_private;
	sh->scan_objects = scan_private;
	sh->private_data = &objects;
	shrinker_register(sh);
	unregister_shrinker(sh);
	capture_start();
	shrinker_free(sh);
	capture_stop();
	CHECK_EQ(capture_count(), 0);

	/* NUMA aware: once per online node, nid 0 first. */
	sh = shrinker_alloc(SHRINKER_NUMA_AWARE, "test-numa");
	CHECK(sh);
	sh->count_objects = count_private;
	sh->scan_objects = scan_private;
	sh->private_data = &objects;
	shrinker_register(sh);
	alloc_shrinker_calls = 0;
	uslab_reclaim(&r);
	CHECK(alloc_shrinker_calls >= 1);
	CHECK_EQ(alloc_shrinker_nids[0], 0);
	for (int i = 0; i < alloc_shrinker_calls; i++)
		CHECK(alloc_shrinker_nids[i] >= 0);
	shrinker_free(sh);

	/* The older API's struct is not shrinker_alloc's. */
	capture_start();
	shrinker_register(&entry_shrinker);
	CHECK_STR_CONTAINS(capture_stop(), "not from shrinker_alloc()");
	uslab_reclaim(&r);
	CHECK_EQ(r.shrinker_objects, 0);
}

/* A shrinker that frees itself from inside its own scan (a uslab
 * extension: the kernel's shrinker_free would wait for itself): it is
 * freed once the callback returns, and not called again, though its
 * count and batch asked for more scans. */
static int self_freeing_scans;

static unsigned long self_freeing_scan(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long *n = sh->private_data;

	(void)sc;
	self_freeing_scans++;
	*n = 0;
	shrinker_free(sh);
	return 1;
}

TEST(shrinker_free_from_its_own_callback)
{
	unsigned long objects = 10;
	struct uslab_reclaim_result r;
	struct shrinker *sh = shrinker_alloc(0, "self-freeing");

	CHECK(sh);
	sh->count_objects = count_private;
	sh->scan_objects = self_freeing_scan;
	sh->private_data = &objects;
	sh->batch = 1;
	shrinker_register(sh);
	capture_start();
	uslab_reclaim(&r);
	capture_stop();
	CHECK_EQ(capture_count(), 0);
	CHECK_EQ(self_freeing_scans, 1);
	CHECK_EQ(objects, 0);
	CHECK_EQ(r.shrinker_objects, 1);
	objects = 10;
	uslab_reclaim(&r);
	CHECK_EQ(objects, 10);
	CHECK_EQ(r.shrinker_objects, 0);
}

TEST(reclaim_before_an_allocation_gives_up)
{
	struct uslab_page_allocator *fi = uslab_fault_inject_create(NULL, USLAB_FAULT_NTH, 1);
	struct kmem_cache *s = kmem_cache_create("last-chance", 300, 0, SLAB_NO_MERGE, NULL);
	unsigned long before = uslab_reclaim_count();
	void *p;

	register_shrinker(&entry_shrinker, "entries");
	fill_cache(50);
	scans = 0;
	uslab_cache_set_page_allocator(s, fi);
	/* The first page request fails: reclaim runs (the shrinker frees its
	 * entries), the allocation asks again and succeeds. */
	capture_start();
	p = kmem_cache_alloc(s, GFP_KERNEL);
	capture_stop();
	CHECK(p);
	CHECK_EQ(capture_count(), 0);
	CHECK_EQ(uslab_fault_inject_failures(fi), 1);
	CHECK_EQ(uslab_reclaim_count(), before + 1);
	CHECK(scans > 0);
	CHECK_EQ(nr_cached, 0);
	/* Every request failing: reclaim, retry, then NULL and the report. */
	uslab_fault_inject_arm(fi, USLAB_FAULT_AFTER, 0);
	kmem_cache_free(s, p);
	kmem_cache_shrink(s);
	capture_start();
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_STR_CONTAINS(capture_stop(), "SLUB: Unable to allocate memory");
	CHECK(p == NULL);
	unregister_shrinker(&entry_shrinker);
	kmem_cache_destroy(s);
	uslab_page_allocator_destroy(fi);
}

struct holder {
	struct kmem_cache *s, *other;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage;
};

static void wait_stage(struct holder *h, int stage)
{
	pthread_mutex_lock(&h->lock);
	while (h->stage < stage)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

static void set_stage(struct holder *h, int stage)
{
	pthread_mutex_lock(&h->lock);
	h->stage = stage;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static void *hold_objects(void *arg)
{
	struct holder *h = arg;
	void *p[20];

	for (int i = 0; i < 20; i++)
		p[i] = kmem_cache_alloc(h->s, GFP_KERNEL);
	for (int i = 0; i < 20; i++)
		kmem_cache_free(h->s, p[i]);
	set_stage(h, 1);
	wait_stage(h, 2);
	/* A slow path (a cache this thread never used): it drains here. */
	kmem_cache_free(h->other, kmem_cache_alloc(h->other, GFP_KERNEL));
	set_stage(h, 3);
	wait_stage(h, 4);
	return NULL;
}

TEST(other_threads_give_back_at_their_next_slow_path)
{
	struct holder h = { .s = kmem_cache_create("held", 64, 0, SLAB_UNIFIED | SLAB_NO_MERGE, NULL),
			    .other = kmem_cache_create("other", 64, 0, SLAB_UNIFIED | SLAB_NO_MERGE, NULL),
			    .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	pthread_t th;

	pthread_create(&th, NULL, hold_objects, &h);
	wait_stage(&h, 1);
	CHECK(cache_info(h.s).queued_objs >= 20);
	uslab_reclaim(NULL);
	/* The other thread's sheaves are its own until it comes by; a
	 * CPU's are drained at once. */
	if (cpu_mode())
		CHECK_EQ(cache_info(h.s).queued_objs, 0);
	else
		CHECK(cache_info(h.s).queued_objs >= 20);
	set_stage(&h, 2);
	wait_stage(&h, 3);
	CHECK_EQ(cache_info(h.s).queued_objs, 0);
	set_stage(&h, 4);
	pthread_join(th, NULL);
	kmem_cache_destroy(h.s);
	kmem_cache_destroy(h.other);
}

TEST(pressure_from_a_descriptor_runs_reclaim)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	unsigned long before = uslab_reclaim_count(), events = uslab_pressure_events();
	uint64_t one = 1;
	struct timespec deadline;

	CHECK(efd >= 0);
	CHECK_EQ(uslab_pressure_watch_fd(efd), 0);
	capture_start();
	CHECK_EQ(uslab_pressure_watch_fd(efd), -1);   /* one watcher at a time */
	CHECK_STR_CONTAINS(capture_stop(), "a pressure watcher runs already");
	CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	/* Wait for the watcher's reclaim (bounded; it is a thread). */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 10;
	for (;;) {
		struct timespec now;

		if (uslab_pressure_events() > events)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		CHECK(now.tv_sec < deadline.tv_sec);
		poll(NULL, 0, 1);
	}
	uslab_pressure_stop();
	CHECK(uslab_reclaim_count() > before);
	close(efd);
}

TEST(pressure_stall_trigger)
{
	if (access("/proc/pressure/memory", W_OK)) {
		printf("no writable /proc/pressure/memory here: trigger not registered\n");
		return;
	}
	CHECK_EQ(uslab_pressure_watch(NULL, "some 150000 2000000"), 0);
	uslab_pressure_stop();
	capture_start();
	CHECK_EQ(uslab_pressure_watch("/proc/pressure/memory", "nonsense"), -1);
	CHECK_STR_CONTAINS(capture_stop(), "trigger \"nonsense\" refused");
}

/* Run by pressure_env in a child: the watcher could not start, and the
 * program goes on. */
TEST(pressure_env_child)
{
	struct kmem_cache *s;
	void *p;

	if (!getenv("USLAB_PRESSURE"))
		return;
	s = kmem_cache_create("after-pressure", 40, 0, SLAB_NO_MERGE, NULL);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	printf("pressure_env_child checked\n");
	fflush(stdout);
}

TEST(pressure_env)
{
	static const char *const env[] = {
		"USLAB_PRESSURE=1", "USLAB_PRESSURE_FILE=/nonexistent/memory.pressure", NULL,
	};
	static char out[16384];

	CHECK_EQ(run_test_child("pressure_env_child", env, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "pressure watcher: /nonexistent/memory.pressure: No such file");
	CHECK_STR_CONTAINS(out, "pressure_env_child checked");
}

/*
 * The background purger (off by default, on in libuslab-malloc): after a
 * cache's slabs go back, the free pages are returned to the OS by the
 * purger thread, without another call into uslab.  Polled against a
 * deadline: the purge delay is 100 ms here.
 */
TEST(background_purger_returns_free_pages)
{
	struct kmem_cache *s = kmem_cache_create("purged", 1024, 0, SLAB_NO_MERGE, NULL);
	unsigned long passes = uslab_background_purge_passes();
	struct uslab_page_stats ps;
	struct timespec start, now;
	void *objs[4000];
	long waited_ms = 0;

	CHECK_EQ(uslab_option_set(USLAB_OPT_BACKGROUND_PURGE, 1), 0);
	for (int i = 0; i < 4000; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		memset(objs[i], 1, 1024);
	}
	for (int i = 0; i < 4000; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);            /* every slab back to the page allocator */
	uslab_page_stats(&ps);
	CHECK(ps.pages_free_cached >= 900);   /* 4 MB freed, still resident */
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		uslab_page_stats(&ps);
		if (!ps.pages_free_cached && uslab_background_purge_passes() > passes)
			break;
		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
	} while (waited_ms < 5000);
	uslab_option_set(USLAB_OPT_BACKGROUND_PURGE, 0);
	CHECK(uslab_background_purge_passes() > passes);
	CHECK_EQ(ps.pages_free_cached, 0);
}

TEST_MAIN()
