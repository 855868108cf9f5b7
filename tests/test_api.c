/*
 * test_api.c - the object-cache API: creation and its errors, SLAB_PANIC,
 * KMEM_CACHE, node requests, zeroing, shrink, destroy (clean: every page
 * back; leaking: reported, objects stay valid), wrong-cache frees, and the
 * flush of a thread's cpu slabs when it exits.
 */
#include <sys/wait.h>
#include <unistd.h>

#include <stdatomic.h>

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

/* Today's kernel's forms of kmem_cache_create: (name, size, args, flags)
 * with a struct kmem_cache_args or NULL, beside the classic five
 * arguments; kmem_cache_create_usercopy and KMEM_CACHE_USERCOPY. */
static atomic_int args_ctor_calls;

static void args_ctor(void *p)
{
	memset(p, 0x3c, 100);
	atomic_fetch_add(&args_ctor_calls, 1);
}

struct usercopy_obj {
	long id;
	char name[40];
	long refs;
};

TEST(kmem_cache_args_forms)
{
	struct kmem_cache_args a = { .align = 64, .ctor = args_ctor };
	struct kmem_cache *s, *t, *u;
	struct uslab_cache_info ci;
	unsigned char *o;

	s = kmem_cache_create("args-struct", 100, &a, SLAB_NO_MERGE);
	CHECK(s);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(o && (uintptr_t)o % 64 == 0);
	CHECK(atomic_load(&args_ctor_calls) > 0);
	CHECK_EQ(o[99], 0x3c);
	kmem_cache_free(s, o);
	CHECK_EQ(destroy_counting_reports(s), 0);

	s = kmem_cache_create("args-null", 100, NULL, SLAB_NO_MERGE);
	CHECK(s);
	CHECK_EQ(kmem_cache_size(s), 100);
	kmem_cache_destroy(s);

	s = kmem_cache_create("args-classic", 100, 32, SLAB_NO_MERGE, NULL);
	CHECK(s);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(o && (uintptr_t)o % 32 == 0);
	kmem_cache_free(s, o);
	kmem_cache_destroy(s);

	/* A usercopy region: never merged, not even with its twin. */
	t = KMEM_CACHE_USERCOPY(usercopy_obj, 0, name);
	u = kmem_cache_create_usercopy("usercopy_obj2", sizeof(struct usercopy_obj),
				       __alignof__(struct usercopy_obj), 0,
				       __builtin_offsetof(struct usercopy_obj, name), 40, NULL);
	CHECK(t && u && t != u);
	uslab_cache_info(t, &ci);
	CHECK_EQ(ci.refcount, 1);
	CHECK(!strcmp(kmem_cache_name(t), "usercopy_obj"));
	kmem_cache_destroy(t);
	kmem_cache_destroy(u);

	/* Bad arguments: a report, no cache. */
	capture_start();
	a = (struct kmem_cache_args){ .usersize = 200 };
	CHECK(!kmem_cache_create("args-bad-usercopy", 100, &a, 0));
	a = (struct kmem_cache_args){ .use_freeptr_offset = true, .freeptr_offset = 8 };
	CHECK(!kmem_cache_create("args-freeptr-plain", 100, &a, 0));
	a = (struct kmem_cache_args){ .use_freeptr_offset = true, .freeptr_offset = 12 };
	CHECK(!kmem_cache_create("args-freeptr-odd", 100, &a, SLAB_TYPESAFE_BY_RCU));
	a = (struct kmem_cache_args){ .use_freeptr_offset = true, .freeptr_offset = 96 };
	CHECK(!kmem_cache_create("args-freeptr-out", 100, &a, SLAB_TYPESAFE_BY_RCU));
	a = (struct kmem_cache_args){ .sheaf_capacity = 100000 };
	CHECK(!kmem_cache_create("args-sheaf", 100, &a, 0));
	CHECK(!kmem_cache_create("args-void", 100, (void *)&a, 0));
	capture_stop();
	CHECK_STR_CONTAINS(capture_buf, "kmem_cache_create(args-bad-usercopy, size=100, align=0, flags=0): the usercopy region leaves the object\n");
	CHECK_STR_CONTAINS(capture_buf, "kmem_cache_create(args-freeptr-plain, size=100, align=0, flags=0): freeptr_offset must leave a pointer-aligned word inside the object, for SLAB_TYPESAFE_BY_RCU\n");
	CHECK_STR_CONTAINS(capture_buf, "(args-freeptr-odd, ");
	CHECK_STR_CONTAINS(capture_buf, "(args-freeptr-out, ");
	CHECK_STR_CONTAINS(capture_buf, "kmem_cache_create(args-sheaf, size=100, align=0, flags=0): sheaf_capacity is larger than a sheaf holds (254)\n");
	CHECK_STR_CONTAINS(capture_buf, "kmem_cache_create(args-void, size=100, align=0, flags=0): no struct kmem_cache_args (NULL, or a void * that is not NULL)\n");
}

