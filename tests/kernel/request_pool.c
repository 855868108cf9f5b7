// SPDX-License-Identifier: GPL-2.0
/*
 * request_pool.c - a request path backed by a mempool, as a block driver
 * has one: the requests of the I/O path must make progress when memory is
 * short, so a pool of MIN_REQUESTS is reserved at load time and
 * mempool_alloc(GFP_NOIO) waits for a completed request rather than fail.
 * Submitters on several threads queue requests; a completion thread, as
 * an interrupt handler would, completes them and gives each back.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <pthread.h>
#include <sched.h>

#define MIN_REQUESTS 4
#define SUBMITTERS 4
#define PER_SUBMITTER 500

struct request {
	u64 sector;
	u32 len;
	u32 tag;
	int done;
	struct request *next;    /* on the completion queue */
};

static struct kmem_cache *request_cachep;
static mempool_t *request_pool;
static DEFINE_SPINLOCK(inflight_lock);
static int inflight, max_inflight;
static long completed;
static struct request *queue_head;
static int aborted;

static void complete_request(struct request *rq)
{
	WARN_ON(rq->done);
	rq->done = 1;
	mempool_free(rq, request_pool);
}

/* The completion side: takes whatever is queued and completes it. */
static void *completer(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&completed, __ATOMIC_ACQUIRE) < SUBMITTERS * PER_SUBMITTER &&
	       !__atomic_load_n(&aborted, __ATOMIC_ACQUIRE)) {
		struct request *rq;

		spin_lock(&inflight_lock);
		rq = queue_head;
		queue_head = NULL;
		spin_unlock(&inflight_lock);
		while (rq) {
			struct request *next = rq->next;

			spin_lock(&inflight_lock);
			inflight--;
			spin_unlock(&inflight_lock);
			complete_request(rq);
			__atomic_add_fetch(&completed, 1, __ATOMIC_RELEASE);
			rq = next;
		}
		sched_yield();
	}
	return NULL;
}

static void *submitter(void *arg)
{
	u32 tag = (u32)(unsigned long)arg;

	for (int i = 0; i < PER_SUBMITTER; i++) {
		/* GFP_NOIO may wait: never NULL from a mempool. */
		struct request *rq = mempool_alloc(request_pool, GFP_NOIO);

		if (WARN_ON(!rq)) {
			__atomic_store_n(&aborted, 1, __ATOMIC_RELEASE);
			break;
		}
		rq->sector = (u64)i * 8;
		rq->len = 4096;
		rq->tag = tag;
		rq->done = 0;
		spin_lock(&inflight_lock);
		if (++inflight > max_inflight)
			max_inflight = inflight;
		rq->next = queue_head;
		queue_head = rq;
		spin_unlock(&inflight_lock);
	}
	return NULL;
}

static int __init request_pool_init(void)
{
	pthread_t threads[SUBMITTERS], done;

	request_cachep = KMEM_CACHE(request, 0);
	if (!request_cachep)
		return -ENOMEM;
	request_pool = mempool_create_slab_pool(MIN_REQUESTS, request_cachep);
	if (!request_pool) {
		kmem_cache_destroy(request_cachep);
		return -ENOMEM;
	}
	if (pthread_create(&done, NULL, completer, NULL))
		return -EAGAIN;
	for (unsigned long t = 0; t < SUBMITTERS; t++)
		if (pthread_create(&threads[t], NULL, submitter, (void *)t))
			return -EAGAIN;
	for (int t = 0; t < SUBMITTERS; t++)
		pthread_join(threads[t], NULL);
	pthread_join(done, NULL);
	if (WARN_ON(completed != SUBMITTERS * PER_SUBMITTER) || WARN_ON(inflight))
		return -EIO;
	pr_info("%ld requests completed\n", completed);
	return 0;
}

static void __exit request_pool_exit(void)
{
	mempool_destroy(request_pool);
	kmem_cache_destroy(request_cachep);
}

module_init(request_pool_init);
module_exit(request_pool_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("a request path backed by a mempool");
