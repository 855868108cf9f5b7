/*
 * test_rcu_qsbr.c - uslab on liburcu's QSBR flavour (libuslab-rcu-qsbr):
 * a registered thread is online between its quiescent states, and its
 * waits for uslab's worker (the barriers, the destroy of an RCU cache) put
 * it offline meanwhile, or the grace period would wait for the waiter.
 */
#include <urcu/urcu-qsbr.h>

#include <uslab_rcu.h>

#include "check.h"

struct obj {
	long v[4];
	struct rcu_head rh;
};

TEST(qsbr_flavour_is_registered)
{
	CHECK(uslab_rcu_flavour_name());
	CHECK(!strcmp(uslab_rcu_flavour_name(), "qsbr"));
}

/* An online QSBR thread frees with kfree_rcu, waits for the barrier,
 * destroys an RCU cache: none of it waits for the thread itself, which is
 * online again after each. */
TEST(online_thread_waits_offline)
{
	struct kmem_cache *s = kmem_cache_create("qsbr-objs", sizeof(struct obj), 0,
						 SLAB_TYPESAFE_BY_RCU, NULL);
	struct kmem_cache *k = uslab_kmalloc_cache(sizeof(struct obj));
	struct uslab_cache_info ci;
	unsigned long active;
	void *objs[200];

	urcu_qsbr_register_thread();
	CHECK(urcu_qsbr_read_ongoing());
	uslab_cache_info(k, &ci);
	active = ci.active_objs;
	for (int i = 0; i < 100; i++)
		kfree_rcu((struct obj *)kmalloc(sizeof(struct obj), GFP_KERNEL), rh);
	kvfree_rcu_barrier();
	CHECK(urcu_qsbr_read_ongoing());
	uslab_cache_info(k, &ci);
	CHECK_EQ(ci.active_objs, active);
	for (int i = 0; i < 200; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 200; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_shrink(s);
	uslab_rcu_barrier();
	uslab_cache_info(s, &ci);
	CHECK_EQ(ci.rcu_slabs, 0ul);
	CHECK_EQ(destroy_counting_reports(s), 0);
	CHECK(urcu_qsbr_read_ongoing());
	/* An offline thread stays offline. */
	urcu_qsbr_thread_offline();
	kvfree_rcu_barrier();
	CHECK(!urcu_qsbr_read_ongoing());
	urcu_qsbr_thread_online();
	urcu_qsbr_unregister_thread();
}

TEST_MAIN()
