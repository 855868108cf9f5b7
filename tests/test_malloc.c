/*
 * test_malloc.c - the malloc family of libuslab-malloc, linked in
 * (-luslab-malloc before libc): results, errno, alignment, foreign
 * pointers, trim and statistics, fork while threads allocate, thread exit
 * and process exit.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>

#include "check.h"

/* The compiler must not fold malloc calls whose results look unused or
 * whose arguments it can see (an impossible size, a zero alignment). */
static size_t volatile_size(size_t n)
{
	volatile size_t v = n;

	return v;
}

/* The cache malloc(size) takes from: the kmalloc cache named for the
 * usable size of such an object. */
static struct kmem_cache *malloc_cache_of(size_t size)
{
	void *p = malloc(volatile_size(size));
	char name[32];

	snprintf(name, sizeof(name), "kmalloc-%zu", malloc_usable_size(p));
	free(p);
	return uslab_cache_find(name);
}

static unsigned long active_objs(size_t size)
{
	struct uslab_cache_info ci;

	if (uslab_cache_info(malloc_cache_of(size), &ci))
		return (unsigned long)-1;
	return ci.active_objs;
}

TEST(malloc_comes_from_kmalloc)
{
	unsigned long before = active_objs(100);
	char *p = malloc(volatile_size(100));

	CHECK(p);
	CHECK(before != (unsigned long)-1);
	CHECK_EQ(active_objs(100), before + 1);
	CHECK_EQ(malloc_usable_size(p), 112);    /* kmalloc-112: a malloc class */
	CHECK_EQ(ksize(p), 112);
	memset(p, 0xab, 112);
	free(p);
	CHECK_EQ(active_objs(100), before);
}

static bool all_bytes_are(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* A large block has room to grow in its mapping: realloc uses it. */
TEST(realloc_grows_a_large_block_in_place)
{
	char *p = malloc(volatile_size(5 << 20)), *q;

	memset(p, 0x5a, 5 << 20);
	q = realloc(p, volatile_size(6 << 20));
	CHECK(q == p);
	CHECK_EQ(malloc_usable_size(q), 6u << 20);
	CHECK(all_bytes_are(q, 5 << 20, 0x5a));
	memset(q, 0x5b, 6 << 20);
	/* Beyond the room (6 MiB): moved, the bytes with it. */
	p = realloc(q, volatile_size(7 << 20));
	CHECK(p != q);
	CHECK(all_bytes_are(p, 6 << 20, 0x5b));
	free(p);
}

/* Shrunk in place, freed, then reused by calloc: no byte of the old
 * block shows through, not even past the shrunk end. */
TEST(calloc_after_a_large_block_shrank_in_place_reads_zeros)
{
	char *p = malloc(volatile_size(6 << 20)), *q, *r;

	memset(p, 0xaa, 6 << 20);
	q = realloc(p, volatile_size((7 << 20) / 2));
	CHECK(q == p);
	CHECK_EQ(malloc_usable_size(q), (size_t)(7 << 20) / 2);
	free(q);
	r = calloc(1, volatile_size(6 << 20));
	CHECK(r == p);
	CHECK(all_bytes_are(r, 6 << 20, 0));
	free(r);
}

/* A pointer into a segment's first page (its header, whose descriptor the
 * segment's own fields lie over) is reported and ignored, not followed. */
TEST(free_of_a_pointer_into_a_segment_header_is_ignored)
{
	char *p = malloc(volatile_size(64));
	char *seg = (char *)((uintptr_t)p & ~((uintptr_t)(4 << 20) - 1));

	free(seg + 0x10);
	free(seg + 0x40);
	free(seg + 0x1000);
	CHECK_EQ(malloc_usable_size(seg + 0x40), 0);
	free(p);
	p = malloc(volatile_size(64));
	CHECK(p);
	free(p);
}

/* Four classes per doubling above 64 bytes: little waste for any size. */
TEST(malloc_size_classes)
{
	static const size_t sizes[][2] = {
		{ 1, 8 }, { 8, 8 }, { 9, 16 }, { 17, 32 }, { 33, 48 }, { 65, 80 }, { 129, 160 },
		{ 200, 224 }, { 257, 320 }, { 513, 640 }, { 700, 768 }, { 1025, 1280 },
		{ 2100, 2560 }, { 4097, 5120 }, { 7000, 7168 }, { 8192, 8192 },
		/* Medium classes, up to 256 KiB; above, runs of pages. */
		{ 8193, 10240 }, { 10241, 12288 }, { 16385, 20480 }, { 40000, 40960 },
		{ 100000, 114688 }, { 200000, 229376 }, { 262144, 262144 }, { 262145, 524288 },
	};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = malloc(volatile_size(sizes[i][0]));

		CHECK(p);
		CHECK_EQ(malloc_usable_size(p), sizes[i][1]);
		if (sizes[i][1] >= 16)
			CHECK_EQ((uintptr_t)p % 16, 0);
		free(p);
	}
	/* The kernel API keeps the kernel's classes. */
	CHECK_EQ(kmalloc_size_roundup(513), 1024);
}

