/*
 * demo.c - what `make run` shows: caches created (one with a constructor,
 * one merged into a kmalloc cache), objects allocated by producer threads
 * and freed by consumer threads, the slabinfo report, a few of SLUB's
 * counters, a bad free reported and survived, a cache attribute read and
 * written by name, memory given back by uslab_reclaim(), and the quick
 * benchmark table (bench/suite_driver.c): uslab beside the allocators a
 * program could pick.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uslab.h>

#include "suite.h"

struct conn {
	int fd;
	unsigned int state;
	char peer[48];
};

struct request {
	struct conn *conn;
	unsigned long id;
	size_t len;
	char *payload;      /* kmalloc'd, any size */
};

static struct kmem_cache *conn_cache, *request_cache, *session_cache;

/* uslab's reports go to stdout here, in order with the demo's own text. */
static void report_to_stdout(void *ctx, const char *text)
{
	(void)ctx;
	fputs(text, stdout);
}

static void conn_ctor(void *p)
{
	struct conn *c = p;

	c->fd = -1;
	c->state = 0;
	strcpy(c->peer, "(unconnected)");
}

/* A bounded queue from producers to consumers. */
#define QLEN 256
static struct {
	pthread_mutex_t lock;
	pthread_cond_t nonempty, nonfull;
	struct request *slot[QLEN];
	unsigned int head, tail, producers;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
	{ 0 }, 0, 0, 0 };

enum { PRODUCERS = 2, CONSUMERS = 2, PER_PRODUCER = 100000 };

static void *producer(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg;

	for (unsigned long i = 0; i < PER_PRODUCER; i++) {
		struct request *r = kmem_cache_alloc(request_cache, GFP_KERNEL);

		r->conn = kmem_cache_alloc(conn_cache, GFP_KERNEL);
		r->conn->fd = (int)i;
		r->id = i;
		r->len = 16 + rand_r(&seed) % 3000;
		r->payload = kmalloc(r->len, GFP_KERNEL);
		memset(r->payload, (int)(i & 0xff), r->len);
		pthread_mutex_lock(&q.lock);
		while (q.tail - q.head == QLEN)
			pthread_cond_wait(&q.nonfull, &q.lock);
		q.slot[q.tail++ % QLEN] = r;
		pthread_cond_signal(&q.nonempty);
		pthread_mutex_unlock(&q.lock);
	}
	pthread_mutex_lock(&q.lock);
	q.producers--;
	pthread_cond_broadcast(&q.nonempty);
	pthread_mutex_unlock(&q.lock);
	return NULL;
}

static void *consumer(void *arg)
{
	unsigned long *bad = arg;

	for (;;) {
		struct request *r;

		pthread_mutex_lock(&q.lock);
		while (q.tail == q.head && q.producers)
			pthread_cond_wait(&q.nonempty, &q.lock);
		if (q.tail == q.head) {
			pthread_mutex_unlock(&q.lock);
			return NULL;
		}
		r = q.slot[q.head++ % QLEN];
		pthread_cond_signal(&q.nonfull);
		pthread_mutex_unlock(&q.lock);

		if ((unsigned char)r->payload[r->len - 1] != (r->id & 0xff) || r->conn->fd != (int)r->id)
			(*bad)++;
		r->conn->fd = -1;   /* back to its constructed state */
		kmem_cache_free(conn_cache, r->conn);
		kfree(r->payload);
		kmem_cache_free(request_cache, r);
	}
}

