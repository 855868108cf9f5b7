/*
 * test_rcu.c - RCU on liburcu's default (memb) flavour: type-stable
 * memory of SLAB_TYPESAFE_BY_RCU caches under lockless readers, slabs
 * that go back only after a grace period, kfree_rcu and its barrier,
 * destroy right after kfree_rcu, fork with RCU frees pending.
 *
 * Linked with libuslab-rcu's static library, whose constructor registers
 * memb (the first test checks it did).  Readers are liburcu readers of
 * that flavour.  A reader that must stay inside its critical section
 * while the main thread checks something waits on a flag the main thread
 * sets, never on time.
 */
#ifndef USLAB_TEST_RWLOCK_RCU
#include <urcu.h>
#endif

#include <linux/membarrier.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <uslab_rcu.h>

#include "check.h"

#ifdef USLAB_TEST_RWLOCK_RCU
/*
 * The ThreadSanitizer build: liburcu's memb flavour orders its readers
 * with membarrier, which TSan cannot see.  This build hands uslab a
 * flavour TSan follows instead, for the test only: readers hold a
 * writer-preferring rwlock, a grace period takes it for writing once.
 * What is tested is uslab's side (the queue, the worker, the batches,
 * the barriers, destroy, fork), with every handoff visible to TSan.
 */
struct rcu_head {
	void *next;
	void (*func)(struct rcu_head *);
};

static pthread_rwlock_t gp_rwlock;

static void rw_synchronize(void)
{
	pthread_rwlock_wrlock(&gp_rwlock);
	pthread_rwlock_unlock(&gp_rwlock);
}

static const struct uslab_rcu_flavour rw_flavour = { .name = "rwlock", .synchronize_rcu = rw_synchronize };

int uslab_rcu_init(void)
{
	return uslab_rcu_set_flavour(&rw_flavour);
}

__attribute__((constructor)) static void rw_flavour_init(void)
{
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&gp_rwlock, &a);
	uslab_rcu_init();
}

#define rcu_register_thread() ((void)0)
#define rcu_unregister_thread() ((void)0)
#define rcu_read_lock() pthread_rwlock_rdlock(&gp_rwlock)
#define rcu_read_unlock() pthread_rwlock_unlock(&gp_rwlock)
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define TEST_FLAVOUR "rwlock"
#else
#define TEST_FLAVOUR "memb"
#endif

#define OBJ_MAGIC 0x7e57ab1eu

static struct uslab_cache_info rinfo(struct kmem_cache *s)
{
	struct uslab_cache_info ci;

	uslab_cache_info(s, &ci);
	return ci;
}

static void wait_flag(atomic_int *f, int v)
{
	while (atomic_load(f) != v)
		sched_yield();
}

static void other_sync(void)
{
}

TEST(memb_flavour_is_registered)
{
	static const struct uslab_rcu_flavour other = { .name = "other", .synchronize_rcu = other_sync };

	CHECK(uslab_rcu_flavour_name());
	CHECK(!strcmp(uslab_rcu_flavour_name(), TEST_FLAVOUR));
	/* The same flavour again is no error; another one is, and changes
	 * nothing. */
	CHECK_EQ(uslab_rcu_init(), 0);
	capture_start();
	CHECK_EQ(uslab_rcu_set_flavour(&other), -1);
	capture_stop();
	CHECK_STR_CONTAINS(capture_buf, "uslab_rcu_set_flavour(other): the " TEST_FLAVOUR
			   " flavour is registered already (one per process); ignored");
	CHECK(!strcmp(uslab_rcu_flavour_name(), TEST_FLAVOUR));
}

/* ------------------------------------------- a slab freed under a reader */

struct tagged {
	unsigned int magic;
	unsigned int index;
	char pad[56];
};

static void tagged_ctor(void *p)
{
	struct tagged *t = p;

	t->magic = OBJ_MAGIC;
	t->index = ~0u;
}

static struct {
	atomic_int state;       /* 1: inside; 2: main freed all; 3: read; 4: left */
	struct tagged **objs;
	unsigned int n;
	unsigned int bad;
} held;

/* A reader that enters its section (state 1), waits for the main thread
 * (2), runs check inside it (3), and leaves when told (4). */
static void *reader_in_section(atomic_int *state, void (*check)(void))
{
	rcu_register_thread();
	rcu_read_lock();
	atomic_store(state, 1);
	wait_flag(state, 2);
	check();
	atomic_store(state, 3);
	wait_flag(state, 4);
	rcu_read_unlock();
	rcu_unregister_thread();
	return NULL;
}

static void check_held(void)
{
	for (unsigned int i = 0; i < held.n; i++)
		if (held.objs[i]->magic != OBJ_MAGIC || held.objs[i]->index != i)
			held.bad++;
}

static void *holding_reader(void *arg)
{
	(void)arg;
	return reader_in_section(&held.state, check_held);
}

/*
 * Every object of the cache's slabs freed and the slabs discarded while a
 * reader is inside rcu_read_lock(): the slabs wait (rcu_slabs, their pages
 * still in use), the reader reads the objects as they were; after the
 * reader leaves and a barrier, the pages are back.
 */
