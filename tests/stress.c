/*
 * stress.c - make stress: threads allocating, resizing and freeing at
 * random for a while, through malloc (run with libuslab-malloc) or
 * through several kmem_caches, blocks handed across threads, every block
 * pattern-checked before it is freed, RSS sampled.
 *
 *   stress malloc|kmem <seconds> [threads]
 *
 * Fails (exit 1, "stress: FAIL ...") on a block whose contents changed
 * while it was live, on an allocation that returned a live block's
 * memory again, and on growth: RSS above a bound computed from the most
 * the threads can hold at once.  Prints the figures at the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uslab.h>

#define SLOTS 2048
#define INBOX 512
#define MAX_THREADS 64
#define MAX_BLOCK (64 << 10)

struct block {
	unsigned char *p;
	size_t size;
	uint32_t tag;
	int cache;          /* kmem mode: index in caches[], else -1 */
};

struct inbox {
	pthread_mutex_t lock;
	struct block b[INBOX];
	unsigned int n;
};

static int kmem_mode;
static int nr_threads = 8;
static volatile int stop;
static struct inbox inboxes[MAX_THREADS];
static unsigned long ops[MAX_THREADS], handoffs[MAX_THREADS];
static volatile int failed;

static const unsigned int cache_sizes[] = { 8, 24, 72, 200, 512, 1000, 4096, 9000 };
#define NR_CACHES (sizeof(cache_sizes) / sizeof(cache_sizes[0]))
static struct kmem_cache *caches[NR_CACHES];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned char pattern(uint32_t tag, size_t i)
{
	return (unsigned char)((tag * 2654435761u) >> 24 ^ (uint32_t)i * 131u);
}

static void fill(struct block *b, size_t from)
{
	for (size_t i = from; i < b->size; i++)
		b->p[i] = pattern(b->tag, i);
}

static void check(const struct block *b, size_t upto, const char *what)
{
	for (size_t i = 0; i < upto; i++) {
		if (b->p[i] != pattern(b->tag, i)) {
			printf("stress: FAIL %s: block %p (%zu bytes, tag %u) byte %zu is 0x%02x, not 0x%02x\n",
			       what, (void *)b->p, b->size, b->tag, i, b->p[i], pattern(b->tag, i));
			fflush(stdout);
			failed = 1;
			return;
		}
	}
}

/* Mostly small blocks, some medium, a few up to 64 KiB. */
static size_t pick_size(uint64_t *s)
{
	uint64_t r = rnd(s);

	switch (r % 20) {
	case 0:
		return 8193 + (size_t)(r >> 8) % (MAX_BLOCK - 8192);
	case 1: case 2: case 3: case 4: case 5:
		return 257 + (size_t)(r >> 8) % 7936;
	default:
		return 1 + (size_t)(r >> 8) % 256;
	}
}

static void block_new(struct block *b, uint64_t *s, uint32_t tag)
{
	if (kmem_mode) {
		b->cache = (int)(rnd(s) % NR_CACHES);
		b->size = cache_sizes[b->cache];
		b->p = kmem_cache_alloc(caches[b->cache], GFP_KERNEL);
	} else {
		b->cache = -1;
		b->size = pick_size(s);
		b->p = malloc(b->size);
	}
	b->tag = tag;
	if (!b->p) {
		printf("stress: FAIL allocation of %zu bytes returned NULL\n", b->size);
		failed = 1;
		return;
	}
	fill(b, 0);
}

static void block_free(struct block *b)
{
	check(b, b->size, "before free");
	if (b->cache >= 0)
		kmem_cache_free(caches[b->cache], b->p);
	else
		free(b->p);
	b->p = NULL;
}

static void block_resize(struct block *b, uint64_t *s)
{
	size_t size = pick_size(s), keep = size < b->size ? size : b->size;
	unsigned char *p;

	check(b, b->size, "before realloc");
	p = realloc(b->p, size);
	if (!p) {
		printf("stress: FAIL realloc to %zu bytes returned NULL\n", size);
		failed = 1;
		return;
	}
	b->p = p;
	b->size = size;
	check(b, keep, "after realloc");
	fill(b, keep);
}