int main(int argc, char **argv)
{
	pthread_t th[PRODUCERS + CONSUMERS];
	unsigned long bad[CONSUMERS] = { 0 };
	struct conn *kept[1000];
	struct suite_options bopt = { .quick = 1, .runs = 3, .out = stdout };
	int skip_bench = argc > 1 && !strcmp(argv[1], "--no-bench");

	/* demo --markdown FILE: the quick table in markdown there too. */
	if (argc > 2 && !strcmp(argv[1], "--markdown"))
		bopt.markdown = argv[2];
	struct uslab_reclaim_result rr;
	char attr[64];

	/* "cpu" as the kernel says it: the state the kernel keeps per CPU. */
	printf("uslab %s demo - cpu mode: %s (%s)\n\n", uslab_version(), uslab_cpu_mode(),
	       strcmp(uslab_cpu_mode(), "thread") ? "per-CPU state, as in the kernel"
						   : "the kernel's per-CPU state is kept per thread:"
						     " each thread has its own cpu slab or queue of a cache");

	conn_cache = kmem_cache_create("conn", sizeof(struct conn), 0, SLAB_HWCACHE_ALIGN, conn_ctor);
	request_cache = KMEM_CACHE(request, SLAB_NO_MERGE);
	session_cache = kmem_cache_create("session", 60, 0, 0, NULL);
	printf("created caches: conn (ctor, %u bytes), request (%u bytes), session (%u bytes, merged into %s)\n",
	       kmem_cache_size(conn_cache), kmem_cache_size(request_cache),
	       kmem_cache_size(session_cache), kmem_cache_name(session_cache));

	/* Objects kept alive, so the report shows some in use. */
	for (int i = 0; i < 1000; i++)
		kept[i] = kmem_cache_alloc(conn_cache, GFP_KERNEL);

	printf("%d producer threads send %d requests each to %d consumer threads...\n",
	       PRODUCERS, PER_PRODUCER, CONSUMERS);
	q.producers = PRODUCERS;
	for (long i = 0; i < PRODUCERS; i++)
		pthread_create(&th[i], NULL, producer, (void *)(i + 1));
	for (int i = 0; i < CONSUMERS; i++)
		pthread_create(&th[PRODUCERS + i], NULL, consumer, &bad[i]);
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
		pthread_join(th[i], NULL);
	printf("done: %lu corrupted messages\n\n", bad[0] + bad[1]);

	uslab_report(stdout, USLAB_REPORT_SLABINFO);

	printf("\nSLUB counters of 'request' (allocated by producers, freed by consumers):\n");
	for (int i = 0; i < USLAB_NR_STATS; i++) {
		uint64_t v = uslab_cache_stat(request_cache, (enum uslab_stat_item)i);

		if (v)
			printf("  %-24s %12llu\n", uslab_stat_name((enum uslab_stat_item)i),
			       (unsigned long long)v);
	}

	printf("\nA bad free is reported and the program goes on:\n");
	uslab_set_report_sink(report_to_stdout, NULL, NULL, NULL);
	kfree(&bad[0]);
	uslab_set_report_sink(NULL, NULL, NULL, NULL);

	uslab_tune("conn:min_partial=2");
	if (uslab_cache_attr_read(conn_cache, "min_partial", attr, sizeof(attr)) > 0)
		printf("\nTunables: conn min_partial is now %s", attr);
	if (uslab_cache_attr_read(conn_cache, "allocator", attr, sizeof(attr)) > 0) {
		attr[strcspn(attr, "\n")] = 0;
		printf("conn runs the %s allocator (USLAB_ALLOCATOR=slub|unified picks it)\n", attr);
	}

	for (int i = 0; i < 1000; i++)
		kmem_cache_free(conn_cache, kept[i]);
	uslab_reclaim(&rr);
	printf("uslab_reclaim() after freeing 1000 conns: %lu empty slabs freed, %lu KiB given back to the OS\n",
	       rr.slabs_freed, rr.bytes_returned / 1024);
	kmem_cache_destroy(session_cache);
	kmem_cache_destroy(request_cache);
	kmem_cache_destroy(conn_cache);

	if (!skip_bench) {
		printf("\nThe quick benchmark (make bench-quick): each cell a fresh process, the kernel API"
		       " under both personalities,\nthe same malloc binary under libuslab-malloc and the"
		       " allocators it replaces.\n");
		fflush(stdout);
		bench_suite(&bopt);
	}
	return bad[0] + bad[1] ? 1 : 0;
}