TEST(typesafe_slab_waits_for_the_reader)
{
	struct kmem_cache *s = kmem_cache_create("rcu-held", sizeof(struct tagged), 0,
						 SLAB_TYPESAFE_BY_RCU | SLAB_NO_MERGE, tagged_ctor);
	struct uslab_cache_info ci;
	unsigned long pages_before_free, pages_after;
	pthread_t t;

	CHECK(s);
	ci = rinfo(s);
	held.n = ci.objs_per_slab * 3;
	held.objs = calloc(held.n, sizeof(*held.objs));
	held.bad = 0;
	atomic_store(&held.state, 0);
	for (unsigned int i = 0; i < held.n; i++) {
		held.objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(held.objs[i]);
		CHECK_EQ(held.objs[i]->magic, OBJ_MAGIC);
		held.objs[i]->index = i;
	}
	pthread_create(&t, NULL, holding_reader, NULL);
	wait_flag(&held.state, 1);
	pages_before_free = pages_in_use();
	for (unsigned int i = 0; i < held.n; i++)
		kmem_cache_free(s, held.objs[i]);
	kmem_cache_shrink(s);
	ci = rinfo(s);
	CHECK(ci.rcu_slabs >= 2);
	CHECK_EQ(ci.rcu_pages, ci.rcu_slabs << ci.order);
	/* Nothing went back: the reader may still look. */
	CHECK(pages_in_use() >= pages_before_free - (ci.nr_slabs << ci.order));
	atomic_store(&held.state, 2);
	wait_flag(&held.state, 3);
	CHECK_EQ(held.bad, 0u);
	/* The grace period cannot have ended: the reader is still inside. */
	CHECK_EQ(rinfo(s).rcu_slabs, ci.rcu_slabs);
	atomic_store(&held.state, 4);
	pthread_join(t, NULL);
	uslab_rcu_barrier();
	CHECK_EQ(rinfo(s).rcu_slabs, 0ul);
	CHECK_EQ(rinfo(s).rcu_pages, 0ul);
	pages_after = pages_in_use();
	CHECK(pages_after + (ci.rcu_pages) <= pages_before_free);
	CHECK_EQ(destroy_counting_reports(s), 0);
	free(held.objs);
}

/* --------------------------------------- lockless lookups in a hash table */

#define NBUCKETS 64
#define NKEYS 512
#define LOOKUPS 300000
#define ROUNDS 150

struct node {
	unsigned int magic;      /* set by the constructor, never cleared */
	atomic_uint refcount;    /* 0: being freed or free */
	atomic_uint key;
	struct node *next;
};

static struct kmem_cache *node_cache;
static struct node *buckets[NBUCKETS];
static pthread_mutex_t bucket_lock[NBUCKETS];
static atomic_ulong bad_tag, bad_key, hits, node_frees;
static atomic_int polluting;    /* the writers (and the polluter) run */

static void node_ctor(void *p)
{
	struct node *n = p;

	n->magic = OBJ_MAGIC;
	atomic_init(&n->refcount, 0);
	atomic_init(&n->key, ~0u);
	n->next = NULL;
}

static void node_put(struct node *n)
{
	if (atomic_fetch_sub(&n->refcount, 1) == 1) {
		atomic_fetch_add(&node_frees, 1);
		kmem_cache_free(node_cache, n);
	}
}

static bool node_get_unless_zero(struct node *n)
{
	unsigned int c = atomic_load(&n->refcount);

	while (c) {
		if (atomic_compare_exchange_weak(&n->refcount, &c, c + 1))
			return true;
	}
	return false;
}

/* The kernel's lookup: find, take a reference if not zero, re-check the
 * key.  A node may move to another list under the reader (freed and
 * reused): the walk is bounded, and a miss is allowed. */
static struct node *lookup(unsigned int key, bool dwell)
{
	struct node *n;
	int steps = 0;

	rcu_read_lock();
	for (n = rcu_dereference(buckets[key % NBUCKETS]); n && steps < 4 * NKEYS;
	     n = rcu_dereference(n->next), steps++) {
		/* Now and then the reader is preempted on a node: its slab
		 * may be emptied and discarded meanwhile. */
		if (dwell && steps == 1)
			sched_yield();
		if (n->magic != OBJ_MAGIC) {
			atomic_fetch_add(&bad_tag, 1);
			break;
		}
		if (atomic_load(&n->key) != key)
			continue;
		if (!node_get_unless_zero(n))
			continue;
		if (atomic_load(&n->key) != key) {
			node_put(n);
			continue;
		}
		rcu_read_unlock();
		return n;
	}
	rcu_read_unlock();
	return NULL;
}

static void *lookup_thread(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;

	rcu_register_thread();
	/* Until the writers are done, and at least LOOKUPS times. */
	for (int i = 0; i < LOOKUPS || atomic_load(&polluting); i++) {
		unsigned int key;
		struct node *n;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		key = (unsigned int)(seed % NKEYS);
		n = lookup(key, (i & 15) == 0);
		if (n) {
			if (n->magic != OBJ_MAGIC)
				atomic_fetch_add(&bad_tag, 1);
			if (atomic_load(&n->key) != key)
				atomic_fetch_add(&bad_key, 1);
			atomic_fetch_add(&hits, 1);
			node_put(n);
		}
	}
	rcu_unregister_thread();
	return NULL;
}

static void insert_key(unsigned int key)
{
	unsigned int b = key % NBUCKETS;
	struct node *n = kmem_cache_alloc(node_cache, GFP_KERNEL);

	if (!n || n->magic != OBJ_MAGIC) {
		atomic_fetch_add(&bad_tag, 1);
		return;
	}
	pthread_mutex_lock(&bucket_lock[b]);
	/* The reference first, the key last: a reader that finds the key
	 * then sees the node alive. */
	atomic_store(&n->refcount, 1);
	rcu_assign_pointer(n->next, buckets[b]);
	atomic_store(&n->key, key);
	rcu_assign_pointer(buckets[b], n);
	pthread_mutex_unlock(&bucket_lock[b]);
}

