/*
 * test_ctor.c - constructors run once per object when its slab is
 * created, never on reuse; a freed object keeps its constructed state
 * because the free pointer is moved out of it.
 */
#include "check.h"

struct conn {
	int magic;
	int state;
	char buf[56];
};

static int ctor_calls;
static pthread_mutex_t ctor_lock = PTHREAD_MUTEX_INITIALIZER;

static void conn_ctor(void *p)
{
	struct conn *c = p;

	pthread_mutex_lock(&ctor_lock);
	ctor_calls++;
	pthread_mutex_unlock(&ctor_lock);
	c->magic = 0xc0ffee;
	c->state = 0;
	memset(c->buf, 'x', sizeof(c->buf));
}

TEST(ctor_runs_once_per_object_at_slab_creation)
{
	struct kmem_cache *s = kmem_cache_create("conn", sizeof(struct conn), 0, 0, conn_ctor);
	struct uslab_cache_info ci = cache_info(s);
	struct conn *c[3];
	/* One cpu slab: in cpu mode a migration would start a second. */
	cpu_set_t was = pin_here();

	ctor_calls = 0;
	c[0] = kmem_cache_alloc(s, GFP_KERNEL);
	/* The whole first slab was constructed at once. */
	CHECK_EQ(ctor_calls, (int)ci.objs_per_slab);
	CHECK_EQ(c[0]->magic, 0xc0ffee);
	c[0]->state = 42;
	for (int i = 1; i < 3; i++)
		c[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(ctor_calls, (int)ci.objs_per_slab);
	for (int i = 0; i < 3; i++)
		kmem_cache_free(s, c[i]);
	/* Reuse: no constructor, the object comes back as it was freed. */
	for (int i = 0; i < 1000; i++) {
		struct conn *x = kmem_cache_alloc(s, GFP_KERNEL);

		CHECK_EQ(x->magic, 0xc0ffee);
		CHECK(x->buf[0] == 'x' && x->buf[55] == 'x');
		kmem_cache_free(s, x);
	}
	CHECK_EQ(ctor_calls, (int)ci.objs_per_slab);
	unpin(was);
	kmem_cache_destroy(s);
}

TEST(ctor_state_survives_free_in_every_slot)
{
	struct kmem_cache *s = kmem_cache_create("conn2", sizeof(struct conn), 0, 0, conn_ctor);
	struct uslab_cache_info ci = cache_info(s);
	unsigned int n = ci.objs_per_slab * 3;
	struct conn **v = calloc(n, sizeof(*v));

	/* The free pointer lives after the object. */
	CHECK(ci.size >= sizeof(struct conn) + sizeof(void *));
	for (unsigned int i = 0; i < n; i++)
		v[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, v[i]);
	for (unsigned int i = 0; i < n; i++) {
		v[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK_EQ(v[i]->magic, 0xc0ffee);
		CHECK(v[i]->buf[0] == 'x' && v[i]->buf[55] == 'x');
	}
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, v[i]);
	free(v);
	kmem_cache_destroy(s);
}

TEST(ctor_caches_are_never_merged)
{
	struct kmem_cache *a = kmem_cache_create("ctor-a", 64, 0, 0, conn_ctor);
	struct kmem_cache *b = kmem_cache_create("ctor-b", 64, 0, 0, conn_ctor);

	CHECK(a && b && a != b);
	CHECK(a != uslab_kmalloc_cache(64));
	CHECK_EQ(cache_info(a).refcount, 1);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
}

TEST(rcu_layout_moves_free_pointer_out)
{
	struct kmem_cache *s = kmem_cache_create("rcu-objs", 64, 0, SLAB_TYPESAFE_BY_RCU, NULL);
	unsigned char *p;

	CHECK(s);
	CHECK(s != uslab_kmalloc_cache(64));
	CHECK_EQ(cache_info(s).size, 72);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	memset(p, 0x3c, 64);
	kmem_cache_free(s, p);
	/* Type-safe: a freed object keeps its bytes (no free pointer in it). */
	for (int i = 0; i < 64; i++)
		CHECK_EQ(p[i], 0x3c);
	kmem_cache_destroy(s);
}

TEST_MAIN()
