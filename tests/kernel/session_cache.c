// SPDX-License-Identifier: GPL-2.0
/*
 * session_cache.c - a refcounted object cache, as a driver keeps one: made
 * with struct kmem_cache_args (alignment, a constructor), objects looked
 * up and handed around by reference, freed by the last put.  The
 * constructor's state holds across reuse because every put hands the
 * object back constructed.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>

#define NR_SLOTS 256
#define SESSION_MAGIC 0x5e551011u

struct session {
	refcount_t ref;
	u32 magic;               /* set by the constructor, kept constructed */
	u32 id;
	char peer[40];
};

static struct kmem_cache *session_cachep;
static struct session *slots[NR_SLOTS];
static DEFINE_SPINLOCK(slots_lock);
static int ctor_calls;

static void session_ctor(void *obj)
{
	struct session *s = obj;

	s->magic = SESSION_MAGIC;
	ctor_calls++;
}

static struct session *session_get(u32 id)
{
	struct session *s;

	spin_lock(&slots_lock);
	s = slots[id % NR_SLOTS];
	if (s && s->id == id)
		refcount_inc(&s->ref);
	else
		s = NULL;
	spin_unlock(&slots_lock);
	return s;
}

static void session_put(struct session *s)
{
	if (refcount_dec_and_test(&s->ref)) {
		WARN_ON(s->magic != SESSION_MAGIC);
		memset(s->peer, 0, sizeof(s->peer));
		kmem_cache_free(session_cachep, s);
	}
}

static int session_open(u32 id)
{
	struct session *s = kmem_cache_alloc(session_cachep, GFP_KERNEL);

	if (!s)
		return -ENOMEM;
	if (WARN_ON(s->magic != SESSION_MAGIC) || WARN_ON((unsigned long)s % 64))
		return -EINVAL;
	refcount_set(&s->ref, 1);
	s->id = id;
	snprintf(s->peer, sizeof(s->peer), "peer-%u", id);
	spin_lock(&slots_lock);
	WARN_ON(slots[id % NR_SLOTS] != NULL);
	slots[id % NR_SLOTS] = s;
	spin_unlock(&slots_lock);
	return 0;
}

static void session_close(u32 id)
{
	struct session *s;

	spin_lock(&slots_lock);
	s = slots[id % NR_SLOTS];
	slots[id % NR_SLOTS] = NULL;
	spin_unlock(&slots_lock);
	if (s)
		session_put(s);
}

static int __init session_cache_init(void)
{
	struct kmem_cache_args args = {
		.align = 64,
		.ctor = session_ctor,
	};
	int round, id, err;

	session_cachep = kmem_cache_create("session_cache", sizeof(struct session), &args,
					   SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT);
	if (!session_cachep)
		return -ENOMEM;
	for (round = 0; round < 20; round++) {
		struct session *held[8];

		for (id = 0; id < NR_SLOTS; id++) {
			err = session_open((u32)(round * NR_SLOTS + id));
			if (err)
				return err;
		}
		/* Readers take references; the table drops its own first. */
		for (id = 0; id < 8; id++)
			held[id] = session_get((u32)(round * NR_SLOTS + id * 31));
		for (id = 0; id < NR_SLOTS; id++)
			session_close((u32)(round * NR_SLOTS + id));
		for (id = 0; id < 8; id++) {
			if (WARN_ON(!held[id]) ||
			    WARN_ON(strcmp(held[id]->peer, "") == 0))
				return -EINVAL;
			session_put(held[id]);
		}
	}
	/* Objects are constructed once per slab slot, not per allocation. */
	if (WARN_ON(ctor_calls >= 20 * NR_SLOTS))
		return -EINVAL;
	pr_info("%d rounds of %d sessions\n", round, NR_SLOTS);
	return 0;
}

static void __exit session_cache_exit(void)
{
	kmem_cache_destroy(session_cachep);
}

module_init(session_cache_init);
module_exit(session_cache_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("a refcounted object cache made with kmem_cache_args");
