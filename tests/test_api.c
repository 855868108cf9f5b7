/*
 * test_api.c - the object-cache API: creation and its errors, SLAB_PANIC,
 * KMEM_CACHE, node requests, zeroing, shrink, destroy (clean: every page
 * back; leaking: reported, objects stay valid), wrong-cache frees, and the
 * flush of a thread's cpu slabs when it exits.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

struct request {
	long id;
	char payload[100];
};

TEST(create_validates_arguments)
{
	const char *text;

	capture_start();
	CHECK(kmem_cache_create(NULL, 64, 0, 0, NULL) == NULL);
	CHECK(kmem_cache_create("", 64, 0, 0, NULL) == NULL);
	CHECK(kmem_cache_create("zero", 0, 0, 0, NULL) == NULL);
	CHECK(kmem_cache_create("odd-align", 64, 24, 0, NULL) == NULL);
	CHECK(kmem_cache_create("huge", 3u << 20, 0, 0, NULL) == NULL);
	CHECK(kmem_cache_create("flags", 64, 0, 0x80000000u, NULL) == NULL);
	text = capture_stop();
	CHECK_EQ(capture_count(), 6);
	CHECK_STR_CONTAINS(text, "kmem_cache_create((null), size=64, align=0, flags=0): a cache needs a name");
	CHECK_STR_CONTAINS(text, "kmem_cache_create(zero, size=0, align=0, flags=0): object size is 0");
	CHECK_STR_CONTAINS(text, "alignment is not a power of two");
	CHECK_STR_CONTAINS(text, "larger than the largest slab");
	CHECK_STR_CONTAINS(text, "unknown flags");
}

TEST(slab_panic_aborts_on_failure)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		uslab_set_report_sink(capture_sink, NULL, NULL, NULL);
		kmem_cache_create("panic", 0, 0, SLAB_PANIC, NULL);
		_exit(0);
	}
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

TEST(kmem_cache_macro_and_size)
{
	struct kmem_cache *s = KMEM_CACHE(request, SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE);
	struct request *r;

	CHECK(s);
	CHECK(!strcmp(kmem_cache_name(s), "request"));
	CHECK_EQ(kmem_cache_size(s), sizeof(struct request));
	r = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ((uintptr_t)r % 64, 0);
	r->id = 7;
	kmem_cache_free(s, r);
	r = kmem_cache_zalloc(s, GFP_KERNEL);
	CHECK_EQ(r->id, 0);
	for (size_t i = 0; i < sizeof(r->payload); i++)
		CHECK_EQ(r->payload[i], 0);
	kmem_cache_free(s, r);
	kmem_cache_free(s, NULL);
	kmem_cache_destroy(s);
	kmem_cache_destroy(NULL);
	/* The mode asked for, or thread where cpu cannot be, with a reason. */
	if (getenv("USLAB_CPU_MODE") && !strcmp(getenv("USLAB_CPU_MODE"), "thread"))
		CHECK(!strcmp(uslab_cpu_mode(), "thread"));
	else
		CHECK(cpu_mode() || !strcmp(uslab_cpu_mode(), "thread"));
	CHECK(uslab_cpu_mode_reason() && *uslab_cpu_mode_reason());
	CHECK(uslab_version() && *uslab_version());
}

TEST(node_requests)
{
	struct kmem_cache *s = kmem_cache_create("nodes", 64, 0, SLAB_NO_MERGE, NULL);
	void *a = kmem_cache_alloc_node(s, GFP_KERNEL, NUMA_NO_NODE);
	void *b = kmem_cache_alloc_node(s, GFP_KERNEL, 0);
	void *c = kmem_cache_alloc_node(s, GFP_KERNEL, 999);   /* no such node: any */
	void *d = kmalloc_node(300, GFP_KERNEL, 0);
	void *e = kzalloc_node(300, GFP_KERNEL, NUMA_NO_NODE);
	void *f = kcalloc_node(10, 10, GFP_KERNEL, 0);

	CHECK(a && b && c && d && e && f);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	kmem_cache_free(s, c);
	kfree(d);
	kfree(e);
	kfree(f);
	kmem_cache_destroy(s);
}

TEST(shrink_frees_empty_slabs)
{
	struct kmem_cache *s = kmem_cache_create("shrink", 1000, 0, SLAB_NO_MERGE, NULL);
	void *p[500];

	for (int i = 0; i < 500; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 500; i++)
		kmem_cache_free(s, p[i]);
	CHECK(cache_info(s).nr_slabs > 0);
	CHECK_EQ(kmem_cache_shrink(s), 0);
	CHECK_EQ(cache_info(s).nr_slabs, 0);
	CHECK_EQ(cache_info(s).pages, 0);
	kmem_cache_destroy(s);
}