static void delete_key(unsigned int key)
{
	unsigned int b = key % NBUCKETS;
	struct node **pp, *n;

	pthread_mutex_lock(&bucket_lock[b]);
	for (pp = &buckets[b]; (n = rcu_dereference(*pp)); pp = &n->next)
		if (atomic_load(&n->key) == key)
			break;
	if (n)
		rcu_assign_pointer(*pp, rcu_dereference(n->next));
	pthread_mutex_unlock(&bucket_lock[b]);
	if (n)
		node_put(n);
}

/* Each writer owns half the keys: it inserts them all (freed nodes come
 * back under new keys), deletes them all in another order, then shrinks
 * the cache, whose emptied slabs then wait for a grace period. */
static void *writer_thread(void *arg)
{
	unsigned int base = (unsigned int)(uintptr_t)arg * (NKEYS / 2);

	for (int round = 0; round < ROUNDS; round++) {
		unsigned long h;

		for (unsigned int i = 0; i < NKEYS / 2; i++)
			insert_key(base + i);
		/* Every round overlaps the readers: one of them finds a key
		 * before the deletes begin. */
		h = atomic_load(&hits);
		while (atomic_load(&hits) == h)
			sched_yield();
		for (unsigned int i = 0; i < NKEYS / 2; i++)
			delete_key(base + (i * 37 + (unsigned int)round) % (NKEYS / 2));
		kmem_cache_shrink(node_cache);
	}
	return NULL;
}

/* Another cache of the same slab size, filled with another pattern: pages
 * a grace period had not protected would come back here. */

static void *polluter_thread(void *arg)
{
	struct kmem_cache *p = arg;
	void *objs[256];

	while (atomic_load(&polluting)) {
		for (int i = 0; i < 256; i++) {
			objs[i] = kmem_cache_alloc(p, GFP_KERNEL);
			if (objs[i])
				memset(objs[i], 0xa5, sizeof(struct node));
		}
		for (int i = 0; i < 256; i++)
			kmem_cache_free(p, objs[i]);
		kmem_cache_shrink(p);
	}
	return NULL;
}

/*
 * Readers look up keys while writers delete and insert; nodes are freed
 * and reused at once.  No reader ever sees a node without its tag (memory
 * that is not an object of the cache), and a reference taken is on the
 * key asked for.  Shrinks meanwhile send empty slabs through grace periods.
 */