/* A medium block freed is the next one of its class handed out, from the
 * thread's cache: no page allocator call in between. */
TEST(medium_sizes_are_cached_per_thread)
{
	struct uslab_page_stats before, after;
	void *p, *q;

	p = malloc(volatile_size(30000));
	memset(p, 1, 30000);
	free(p);
	uslab_page_stats(&before);
	for (int i = 0; i < 100; i++) {
		q = malloc(volatile_size(30000));
		CHECK(q == p);
		memset(q, 2, 30000);
		free(q);
	}
	uslab_page_stats(&after);
	CHECK_EQ(after.alloc_requests, before.alloc_requests);
	CHECK_EQ(after.free_requests, before.free_requests);
}

TEST(malloc_zero_is_unique)
{
	void *a = malloc(volatile_size(0)), *b = malloc(volatile_size(0));

	CHECK(a && b && a != b);
	free(a);
	free(b);
	free(NULL);
}

TEST(malloc_too_big_sets_enomem_quietly)
{
	capture_start();
	errno = 0;
	CHECK(!malloc(volatile_size(SIZE_MAX)));
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(!malloc(volatile_size((size_t)PTRDIFF_MAX + 1)));
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(!malloc(volatile_size((size_t)1 << 62)));   /* asked of the kernel */
	CHECK_EQ(errno, ENOMEM);
	capture_stop();
	CHECK_EQ(capture_count(), 0);
}

TEST(malloc_sixteen_byte_alignment)
{
	for (size_t n = 9; n <= 20000; n += n / 8 + 1) {
		void *p = malloc(volatile_size(n));

		CHECK(p);
		CHECK_EQ((uintptr_t)p % 16, 0);
		CHECK(malloc_usable_size(p) >= n);
		free(p);
	}
}

TEST(calloc_zeroes_and_checks_overflow)
{
	unsigned char *p;

	/* Dirty an object of the same class first, so calloc must clear it. */
	p = malloc(volatile_size(8000));
	memset(p, 0x5a, 8000);
	free(p);
	p = calloc(1000, 8);
	CHECK(p);
	for (int i = 0; i < 8000; i++)
		CHECK_EQ(p[i], 0);
	free(p);
	p = calloc(1, volatile_size(1 << 20));
	CHECK(p);
	for (int i = 0; i < (1 << 20); i += 4096)
		CHECK_EQ(p[i], 0);
	free(p);
	errno = 0;
	CHECK(!calloc(volatile_size(SIZE_MAX / 2), 3));
	CHECK_EQ(errno, ENOMEM);
	p = calloc(0, 5);
	CHECK(p);
	free(p);
}

static unsigned char pattern(size_t j)
{
	return (unsigned char)(j % 251 + 1);
}