static void drain_inbox(int self)
{
	struct inbox *in = &inboxes[self];
	struct block got[INBOX];
	unsigned int n;

	pthread_mutex_lock(&in->lock);
	n = in->n;
	memcpy(got, in->b, n * sizeof(got[0]));
	in->n = 0;
	pthread_mutex_unlock(&in->lock);
	for (unsigned int i = 0; i < n; i++)
		block_free(&got[i]);
}

static int hand_off(int to, struct block *b)
{
	struct inbox *in = &inboxes[to];
	int ok = 0;

	pthread_mutex_lock(&in->lock);
	if (in->n < INBOX) {
		in->b[in->n++] = *b;
		ok = 1;
	}
	pthread_mutex_unlock(&in->lock);
	return ok;
}

static void *worker(void *arg)
{
	int self = (int)(intptr_t)arg;
	struct block *slots = calloc(SLOTS, sizeof(*slots));
	uint64_t s = 0x9e3779b97f4a7c15ULL * (uint64_t)(self + 1);
	uint32_t tag = (uint32_t)self << 24;

	if (!slots)
		return NULL;
	while (!stop && !failed) {
		for (int k = 0; k < 256; k++) {
			struct block *b = &slots[rnd(&s) % SLOTS];
			unsigned int op = (unsigned int)(rnd(&s) % 10);

			if (!b->p) {
				block_new(b, &s, ++tag);
			} else if (op < 5) {
				block_free(b);
			} else if (op < 7 && !kmem_mode) {
				block_resize(b, &s);
			} else if (op < 9) {
				int to = (int)(rnd(&s) % (uint64_t)nr_threads);

				if (hand_off(to, b)) {
					b->p = NULL;
					handoffs[self]++;
				}
			} else {
				check(b, b->size, "live");
			}
			ops[self]++;
		}
		drain_inbox(self);
	}
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].p)
			block_free(&slots[i]);
	free(slots);
	return NULL;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	long seconds, peak = 0, bound_kib;
	unsigned long total = 0, moved = 0;
	time_t start;

	if (argc < 3 || (strcmp(argv[1], "malloc") && strcmp(argv[1], "kmem"))) {
		fprintf(stderr, "usage: %s malloc|kmem <seconds> [threads]\n", argv[0]);
		return 2;
	}
	kmem_mode = !strcmp(argv[1], "kmem");
	seconds = atol(argv[2]);
	if (argc > 3)
		nr_threads = atoi(argv[3]);
	if (nr_threads < 1 || nr_threads > MAX_THREADS)
		nr_threads = 8;
	for (unsigned int i = 0; kmem_mode && i < NR_CACHES; i++) {
		char name[32];

		snprintf(name, sizeof(name), "stress-%u", cache_sizes[i]);
		caches[i] = kmem_cache_create(name, cache_sizes[i], 0, SLAB_NO_MERGE, NULL);
	}
	/* At most every slot and inbox full of the largest blocks, twice
	 * over for slabs and queues, plus a fixed allowance. */
	bound_kib = (long)nr_threads * (SLOTS + INBOX) * (kmem_mode ? 9000 : 64 << 10) / 1024;
	bound_kib = 2 * bound_kib + 256 * 1024;
	for (int i = 0; i < nr_threads; i++) {
		pthread_mutex_init(&inboxes[i].lock, NULL);
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	}
	start = time(NULL);
	while (!failed && time(NULL) - start < seconds) {
		long rss;

		sleep(1);
		rss = rss_kib();
		if (rss > peak)
			peak = rss;
		if (rss > bound_kib) {
			printf("stress: FAIL RSS %ld KiB above the bound %ld KiB\n", rss, bound_kib);
			failed = 1;
		}
	}
	stop = 1;
	for (int i = 0; i < nr_threads; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < nr_threads; i++) {
		drain_inbox(i);
		total += ops[i];
		moved += handoffs[i];
	}
	for (unsigned int i = 0; kmem_mode && i < NR_CACHES; i++)
		kmem_cache_destroy(caches[i]);
	printf("stress %s (%s): %d threads, %ld s, %lu operations (%.1f M/s), %lu handed across threads, RSS peak %ld KiB, at end %ld KiB\n",
	       argv[1], uslab_cache_find("kmalloc-64") ? "uslab" : "?", nr_threads, seconds, total,
	       (double)total / (double)(seconds ? seconds : 1) / 1e6, moved, peak, rss_kib());
	if (failed)
		return 1;
	printf("stress: ok\n");
	return 0;
}