TEST(clean_destroy_returns_every_page)
{
	unsigned long before;
	struct kmem_cache *s;
	void *p[3000];

	kfree(kmalloc(16, GFP_KERNEL));   /* warm the name's size class */
	before = pages_in_use();
	s = kmem_cache_create("clean", 300, 0, SLAB_NO_MERGE, NULL);
	for (int i = 0; i < 3000; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(pages_in_use() > before + 100);
	for (int i = 0; i < 3000; i++)
		kmem_cache_free(s, p[i]);
	CHECK_EQ(destroy_counting_reports(s), 0);
	CHECK_EQ(pages_in_use(), before);
}

TEST(leaking_destroy_reports_and_keeps_objects)
{
	struct kmem_cache *s = kmem_cache_create("leaky", 80, 0, SLAB_NO_MERGE, NULL);
	char *keep[3];
	const char *text;

	for (int i = 0; i < 3; i++) {
		keep[i] = kmem_cache_alloc(s, GFP_KERNEL);
		strcpy(keep[i], "still here");
	}
	for (int i = 0; i < 100; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	capture_start();
	kmem_cache_destroy(s);
	text = capture_stop();
	CHECK_BUG(text, "leaky", "Objects remaining in leaky on __kmem_cache_shutdown()");
	CHECK_STR_CONTAINS(text, "INFO: 3 objects remaining in 1 slabs");
	CHECK_STR_CONTAINS(text, "kmem_cache_destroy leaky: Slab cache still has objects");
	CHECK(cache_info(s).destroyed);
	/* The objects are still valid memory and can still be freed. */
	for (int i = 0; i < 3; i++) {
		CHECK(!strcmp(keep[i], "still here"));
		kmem_cache_free(s, keep[i]);
	}
	/* Destroying again once they are gone completes it. */
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST(free_to_the_wrong_cache_is_reported)
{
	struct kmem_cache *a = kmem_cache_create("cache-a", 64, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *b = kmem_cache_create("cache-b", 64, 0, SLAB_NO_MERGE, NULL);
	void *p = kmem_cache_alloc(a, GFP_KERNEL);
	void *big = kmalloc(20000, GFP_KERNEL);
	const char *text;

	capture_start();
	kmem_cache_free(b, p);
	kmem_cache_free(b, big);
	kmem_cache_free(b, &text);
	text = capture_stop();
	CHECK_EQ(capture_count(), 3);
	CHECK_BUG(text, "cache-b", "Wrong slab cache. cache-b but object is from cache-a");
	CHECK_STR_CONTAINS(text, "FIX cache-b: Object not freed");
	CHECK_STR_CONTAINS(text, "in kmem_cache_free: not an object of any slab cache");
	CHECK_STR_CONTAINS(text, "in kmem_cache_free: not allocated by uslab");
	CHECK_EQ(cache_info(a).active_objs, 1);
	kmem_cache_free(a, p);
	kfree(big);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
}

static void *use_and_exit(void *arg)
{
	struct kmem_cache *s = arg;
	void *p[10];

	for (int i = 0; i < 10; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 10; i++)
		kmem_cache_free(s, p[i]);
	return NULL;
}

TEST(thread_exit_flushes_cpu_slabs)
{
	struct kmem_cache *s = kmem_cache_create("exit-flush", 64, 0, SLAB_NO_MERGE, NULL);
	unsigned long before = pages_in_use();
	pthread_t th[8];

	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, use_and_exit, s);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	if (cpu_mode()) {
		/* Per CPU: an exit has nothing to flush, the CPUs keep it. */
		CHECK(cache_info(s).cpu_slabs >= 1);
		CHECK_EQ(uslab_cache_stat(s, USLAB_STAT_CPUSLAB_FLUSH), 0);
		uslab_thread_flush();
		CHECK(uslab_cache_stat(s, USLAB_STAT_CPUSLAB_FLUSH) >= 1);
		CHECK_EQ(cache_info(s).queued_objs, 0);
	} else {
		CHECK_EQ(cache_info(s).cpu_slabs, 0);
		CHECK_EQ(cache_info(s).cpu_partial, 0);
		CHECK_EQ(uslab_cache_stat(s, USLAB_STAT_CPUSLAB_FLUSH), 8);
	}
	/* Their per-thread arrays (and queues) went back too. */
	uslab_reclaim(NULL);
	CHECK(pages_in_use() <= before);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

static pthread_key_t late_key;

static void late_destructor(void *arg)
{
	/* Runs after (or before) uslab's own thread destructor: either way
	 * allocation and free work. */
	struct kmem_cache *s = arg;
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, p);
	kfree(kmalloc(40, GFP_KERNEL));
}

static void *register_late(void *arg)
{
	pthread_setspecific(late_key, arg);
	kmem_cache_free(arg, kmem_cache_alloc(arg, GFP_KERNEL));
	return NULL;
}

TEST(alloc_in_other_thread_destructors)
{
	struct kmem_cache *s = kmem_cache_create("late", 32, 0, SLAB_NO_MERGE, NULL);
	pthread_t th;

	pthread_key_create(&late_key, late_destructor);
	for (int i = 0; i < 4; i++) {
		pthread_create(&th, NULL, register_late, s);
		pthread_join(th, NULL);
	}
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST_MAIN()