TEST(realloc_keeps_contents)
{
	size_t sizes[] = { 10, 100, 5000, 100000, 3 << 20, 200, 20, 1 };
	unsigned char *p = realloc(NULL, 10);
	size_t cur = 10;

	CHECK(p);
	for (size_t j = 0; j < cur; j++)
		p[j] = pattern(j);
	for (size_t i = 1; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t keep = cur < sizes[i] ? cur : sizes[i];

		p = realloc(p, sizes[i]);
		CHECK(p);
		for (size_t j = 0; j < keep; j++)
			CHECK_EQ(p[j], pattern(j));
		for (size_t j = 0; j < sizes[i]; j++)
			p[j] = pattern(j);
		cur = sizes[i];
	}
	free(p);
}

TEST(realloc_shrink_releases_the_big_object)
{
	unsigned long before = active_objs(8192);
	char *p = malloc(volatile_size(8000)), *q;

	strcpy(p, "kept");
	q = realloc(p, 10);    /* far smaller: moves to kmalloc-16 */
	CHECK(q);
	CHECK_EQ(strcmp(q, "kept"), 0);
	CHECK_EQ(active_objs(8192), before);
	CHECK_EQ(malloc_usable_size(q), 16);
	q = realloc(q, 12);    /* a little smaller: in place */
	CHECK(q);
	CHECK_EQ(strcmp(q, "kept"), 0);
	free(q);
}

TEST(realloc_zero_frees_like_glibc)
{
	unsigned long before = active_objs(64);
	void *p = malloc(volatile_size(64));

	CHECK_EQ(active_objs(64), before + 1);
	CHECK(realloc(p, 0) == NULL);
	CHECK_EQ(active_objs(64), before);
}

TEST(reallocarray_overflow_keeps_the_object)
{
	char *p = malloc(volatile_size(32)), *q;

	strcpy(p, "intact");
	errno = 0;
	CHECK(!reallocarray(p, volatile_size(SIZE_MAX / 4), 8));
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(strcmp(p, "intact"), 0);
	q = reallocarray(p, 10, 10);
	CHECK(q);
	CHECK_EQ(strcmp(q, "intact"), 0);
	free(q);
}

TEST(every_power_of_two_alignment_to_1mib)
{
	size_t sizes[] = { 1, 24, 100, 3000, 9000, 70000, (3 << 20) + 5 };

	for (size_t align = 1; align <= (1 << 20); align <<= 1) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t n = sizes[i];
			void *p = NULL, *q, *r;

			if (align >= sizeof(void *)) {
				CHECK_EQ(posix_memalign(&p, align, n), 0);
				CHECK_EQ((uintptr_t)p % align, 0);
			}
			q = aligned_alloc(align, n);
			r = memalign(align, n);
			CHECK(q && r);
			CHECK_EQ((uintptr_t)q % align, 0);
			CHECK_EQ((uintptr_t)r % align, 0);
			CHECK(malloc_usable_size(q) >= n);
			memset(q, 1, n);
			memset(r, 2, n);
			if (p)
				memset(p, 3, n);
			free(p);
			free(q);
			free(r);
		}
	}
	/* 2 MiB: a whole buddy run, or a mapping of its own when bigger. */
	for (size_t n = 100; n <= (8 << 20); n *= 300) {
		void *p = NULL;

		CHECK_EQ(posix_memalign(&p, 2 << 20, n), 0);
		CHECK_EQ((uintptr_t)p % (2 << 20), 0);
		memset(p, 4, n);
		free(p);
	}
	/* Above, no block start can be aligned: refused, not misaligned. */
	{
		void *p = (void *)1;

		CHECK_EQ(posix_memalign(&p, 4 << 20, 100), EINVAL);
		CHECK(p == (void *)1);
	}
}

