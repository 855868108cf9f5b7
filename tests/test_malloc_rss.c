/*
 * test_malloc_rss.c - memory goes back without being asked: 1 GiB of small
 * objects allocated by four threads and freed, then resident memory must
 * fall below 64 MiB within a second (the background purger), and at once
 * after malloc_trim(0) the second time; the same for 1 GiB of large
 * blocks (kept for reuse when freed, huge_cache.c).
 */
#include <malloc.h>
#include <stdint.h>
#include <time.h>

#include "check.h"

#define THREADS 4
#define TOTAL_BYTES (1UL << 30)
#define LIMIT_BYTES (64L << 20)

static long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss * sysconf(_SC_PAGESIZE);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct worker {
	pthread_t tid;
	void **objs;
	size_t n;
	unsigned int seed;
};

/* Sizes 16..512: every small kmalloc class. */
static void *fill(void *arg)
{
	struct worker *w = arg;
	size_t bytes = 0;

	for (w->n = 0; bytes < TOTAL_BYTES / THREADS; w->n++) {
		size_t size = 16 + (size_t)rand_r(&w->seed) % 497;

		w->objs[w->n] = malloc(size);
		memset(w->objs[w->n], 0x11, size);
		bytes += size;
	}
	return NULL;
}

/* Each thread frees another's objects: remote frees too. */
static void *drain(void *arg)
{
	struct worker *w = arg;

	for (size_t i = 0; i < w->n; i++)
		free(w->objs[i]);
	return NULL;
}

static void allocate_and_free_1gib(long *peak)
{
	static struct worker w[THREADS];

	for (int i = 0; i < THREADS; i++) {
		w[i].objs = malloc(sizeof(void *) * (TOTAL_BYTES / THREADS / 16 + 1));
		w[i].seed = (unsigned int)i + 1;
		pthread_create(&w[i].tid, NULL, fill, &w[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i].tid, NULL);
	*peak = rss_bytes();
	for (int i = 0; i < THREADS; i++)
		pthread_create(&w[i].tid, NULL, drain, &w[(i + 1) % THREADS]);
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i].tid, NULL);
	for (int i = 0; i < THREADS; i++)
		free(w[i].objs);
}

TEST(rss_falls_within_a_second)
{
	uint64_t start, waited;
	long peak, rss;

	allocate_and_free_1gib(&peak);
	start = now_ms();
	/* Polled against a deadline: the assertion is "by one second". */
	do {
		rss = rss_bytes();
		if (rss < LIMIT_BYTES)
			break;
		usleep(10000);
	} while (now_ms() - start < 1000);
	waited = now_ms() - start;
	printf("peak RSS %ld MiB; %ld MiB after %llu ms; purger passes %lu\n", peak >> 20,
	       rss >> 20, (unsigned long long)waited, uslab_background_purge_passes());
	CHECK(peak > (long)(TOTAL_BYTES * 9 / 10));
	CHECK(rss < LIMIT_BYTES);
	CHECK(uslab_background_purge_passes() > 0);
}

TEST(rss_falls_at_once_after_malloc_trim)
{
	long peak, rss;

	allocate_and_free_1gib(&peak);
	CHECK_EQ(malloc_trim(0), 1);
	rss = rss_bytes();
	printf("peak RSS %ld MiB; %ld MiB right after malloc_trim(0)\n", peak >> 20, rss >> 20);
	CHECK(peak > (long)(TOTAL_BYTES * 9 / 10));
	CHECK(rss < LIMIT_BYTES);
}

/* 41 blocks of 25 MiB, written, freed. */
static void allocate_and_free_1gib_of_large_blocks(long *peak)
{
	enum { N = 41 };
	static void *blocks[N];

	for (int i = 0; i < N; i++) {
		blocks[i] = malloc(25 << 20);
		memset(blocks[i], 0x22, 25 << 20);
	}
	*peak = rss_bytes();
	for (int i = 0; i < N; i++)
		free(blocks[i]);
}

TEST(rss_falls_within_a_second_after_large_blocks)
{
	uint64_t start;
	long peak, rss;

	allocate_and_free_1gib_of_large_blocks(&peak);
	start = now_ms();
	do {
		rss = rss_bytes();
		if (rss < LIMIT_BYTES)
			break;
		usleep(10000);
	} while (now_ms() - start < 1000);
	printf("peak RSS %ld MiB; %ld MiB after %llu ms\n", peak >> 20, rss >> 20,
	       (unsigned long long)(now_ms() - start));
	CHECK(peak > (long)(TOTAL_BYTES * 9 / 10));
	CHECK(rss < LIMIT_BYTES);
}

TEST(rss_falls_at_once_after_malloc_trim_after_large_blocks)
{
	long peak, rss;

	allocate_and_free_1gib_of_large_blocks(&peak);
	CHECK_EQ(malloc_trim(0), 1);
	rss = rss_bytes();
	printf("peak RSS %ld MiB; %ld MiB right after malloc_trim(0)\n", peak >> 20, rss >> 20);
	CHECK(peak > (long)(TOTAL_BYTES * 9 / 10));
	CHECK(rss < LIMIT_BYTES);
}

TEST_MAIN()