/* freeptr_offset: a SLAB_TYPESAFE_BY_RCU cache's free pointer inside the
 * object, where the program said; the stride stays the object's size, and
 * a freed object keeps every other byte (what its RCU readers check). */
struct typesafe_obj {
	unsigned long key;
	void *unused_when_free;
	unsigned long payload[6];
};

TEST(freeptr_offset_for_typesafe_caches)
{
	struct kmem_cache_args a = {
		.use_freeptr_offset = true,
		.freeptr_offset = __builtin_offsetof(struct typesafe_obj, unused_when_free),
	};
	struct kmem_cache *s = kmem_cache_create("typesafe-freeptr", sizeof(struct typesafe_obj), &a,
						 SLAB_TYPESAFE_BY_RCU);
	struct kmem_cache *outside = kmem_cache_create("typesafe-outside", sizeof(struct typesafe_obj),
						       NULL, SLAB_TYPESAFE_BY_RCU);
	struct typesafe_obj *o[8];
	struct uslab_cache_info ci;

	CHECK(s && outside);
	uslab_cache_info(s, &ci);
	if (!getenv("USLAB_DEBUG"))
		CHECK_EQ(ci.size, sizeof(struct typesafe_obj));
	uslab_cache_info(outside, &ci);
	CHECK(ci.size > sizeof(struct typesafe_obj));
	for (int i = 0; i < 8; i++) {
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(o[i]);
		o[i]->key = 1000 + (unsigned long)i;
		for (int j = 0; j < 6; j++)
			o[i]->payload[j] = (unsigned long)(i * 10 + j);
	}
	for (int i = 0; i < 8; i++)
		kmem_cache_free(s, o[i]);
	/* Type-stable memory: freed objects still read as they were, but
	 * for the word given to the allocator. */
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(o[i]->key, 1000 + (unsigned long)i);
		for (int j = 0; j < 6; j++)
			CHECK_EQ(o[i]->payload[j], (unsigned long)(i * 10 + j));
	}
	for (int i = 0; i < 8; i++)
		CHECK((o[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	for (int i = 0; i < 8; i++)
		kmem_cache_free(s, o[i]);
	CHECK_EQ(destroy_counting_reports(s), 0);
	kmem_cache_destroy(outside);
}

/* sheaf_capacity: a unified cache's sheaves hold that many (slub has
 * none, and takes the argument as nothing). */
TEST(sheaf_capacity_sets_a_unified_sheaf)
{
	struct kmem_cache_args a = { .sheaf_capacity = 20 };
	struct kmem_cache *s = kmem_cache_create("sheaf-cap", 64, &a, 0);
	struct uslab_cache_info ci;

	CHECK(s);
	uslab_cache_info(s, &ci);
	if (!strcmp(ci.allocator, "unified")) {
		CHECK_EQ(ci.queue_limit, 20);
		CHECK(ci.batchcount <= 20);
	}
	kmem_cache_destroy(s);
}

TEST_MAIN()