TEST(alignment_errors_as_glibc)
{
	void *p = (void *)1;
	int saved;

	CHECK_EQ(posix_memalign(&p, 3, 10), EINVAL);
	CHECK_EQ(posix_memalign(&p, 4, 10), EINVAL);     /* not a multiple of void * */
	CHECK_EQ(posix_memalign(&p, volatile_size(0), 10), EINVAL);
	CHECK(p == (void *)1);                            /* untouched on error */
	errno = 1234;
	saved = posix_memalign(&p, 64, volatile_size(SIZE_MAX / 2));
	CHECK_EQ(saved, ENOMEM);
	CHECK_EQ(errno, 1234);                            /* errno left alone */
	errno = 0;
	CHECK(!aligned_alloc(volatile_size(24), 10));
	CHECK_EQ(errno, EINVAL);
	p = memalign(volatile_size(48), 10);                             /* rounded up to 64 */
	CHECK(p);
	CHECK_EQ((uintptr_t)p % 64, 0);
	free(p);
	errno = 0;
	CHECK(!memalign(volatile_size(SIZE_MAX), 10));
	CHECK_EQ(errno, EINVAL);
	p = valloc(10);
	CHECK(p && (uintptr_t)p % 4096 == 0);
	free(p);
	p = pvalloc(1);
	CHECK(p && (uintptr_t)p % 4096 == 0);
	CHECK(malloc_usable_size(p) >= 4096);
	free(p);
	errno = 0;
	CHECK(!pvalloc(volatile_size(SIZE_MAX - 100)));
	CHECK_EQ(errno, ENOMEM);
}

/* free(p); free(q); free(p): glibc's tcache catches it; so do we, and
 * nothing is handed out twice afterwards.  The largest classes have
 * sheaves of one block. */
TEST(interleaved_double_free)
{
	static const size_t sizes[] = { 24, 96, 384, 1536, 4096, 16384, 65536, 131072, 262144 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t size = sizes[k];
		char *p = malloc(size), *q = malloc(size);
		void *got[6];

		capture_start();
		free(p);
		free(q);
		free(p);
		capture_stop();
		CHECK_EQ(capture_count(), 1);
		CHECK_STR_CONTAINS(capture_stop(), "Object already free");
		for (int i = 0; i < 6; i++)
			got[i] = malloc(size);
		for (int i = 0; i < 6; i++)
			for (int j = i + 1; j < 6; j++)
				CHECK(got[i] != got[j]);
		for (int i = 0; i < 6; i++)
			free(got[i]);
	}
}

TEST(foreign_pointer_reported_once)
{
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char local[32];

	CHECK(page != MAP_FAILED);
	strcpy(page, "untouched");
	capture_start();
	free(page + 16);
	free(page + 16);
	free(local);
	CHECK_EQ(malloc_usable_size(page), 0);
	errno = 0;
	CHECK(!realloc(page, 100));
	CHECK_EQ(errno, ENOMEM);
	capture_stop();
	CHECK_EQ(capture_count(), 1);
	CHECK_STR_CONTAINS(capture_stop(), "pointer not allocated by uslab");
	CHECK_EQ(strcmp(page, "untouched"), 0);
	munmap(page, 4096);
}

TEST(trim_releases_and_mallinfo2_counts)
{
	enum { N = 20000 };
	static void *objs[N];
	struct mallinfo2 before, during, after;

	malloc_trim(0);
	before = mallinfo2();
	for (int i = 0; i < N; i++) {
		objs[i] = malloc(volatile_size(1000));
		memset(objs[i], 1, 1000);
	}
	void *big = malloc(volatile_size(5 << 20));
	memset(big, 1, 5 << 20);
	during = mallinfo2();
	CHECK(during.uordblks >= before.uordblks + N * 1000 + (5 << 20));
	CHECK(during.hblks >= before.hblks + 1);
	CHECK(during.hblkhd >= before.hblkhd + (5 << 20));
	CHECK(during.arena + during.hblkhd >= during.uordblks);
	free(big);
	for (int i = 0; i < N; i++)
		free(objs[i]);
	after = mallinfo2();
	CHECK(after.uordblks < during.uordblks - N * 1000);
	CHECK_EQ(malloc_trim(0), 1);
	after = mallinfo2();
	CHECK_EQ(after.keepcost, 0);   /* nothing free and resident */
}