TEST(typesafe_lockless_lookups)
{
	pthread_t r[3], w[2], pol;
	struct kmem_cache *other = kmem_cache_create("rcu-polluter", sizeof(struct node), 0,
						     SLAB_NO_MERGE, NULL);
	unsigned long live = 0;

	node_cache = kmem_cache_create("rcu-nodes", sizeof(struct node), 0,
				       SLAB_TYPESAFE_BY_RCU, node_ctor);
	CHECK(node_cache);
	for (int i = 0; i < NBUCKETS; i++) {
		pthread_mutex_init(&bucket_lock[i], NULL);
		buckets[i] = NULL;
	}
	atomic_store(&bad_tag, 0);
	atomic_store(&bad_key, 0);
	atomic_store(&hits, 0);
	atomic_store(&polluting, 1);
	pthread_create(&pol, NULL, polluter_thread, other);
	for (uintptr_t i = 0; i < 3; i++)
		pthread_create(&r[i], NULL, lookup_thread, (void *)(i + 1));
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&w[i], NULL, writer_thread, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	atomic_store(&polluting, 0);
	for (int i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	pthread_join(pol, NULL);
	kmem_cache_destroy(other);
	CHECK_EQ(atomic_load(&bad_tag), 0ul);
	CHECK_EQ(atomic_load(&bad_key), 0ul);
	/* Empty the table: every node goes back. */
	for (int b = 0; b < NBUCKETS; b++) {
		struct node *n = buckets[b], *next;

		for (; n; n = next) {
			next = n->next;
			live++;
			node_put(n);
		}
		buckets[b] = NULL;
	}
	CHECK_EQ(live, 0ul);
	CHECK(atomic_load(&hits) > 0);
	CHECK_EQ(rinfo(node_cache).active_objs, 0ul);
	kmem_cache_shrink(node_cache);
	uslab_rcu_barrier();
	CHECK_EQ(rinfo(node_cache).rcu_slabs, 0ul);
	CHECK_EQ(destroy_counting_reports(node_cache), 0);
}

/* ----------------------------------------------------------------- kfree_rcu */

struct rcu_obj {
	unsigned long payload[6];
	struct rcu_head rh;
};

static struct {
	atomic_int state;      /* 1 inside; 2 freed; 3 read; 4 leave */
	struct rcu_obj *obj;
	int bad;
} kr;

static void check_kr(void)
{
	for (int i = 0; i < 6; i++)
		if (kr.obj->payload[i] != 0xabcd0000ul + (unsigned long)i)
			kr.bad++;
}

static void *kfree_rcu_reader(void *arg)
{
	(void)arg;
	return reader_in_section(&kr.state, check_kr);
}

/* An object given to kfree_rcu while a reader that began before is inside
 * its section stays as it was (ASan sees no free) until the reader leaves;
 * the barrier then frees it. */
TEST(kfree_rcu_waits_for_the_reader)
{
	struct kmem_cache *k = uslab_kmalloc_cache(sizeof(struct rcu_obj));
	unsigned long active;
	pthread_t t;

	kr.obj = kmalloc(sizeof(*kr.obj), GFP_KERNEL);
	CHECK(kr.obj);
	for (int i = 0; i < 6; i++)
		kr.obj->payload[i] = 0xabcd0000ul + (unsigned long)i;
	kr.bad = 0;
	atomic_store(&kr.state, 0);
	pthread_create(&t, NULL, kfree_rcu_reader, NULL);
	wait_flag(&kr.state, 1);
	active = rinfo(k).active_objs;
	kfree_rcu(kr.obj, rh);
	/* Push the batch to the worker: its grace period waits for the
	 * reader. */
	for (int i = 0; i < 200; i++) {
		void *p = kmalloc(16, GFP_KERNEL);

		kfree_rcu_mightsleep(p);
	}
	atomic_store(&kr.state, 2);
	wait_flag(&kr.state, 3);
	CHECK_EQ(kr.bad, 0);
	CHECK(rinfo(k).active_objs >= active);
	atomic_store(&kr.state, 4);
	pthread_join(t, NULL);
	kvfree_rcu_barrier();
	CHECK_EQ(rinfo(k).active_objs, active - 1);
}

/* Run by kfree_rcu_read_after_grace_is_reported (ASan build): a read of
 * the object after the barrier must stop the program. */
TEST(kfree_rcu_read_after_barrier_child)
{
	struct rcu_obj *o;

	if (!getenv("USLAB_TEST_RCU_CHILD"))
		return;
	o = kmalloc(sizeof(*o), GFP_KERNEL);
	o->payload[0] = 1;
	kfree_rcu(o, rh);
	kvfree_rcu_barrier();
	printf("read %lu\n", *(volatile unsigned long *)&o->payload[0]);
	fflush(stdout);
}

TEST(kfree_rcu_read_after_grace_is_reported)
{
	static const char *const env[] = { "USLAB_TEST_RCU_CHILD=1", NULL };
	static char out[16384];
	int rc;

	if (!TEST_ASAN)
		return;
	rc = run_test_child("kfree_rcu_read_after_barrier_child", env, out, sizeof(out));
	CHECK(rc != 0);
	CHECK_STR_CONTAINS(out, "ERROR: AddressSanitizer: use-after-poison");
}

/* Run by kfree_rcu_without_a_batch: every batch allocation fails
 * (failslab on kmalloc-4096), yet kfree_rcu(ptr, rhf) inside a reader's
 * section returns at once (the object's own rcu_head carries it) and the
 * object stays valid until the reader leaves. */
TEST(kfree_rcu_without_a_batch_child)
{
	struct kmem_cache *k = uslab_kmalloc_cache(sizeof(struct rcu_obj));
	unsigned long active;
	pthread_t t;

	if (!getenv("USLAB_TEST_RCU_NOBATCH"))
		return;
	alarm(30);   /* a wait inside the section would never end */
	kvfree_rcu_barrier();
	kr.obj = kmalloc(sizeof(*kr.obj), GFP_KERNEL);
	CHECK(kr.obj);
	for (int i = 0; i < 6; i++)
		kr.obj->payload[i] = 0xabcd0000ul + (unsigned long)i;
	kr.bad = 0;
	atomic_store(&kr.state, 0);
	pthread_create(&t, NULL, kfree_rcu_reader, NULL);
	wait_flag(&kr.state, 1);
	active = rinfo(k).active_objs;
	rcu_read_lock();
	/* A reader itself: a wait for a grace period here would never end. */
	kfree_rcu(kr.obj, rh);
	for (int i = 0; i < 100; i++)
		kfree_rcu((struct rcu_obj *)kmalloc(sizeof(struct rcu_obj), GFP_KERNEL), rh);
	rcu_read_unlock();
	atomic_store(&kr.state, 2);
	wait_flag(&kr.state, 3);
	CHECK_EQ(kr.bad, 0);
	CHECK(rinfo(k).active_objs >= active);
	atomic_store(&kr.state, 4);
	pthread_join(t, NULL);
	kvfree_rcu_barrier();
	CHECK_EQ(rinfo(k).active_objs, active - 1);
	printf("nobatch checked\n");
	fflush(stdout);
}

TEST(kfree_rcu_without_a_batch)
{
	static const char *const env[] = { "USLAB_TEST_RCU_NOBATCH=1", "USLAB_DEBUG=A,kmalloc-4096",
					   "USLAB_FAILSLAB=1", NULL };
	static char out[16384];

	CHECK_EQ(run_test_child("kfree_rcu_without_a_batch_child", env, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "nobatch checked");
	CHECK(!strstr(out, "FAILED"));
}

/* The same object given to kfree_rcu twice, the first free done before
 * the second: the second is reported as a double free, and the cache's
 * freelist stays sound (two allocations, two objects).  Not in cpu mode
 * but for debug caches: there, as for kfree, the cheap test catches a
 * double free on the CPU whose freelist or sheaf holds the object, and the
 * worker may run on another CPU the second time. */
TEST(double_kfree_rcu_is_reported)
{
	struct kmem_cache *s = kmem_cache_create("rcu-double", 48, 0, SLAB_NO_MERGE, NULL);
	void *x = kmem_cache_alloc(s, GFP_KERNEL), *a, *b;

	CHECK(x);
	if (cpu_mode() && !getenv("USLAB_DEBUG")) {
		kmem_cache_free(s, x);
		kmem_cache_destroy(s);
		return;
	}
	kfree_rcu_mightsleep(x);
	kvfree_rcu_barrier();
	capture_start();
	kfree_rcu_mightsleep(x);
	kvfree_rcu_barrier();
	capture_stop();
	CHECK_BUG_STARTS(capture_buf, "rcu-double", "Object already free");
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(a && b && a != b);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* A pointer uslab never handed out, given to kfree_rcu: reported after the
 * grace period, naming kfree_rcu, and ignored. */
TEST(kfree_rcu_of_a_foreign_pointer_is_reported)
{
	static long not_ours[8];

	capture_start();
	kfree_rcu_mightsleep(&not_ours[2]);
	kvfree_rcu_barrier();
	capture_stop();
	CHECK_STR_CONTAINS(capture_buf, "Invalid free of ");
	CHECK_STR_CONTAINS(capture_buf, " in kfree_rcu: not allocated by uslab");
}

/* A report sink that frees with kfree_rcu and waits for a barrier, called
 * on the worker (a report of a bad pointer in a batch): it returns, and
 * so does the program's barrier. */
static atomic_int sink_calls;

static void rcu_calling_sink(void *ctx, const char *text)
{
	(void)ctx;
	(void)text;
	atomic_fetch_add(&sink_calls, 1);
	kfree_rcu_mightsleep(kmalloc(32, GFP_KERNEL));
	kvfree_rcu_barrier();
}

TEST(report_sink_on_the_worker_may_use_rcu)
{
	static long not_ours[8];

	atomic_store(&sink_calls, 0);
	uslab_set_report_sink(rcu_calling_sink, NULL, NULL, NULL);
	kfree_rcu_mightsleep(&not_ours[3]);
	kvfree_rcu_barrier();
	uslab_set_report_sink(NULL, NULL, NULL, NULL);
	CHECK(atomic_load(&sink_calls) >= 1);
	kvfree_rcu_barrier();
}

/* A report made while kfree_rcu allocates a thread's new batch (a debug
 * check of kmalloc-4096 finds a write after free), whose sink calls
 * kfree_rcu on that thread: the nested call opens a batch of its own,
 * and neither batch is lost. */
static atomic_int nested_sink_calls;

static void kfree_rcu_sink(void *ctx, const char *text)
{
	(void)ctx;
	(void)text;
	if (atomic_fetch_add(&nested_sink_calls, 1) == 0)
		kfree_rcu_mightsleep(kmalloc(64, GFP_KERNEL));
}

TEST(kfree_rcu_from_a_sink_while_a_batch_is_made_child)
{
	struct kmem_cache *k = uslab_kmalloc_cache(64);
	unsigned long active;
	unsigned char *used;

	if (!getenv("USLAB_TEST_RCU_NESTED"))
		return;
	/* The thread's holder, its batch taken by the barrier. */
	kfree_rcu_mightsleep(kmalloc(64, GFP_KERNEL));
	kvfree_rcu_barrier();
	active = rinfo(k).active_objs;
	/* The next batch is this object again (kmalloc-4096), poison spoilt. */
	used = kmalloc(4096, GFP_KERNEL);
	kfree(used);
	used[100] = 0x5a;
	uslab_set_report_sink(kfree_rcu_sink, NULL, NULL, NULL);
	kfree_rcu_mightsleep(kmalloc(64, GFP_KERNEL));
	uslab_set_report_sink(NULL, NULL, NULL, NULL);
	CHECK(atomic_load(&nested_sink_calls) >= 1);
	kvfree_rcu_barrier();
	CHECK_EQ(rinfo(k).active_objs, active);
	printf("nested checked\n");
	fflush(stdout);
}

TEST(kfree_rcu_from_a_sink_while_a_batch_is_made)
{
	static const char *const env[] = { "USLAB_TEST_RCU_NESTED=1", "USLAB_DEBUG=FZP,kmalloc-4096",
					   NULL };
	static char out[16384];

	if (TEST_ASAN)
		return;   /* the write after free is ASan's to stop */
	CHECK_EQ(run_test_child("kfree_rcu_from_a_sink_while_a_batch_is_made_child", env, out,
				sizeof(out)),
		 0);
	CHECK_STR_CONTAINS(out, "nested checked");
	CHECK(!strstr(out, "FAILED"));
}

/* The forms of the API: one argument (no rcu_head), two, kvfree_rcu; NULL
 * is nothing; many objects, several batches. */
TEST(kfree_rcu_forms_free_everything)
{
	struct kmem_cache *k = uslab_kmalloc_cache(sizeof(struct rcu_obj));
	struct rcu_obj *none = NULL;
	unsigned long active;

	kvfree_rcu_barrier();
	active = rinfo(k).active_objs;
	for (int i = 0; i < 1000; i++) {
		struct rcu_obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

		CHECK(o);
		switch (i % 4) {
		case 0:
			kfree_rcu(o, rh);
			break;
		case 1:
			kvfree_rcu(o, rh);
			break;
		case 2:
			kvfree_rcu(o);
			break;
		default:
			kfree_rcu_mightsleep(o);
		}
	}
	kfree_rcu(none, rh);
	kvfree_rcu(none);
	CHECK(rinfo(k).active_objs >= active);
	kvfree_rcu_barrier();
	CHECK_EQ(rinfo(k).active_objs, active);
}

/* ------------------------------------ destroy right after kfree_rcu */

/* The kernel's test_kfree_rcu: objects of a cache given to kfree_rcu, the
 * cache destroyed at once; from many threads, at random points. */
static void *destroy_after_kfree_rcu(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 3;
	char name[32];

	for (int round = 0; round < 20; round++) {
		struct kmem_cache *s;
		int n;

		snprintf(name, sizeof(name), "kfree-rcu-%lu-%d", (unsigned long)(uintptr_t)arg, round);
		s = kmem_cache_create(name, sizeof(struct rcu_obj), 0,
				      round % 2 ? SLAB_TYPESAFE_BY_RCU : 0, NULL);
		if (!s)
			return (void *)1;
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		n = 1 + (int)(seed % 300);
		for (int i = 0; i < n; i++) {
			struct rcu_obj *o = kmem_cache_alloc(s, GFP_KERNEL);

			if (!o)
				return (void *)1;
			kfree_rcu(o, rh);
			if ((seed >> (i % 60)) & 1)
				sched_yield();
		}
		kmem_cache_destroy(s);
	}
	return NULL;
}

/* The same in a fresh process, for the first kfree_rcu of all (nothing
 * queued yet, the worker not started, the objects in an open batch):
 * destroy waits for them too. */
TEST(destroy_after_the_first_kfree_rcu_child)
{
	const char *kind = getenv("USLAB_TEST_RCU_FRESH");
	struct kmem_cache *s;
	struct rcu_obj *o[3];

	if (!kind)
		return;
	s = kmem_cache_create("rcu-fresh", sizeof(struct rcu_obj), 0,
			      strcmp(kind, "typesafe") ? SLAB_NO_MERGE : SLAB_TYPESAFE_BY_RCU, NULL);
	for (int i = 0; i < 3; i++)
		CHECK((o[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	kfree_rcu(o[0], rh);
	kfree_rcu(o[1], rh);
	kfree_rcu_mightsleep(o[2]);
	CHECK_EQ(destroy_counting_reports(s), 0);
	printf("fresh %s checked\n", kind);
	fflush(stdout);
}

TEST(destroy_after_the_first_kfree_rcu)
{
	static char out[16384];

	for (int typesafe = 0; typesafe < 2; typesafe++) {
		const char *env[] = { typesafe ? "USLAB_TEST_RCU_FRESH=typesafe"
					       : "USLAB_TEST_RCU_FRESH=plain", NULL };

		CHECK_EQ(run_test_child("destroy_after_the_first_kfree_rcu_child", env, out, sizeof(out)),
			 0);
		CHECK_STR_CONTAINS(out, typesafe ? "fresh typesafe checked" : "fresh plain checked");
		CHECK(!strstr(out, "BUG"));
	}
}

TEST(destroy_right_after_kfree_rcu)
{
	pthread_t t[6];
	void *ret;

	capture_start();
	for (uintptr_t i = 0; i < 6; i++)
		pthread_create(&t[i], NULL, destroy_after_kfree_rcu, (void *)(i + 1));
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], &ret);
		CHECK(ret == NULL);
	}
	capture_stop();
	CHECK_EQ(capture_count(), 0);
}

/* ------------------------------------------ barriers take live batches */

/* Threads fill their batches without pause while another thread's
 * barriers take them (an owner's stores against a taker: kfree_rcu.c):
 * at the end every object is freed, once.  A pointer a taker missed stays
 * allocated; one taken twice is reported as a double free. */
#define TAKE_THREADS 3
#define TAKE_OBJECTS 150000

static atomic_int take_running;

static void *take_filler(void *arg)
{
	struct kmem_cache *s = arg;

	for (int i = 0; i < TAKE_OBJECTS; i++) {
		struct rcu_obj *o = kmem_cache_alloc(s, GFP_KERNEL);

		if (!o)
			return (void *)1;
		o->payload[0] = (unsigned long)i;
		kfree_rcu(o, rh);
	}
	atomic_fetch_sub(&take_running, 1);
	return NULL;
}

static void barriers_take_live_batches(void)
{
	struct kmem_cache *s = kmem_cache_create("rcu-take", sizeof(struct rcu_obj), 0, 0, NULL);
	pthread_t t[TAKE_THREADS];
	int barriers = 0;
	void *ret;

	CHECK(s);
	capture_start();
	atomic_store(&take_running, TAKE_THREADS);
	for (int i = 0; i < TAKE_THREADS; i++)
		pthread_create(&t[i], NULL, take_filler, s);
	while (atomic_load(&take_running) || barriers < 3) {
		kvfree_rcu_barrier();
		barriers++;
	}
	for (int i = 0; i < TAKE_THREADS; i++) {
		pthread_join(t[i], &ret);
		CHECK(ret == NULL);
	}
	kvfree_rcu_barrier();
	CHECK_EQ(rinfo(s).active_objs, 0);
	capture_stop();
	CHECK_EQ(capture_count(), 0);
	kmem_cache_destroy(s);
}

TEST(barriers_take_live_batches)
{
	barriers_take_live_batches();
}

/* The same where the kernel has no membarrier: the busy byte is a lock. */
TEST(barriers_take_live_batches_locked_child)
{
	if (!getenv("USLAB_TEST_NO_MEMBARRIER"))
		return;
	barriers_take_live_batches();
	printf("locked checked\n");
	fflush(stdout);
}

TEST(barriers_take_live_batches_locked)
{
	static const char *const env[] = { "USLAB_TEST_NO_MEMBARRIER=1", NULL };
	static char out[16384];

	CHECK_EQ(run_test_child("barriers_take_live_batches_locked_child", env, out, sizeof(out)),
		 0);
	CHECK_STR_CONTAINS(out, "locked checked");
	CHECK(!strstr(out, "FAILED"));
}

/* Where membarrier was registered and is refused later (a seccomp
 * filter): owners push without a fence of their own, and no other fence
 * is promised, so the first barrier that would take a live batch stops
 * the program with a report rather than take it unfenced. */
TEST(refused_membarrier_stops_the_program_child)
{
	if (!getenv("USLAB_TEST_MEMBARRIER_REFUSED"))
		return;
	kfree_rcu_mightsleep(kmalloc(64, GFP_KERNEL));
	kvfree_rcu_barrier();
	printf("barrier returned\n");
	fflush(stdout);
}

TEST(refused_membarrier_stops_the_program)
{
	static const char *const env[] = { "USLAB_TEST_MEMBARRIER_REFUSED=1", NULL };
	static char out[16384];
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return;   /* the busy byte is a lock: nothing to refuse */
	CHECK(run_test_child("refused_membarrier_stops_the_program_child", env, out, sizeof(out)) !=
	      0);
	CHECK_STR_CONTAINS(out, "uslab: kfree_rcu: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) was refused after its registration (a seccomp filter?): other threads' batches cannot be taken safely; aborting\n");
	CHECK(!strstr(out, "barrier returned"));
}

/* A TSD destructor of a key made after uslab's that calls kfree_rcu on
 * every pass glibc makes: the thread's holder is gone by then, and no new
 * one is made that no destructor would free (each barrier walks them). */
static pthread_key_t late_key;
unsigned long kfree_rcu_nr_holders(void);   /* kmalloc/kfree_rcu.c */

static void late_destructor(void *arg)
{
	kfree_rcu_mightsleep(kmalloc(64, GFP_KERNEL));
	/* Again on the next pass, as long as glibc makes passes. */
	pthread_setspecific(late_key, arg);
}

static void *late_key_thread(void *arg)
{
	pthread_setspecific(late_key, arg);
	kfree_rcu_mightsleep(kmalloc(64, GFP_KERNEL));
	return NULL;
}

TEST(kfree_rcu_from_a_late_destructor_makes_no_holder)
{
	struct kmem_cache *k = uslab_kmalloc_cache(64);
	unsigned long active, holders;
	pthread_t t;

#if defined(__SANITIZE_THREAD__)
	/* TSan finishes a thread in a destructor of its own, which a
	 * destructor that re-arms itself on every pass outlives. */
	return;
#endif
	/* uslab's key first. */
	kfree_rcu_mightsleep(kmalloc(64, GFP_KERNEL));
	kvfree_rcu_barrier();
	CHECK_EQ(pthread_key_create(&late_key, late_destructor), 0);
	holders = kfree_rcu_nr_holders();
	active = rinfo(k).active_objs;
	for (int i = 0; i < 20; i++) {
		pthread_create(&t, NULL, late_key_thread, (void *)1);
		pthread_join(t, NULL);
	}
	kvfree_rcu_barrier();
	CHECK_EQ(kfree_rcu_nr_holders(), holders);
	CHECK_EQ(rinfo(k).active_objs, active);
	pthread_key_delete(late_key);
}

/* A thread that queued kfree_rcu frees and exits: its batch is not lost. */
static void *queue_and_exit(void *arg)
{
	for (int i = 0; i < 10; i++)
		kfree_rcu_mightsleep(kmalloc(200, GFP_KERNEL));
	return arg;
}

TEST(thread_exit_hands_its_batch_over)
{
	struct kmem_cache *k = uslab_kmalloc_cache(200);
	unsigned long active;
	pthread_t t;

	kvfree_rcu_barrier();
	active = rinfo(k).active_objs;
	for (int i = 0; i < 4; i++) {
		pthread_create(&t, NULL, queue_and_exit, NULL);
		pthread_join(t, NULL);
	}
	kvfree_rcu_barrier();
	CHECK_EQ(rinfo(k).active_objs, active);
}

/* Frees faster than grace periods end: threads outside any read-side
 * section that do nothing but kfree_rcu wait for the worker now and then,
 * so that what waits stays bounded (RCU_DEFER_MAX batches, about 520,000
 * objects, plus each thread's own) instead of growing with the run. */
#define FLOOD_THREADS 3
#define FLOOD_OBJECTS 4000000

static atomic_ulong flood_max_active;

static void *flood_thread(void *arg)
{
	struct kmem_cache *k = arg;

	rcu_register_thread();
	for (long i = 0; i < FLOOD_OBJECTS; i++) {
		kfree_rcu_mightsleep(kmalloc(64, GFP_KERNEL));
		if (i % 509 == 0) {
			unsigned long a = rinfo(k).active_objs, m = atomic_load(&flood_max_active);

			while (a > m && !atomic_compare_exchange_weak(&flood_max_active, &m, a))
				;
		}
	}
	rcu_unregister_thread();
	return NULL;
}

TEST(kfree_rcu_flood_stays_bounded)
{
	struct kmem_cache *k = uslab_kmalloc_cache(64);
	pthread_t t[FLOOD_THREADS];
	unsigned long before;

#ifdef USLAB_TEST_SANITIZER
	return;   /* 12M objects under a sanitizer: too slow for the point */
#endif
	if (getenv("USLAB_DEBUG"))
		return;   /* the same for debug caches */
	kvfree_rcu_barrier();
	before = rinfo(k).active_objs;
	atomic_store(&flood_max_active, 0);
	for (int i = 0; i < FLOOD_THREADS; i++)
		pthread_create(&t[i], NULL, flood_thread, k);
	for (int i = 0; i < FLOOD_THREADS; i++)
		pthread_join(t[i], NULL);
	kvfree_rcu_barrier();
	CHECK_EQ(rinfo(k).active_objs, before);
	/* (RCU_DEFER_MAX + a batch a thread) * 509, with room for a take
	 * in progress; unbounded, a run reaches millions. */
	CHECK(atomic_load(&flood_max_active) < before + 800000ul);
}

/* One kfree_rcu, then nothing: the object is freed without a barrier,
 * a further kfree_rcu or the thread's exit (the worker drains batches that
 * do not fill).  Polled against a deadline far beyond the drain's. */
TEST(lone_kfree_rcu_is_freed_unasked)
{
	struct kmem_cache *k = uslab_kmalloc_cache(sizeof(struct rcu_obj));
	struct rcu_obj *o;
	unsigned long active;
	int waited_ms = 0;

	kvfree_rcu_barrier();
	o = kmalloc(sizeof(*o), GFP_KERNEL);
	active = rinfo(k).active_objs;
	kfree_rcu(o, rh);
	while (rinfo(k).active_objs >= active && waited_ms < 20000) {
		usleep(10000);
		waited_ms += 10;
	}
	CHECK(rinfo(k).active_objs < active);
}

/* ------------------------------------------------------------------ fork */

/*
 * RCU frees pending at fork (a batch not yet handed over, slabs of an RCU
 * cache waiting): in the child and in the parent, a barrier frees them
 * all.  liburcu's rule for fork (no registered reader thread but the one
 * that forks) holds here: the test's readers have all unregistered.
 */
TEST(fork_with_rcu_frees_pending)
{
	struct kmem_cache *s = kmem_cache_create("rcu-fork", 128, 0,
						 SLAB_TYPESAFE_BY_RCU | SLAB_NO_MERGE, NULL);
	struct kmem_cache *k = uslab_kmalloc_cache(300);
	void *objs[400];
	unsigned long active;
	int status;
	pid_t pid;

	kvfree_rcu_barrier();
	active = rinfo(k).active_objs;
	for (int i = 0; i < 400; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 400; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_shrink(s);
	for (int i = 0; i < 30; i++)
		kfree_rcu_mightsleep(kmalloc(300, GFP_KERNEL));
	pid = fork();
	if (pid == 0) {
		alarm(20);
		kvfree_rcu_barrier();
		if (rinfo(k).active_objs != active || rinfo(s).rcu_slabs)
			_exit(2);
		/* The child's own RCU frees work too (a worker of its own). */
		for (int i = 0; i < 100; i++)
			kfree_rcu_mightsleep(kmalloc(300, GFP_KERNEL));
		kvfree_rcu_barrier();
		_exit(rinfo(k).active_objs == active ? 0 : 3);
	}
	CHECK(pid > 0);
	kvfree_rcu_barrier();
	CHECK_EQ(rinfo(k).active_objs, active);
	CHECK_EQ(rinfo(s).rcu_slabs, 0ul);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	kmem_cache_destroy(s);
}

/* fork() while another thread destroys RCU caches, whose destroy waits
 * for their slabs' grace period: neither waits for the other (fork takes
 * the worker's lock first; destroy waits without the registry's lock). */
static atomic_int destroying, destroyed;

static void *destroy_loop(void *arg)
{
	(void)arg;
	while (atomic_load(&destroying)) {
		struct kmem_cache *s = kmem_cache_create("rcu-destroyed", 96, 0,
							 SLAB_TYPESAFE_BY_RCU, NULL);
		void *objs[100];

		for (int i = 0; i < 100; i++)
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		for (int i = 0; i < 100; i++)
			kmem_cache_free(s, objs[i]);
		kfree_rcu_mightsleep(kmalloc(64, GFP_KERNEL));
		kmem_cache_destroy(s);
		atomic_fetch_add(&destroyed, 1);
	}
	return NULL;
}

TEST(fork_while_rcu_caches_are_destroyed)
{
	pthread_t t;
	int status;

	capture_start();
	atomic_store(&destroying, 1);
	pthread_create(&t, NULL, destroy_loop, NULL);
	/* Forks until the other thread has destroyed 50 caches (each fork
	 * then falls somewhere in a destroy's wait), 20 at least. */
	for (int i = 0; i < 20 || atomic_load(&destroyed) < 50; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct kmem_cache *s;

			alarm(20);
			s = kmem_cache_create("rcu-child", 96, 0, SLAB_TYPESAFE_BY_RCU, NULL);
			kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
			kvfree_rcu_barrier();
			kmem_cache_destroy(s);
			_exit(0);
		}
		CHECK(pid > 0);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	atomic_store(&destroying, 0);
	pthread_join(t, NULL);
	capture_stop();
	CHECK_EQ(capture_count(), 0);
}

/* A fork child whose thread had a batch open: its own worker (started by
 * its next call into uslab) drains it, unasked. */
TEST(fork_child_drains_an_open_batch)
{
	struct kmem_cache *k = uslab_kmalloc_cache(sizeof(struct rcu_obj));
	unsigned long active;
	int status;
	pid_t pid;

	kvfree_rcu_barrier();
	active = rinfo(k).active_objs;
	kfree_rcu((struct rcu_obj *)kmalloc(sizeof(struct rcu_obj), GFP_KERNEL), rh);
	pid = fork();
	if (pid == 0) {
		int waited_ms = 0;

		alarm(30);
		while (rinfo(k).active_objs > active && waited_ms < 20000) {
			usleep(10000);
			waited_ms += 10;
		}
		_exit(rinfo(k).active_objs == active ? 0 : 1);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	kvfree_rcu_barrier();
	CHECK_EQ(rinfo(k).active_objs, active);
}

/* The report says what waits for a grace period. */
TEST(report_shows_rcu_memory)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	uslab_report(f, USLAB_REPORT_SLABINFO);
	fclose(f);
	CHECK_STR_CONTAINS(buf, "#   waiting for RCU ");
	CHECK_STR_CONTAINS(buf, "until a " TEST_FLAVOUR " grace period)");
	free(buf);
	f = open_memstream(&buf, &len);
	uslab_report(f, USLAB_REPORT_RAW);
	fclose(f);
	CHECK_STR_CONTAINS(buf, " rcu_bytes=0 rcu_flavour=" TEST_FLAVOUR "\n");
	free(buf);
}

TEST_MAIN()