TEST(malloc_stats_prints_the_slabinfo)
{
	char path[] = "/tmp/uslab-malloc-stats-XXXXXX", buf[1 << 16];
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	CHECK(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	malloc_stats();
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(path);
	CHECK(n > 0);
	buf[n] = 0;
	CHECK_STR_CONTAINS(buf, "slabinfo - version: 2.1");
	CHECK_STR_CONTAINS(buf, "kmalloc-64 ");
	CHECK_STR_CONTAINS(buf, "in use bytes     =");
}

/* ---------------------------------------------------------------- fork */

static volatile int stop_workers;

static void *churn(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	void *slots[64] = { 0 };

	while (!__atomic_load_n(&stop_workers, __ATOMIC_RELAXED)) {
		unsigned int i = (unsigned int)rand_r(&seed) % 64;

		free(slots[i]);
		slots[i] = malloc((size_t)rand_r(&seed) % 20000 + 1);
	}
	for (int i = 0; i < 64; i++)
		free(slots[i]);
	return NULL;
}

static void *child_thread(void *arg)
{
	void *p = malloc(300);

	(void)arg;
	free(p);
	return p;
}

TEST(fork_while_threads_allocate)
{
	pthread_t workers[4];

	stop_workers = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&workers[i], NULL, churn, (void *)(uintptr_t)(i + 1));
	for (int round = 0; round < 200; round++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			/* Every lock free, every cache usable, threads too. */
			pthread_t t;
			void *objs[100];

			for (int i = 0; i < 100; i++)
				objs[i] = malloc((size_t)i * 97 + 1);
			for (int i = 0; i < 100; i++)
				free(objs[i]);
			if (pthread_create(&t, NULL, child_thread, NULL) || pthread_join(t, NULL))
				_exit(3);
			malloc_trim(0);
			_exit(0);
		}
		CHECK(pid > 0);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fprintf(stderr, "fork round %d: child status %#x\n", round, status);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	__atomic_store_n(&stop_workers, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		pthread_join(workers[i], NULL);
}

TEST(child_allocates_where_a_busy_thread_was)
{
	pthread_t t;
	int status;
	pid_t pid;

	/* A thread that holds cpu slabs of the same caches at fork time. */
	stop_workers = 0;
	pthread_create(&t, NULL, churn, (void *)(uintptr_t)99);
	pid = fork();
	if (pid == 0) {
		unsigned long before = active_objs(512);
		void *objs[1000];

		for (int i = 0; i < 1000; i++)
			objs[i] = malloc(500);
		if (active_objs(512) != before + 1000)
			_exit(1);
		for (int i = 0; i < 1000; i++)
			free(objs[i]);
		_exit(active_objs(512) == before ? 0 : 2);
	}
	__atomic_store_n(&stop_workers, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ------------------------------------------------- thread and process exit */

static pthread_key_t late_key;

/* Runs after uslab's own destructor when created later: the threadless
 * paths serve it. */
static void late_destructor(void *p)
{
	char *q = malloc(700);

	memcpy(q, p, 6);
	free(p);
	free(q);
}

static void *thread_with_late_destructor(void *arg)
{
	char *p = malloc(700);

	(void)arg;
	strcpy(p, "later");
	pthread_setspecific(late_key, p);
	free(malloc(50));
	return NULL;
}

/* A thread that used every medium class (8-256 KiB) and went idle: what
 * the classes hold for it (sheaves, barns, empty slabs) stays bounded. */
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;
static int idle_phase;

static void idle_set(int phase)
{
	pthread_mutex_lock(&idle_lock);
	idle_phase = phase;
	pthread_cond_broadcast(&idle_cond);
	pthread_mutex_unlock(&idle_lock);
}

static void idle_wait(int phase)
{
	pthread_mutex_lock(&idle_lock);
	while (idle_phase < phase)
		pthread_cond_wait(&idle_cond, &idle_lock);
	pthread_mutex_unlock(&idle_lock);
}

static void *medium_then_idle(void *arg)
{
	void *p[32];
	/* One CPU's worth: in cpu mode a migration would leave a cpu slab
	 * and sheaves per class on each CPU the thread ran on. */
	cpu_set_t was = pin_here();

	(void)arg;
	for (size_t size = 8192 + 1; size <= (256 << 10); size += 2048) {
		for (int i = 0; i < 32; i++) {
			p[i] = malloc(volatile_size(size));
			memset(p[i], 1, size);
		}
		for (int i = 0; i < 32; i++)
			free(p[i]);
	}
	unpin(was);
	idle_set(1);
	idle_wait(2);
	return NULL;
}

/* Full sheaves in s's barns (barn_sheaves counts the empty ones too). */
static unsigned long barn_full(struct kmem_cache *s)
{
	char buf[32];

	if (uslab_cache_attr_read(s, "barn_full", buf, sizeof(buf)) <= 0)
		return (unsigned long)-1;
	return strtoul(buf, NULL, 10);
}

TEST(an_idle_thread_holds_little_of_the_medium_classes)
{
	unsigned long queued = 0, pages = 0;
	struct kmem_cache *last = NULL;
	pthread_t t;

	idle_phase = 0;
	CHECK_EQ(pthread_create(&t, NULL, medium_then_idle, NULL), 0);
	idle_wait(1);
	for (size_t size = 8192 + 1; size <= (256 << 10); size += 2048) {
		struct kmem_cache *s = malloc_cache_of(size);
		struct uslab_cache_info ci;

		CHECK(s);
		if (s == last || uslab_cache_info(s, &ci))
			continue;
		last = s;
		CHECK(ci.min_partial <= 1 || ci.min_partial * (4096UL << ci.order) <= (256UL << 10));
		CHECK(barn_full(s) * ci.queue_limit * ci.size <= (256UL << 10) + ci.size);
		queued += ci.queued_objs * ci.size;
		pages += ci.pages;
	}
	/* This thread's lookups leave one object a class queued too. */
	CHECK(queued <= (6UL << 20));
	CHECK(pages * 4096 <= (28UL << 20));
	idle_set(2);
	pthread_join(t, NULL);
}

TEST(thread_exit_then_destructor_allocates)
{
	unsigned long before = active_objs(700);

	CHECK_EQ(pthread_key_create(&late_key, late_destructor), 0);
	capture_start();
	for (int i = 0; i < 20; i++) {
		pthread_t t;

		pthread_create(&t, NULL, thread_with_late_destructor, NULL);
		pthread_join(t, NULL);
	}
	capture_stop();
	CHECK_EQ(capture_count(), 0);
	CHECK_EQ(active_objs(700), before);
}

static char *exit_object;

static void at_exit_frees(void)
{
	char *p = malloc(100);

	strcpy(p, exit_object);
	free(exit_object);
	printf("at exit: %s\n", p);
	free(p);
}

__attribute__((destructor)) static void destructor_frees(void)
{
	if (getenv("USLAB_TEST_EXIT_CHILD"))
		free(malloc(4000));
}

TEST(process_exit_handlers_allocate)
{
	const char *env[] = { "USLAB_TEST_EXIT_CHILD=1", NULL };
	char out[4096];

	if (getenv("USLAB_TEST_EXIT_CHILD")) {
		exit_object = strdup("freed in atexit");
		atexit(at_exit_frees);
		return;
	}
	CHECK_EQ(run_test_child("process_exit_handlers_allocate", env, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "at exit: freed in atexit");
}

TEST_MAIN()
