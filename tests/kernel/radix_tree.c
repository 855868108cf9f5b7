// SPDX-License-Identifier: GPL-2.0
/*
 * radix_tree.c - a tree that pre-fills a sheaf before a section that must
 * not fail, as the maple tree does: an insert may need a new node at every
 * level, and the tree's lock is a spinlock, under which nothing may sleep.
 * So before taking the lock the writer pre-fills a sheaf with the worst
 * case, allocates from it under the lock (an allocation that cannot fail),
 * and returns what is left after.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>

#define RADIX_SHIFT 4
#define RADIX_FANOUT (1u << RADIX_SHIFT)
#define RADIX_LEVELS 4          /* 16-bit keys */
#define BATCH 8

struct radix_node {
	void *slots[RADIX_FANOUT];
	unsigned int count;
};

static struct kmem_cache *node_cachep;
static struct radix_node *root;
static DEFINE_SPINLOCK(tree_lock);
static unsigned long nodes_in_tree;

/* Under tree_lock: may not fail, may not sleep. */
static void radix_insert_locked(struct slab_sheaf *sheaf, u16 key, void *item)
{
	struct radix_node **slot = &root;

	for (int level = RADIX_LEVELS - 1; level >= 0; level--) {
		unsigned int i = (key >> (level * RADIX_SHIFT)) & (RADIX_FANOUT - 1);

		if (!*slot) {
			*slot = kmem_cache_alloc_from_sheaf(node_cachep, GFP_NOWAIT | __GFP_ZERO,
							    sheaf);
			if (WARN_ON(!*slot))
				return;
			nodes_in_tree++;
		}
		if (level == 0) {
			if (!(*slot)->slots[i])
				(*slot)->count++;
			(*slot)->slots[i] = item;
			return;
		}
		if (!(*slot)->slots[i])
			(*slot)->count++;
		slot = (struct radix_node **)&(*slot)->slots[i];
	}
}

static void *radix_lookup(u16 key)
{
	struct radix_node *n = root;

	for (int level = RADIX_LEVELS - 1; n && level > 0; level--)
		n = n->slots[(key >> (level * RADIX_SHIFT)) & (RADIX_FANOUT - 1)];
	return n ? n->slots[key & (RADIX_FANOUT - 1)] : NULL;
}

static void radix_free(struct radix_node *n, int level)
{
	if (!n)
		return;
	if (level > 0)
		for (unsigned int i = 0; i < RADIX_FANOUT; i++)
			radix_free(n->slots[i], level - 1);
	kmem_cache_free(node_cachep, n);
	nodes_in_tree--;
}

/* Inserts keys[0..n) in one locked section. */
static int radix_insert_batch(struct slab_sheaf **sheaf, const u16 *keys, int n)
{
	/* Worst case: a new node at every level for every key. */
	int err = kmem_cache_refill_sheaf(node_cachep, GFP_KERNEL, sheaf,
					  (unsigned int)(n * RADIX_LEVELS));

	if (err)
		return err;
	spin_lock(&tree_lock);
	for (int i = 0; i < n; i++)
		radix_insert_locked(*sheaf, keys[i], (void *)(unsigned long)(keys[i] + 1u));
	spin_unlock(&tree_lock);
	return 0;
}

static int __init radix_tree_init(void)
{
	struct slab_sheaf *sheaf;
	u16 keys[BATCH];
	u32 seed = 1;
	int inserted = 0;

	node_cachep = KMEM_CACHE(radix_node, SLAB_RECLAIM_ACCOUNT);
	if (!node_cachep)
		return -ENOMEM;
	sheaf = kmem_cache_prefill_sheaf(node_cachep, GFP_KERNEL, RADIX_LEVELS);
	if (!sheaf)
		return -ENOMEM;
	for (int round = 0; round < 400; round++) {
		for (int i = 0; i < BATCH; i++) {
			seed = seed * 1103515245u + 12345u;
			keys[i] = (u16)(seed >> 8);
		}
		if (radix_insert_batch(&sheaf, keys, BATCH))
			return -ENOMEM;
		inserted += BATCH;
	}
	kmem_cache_return_sheaf(node_cachep, GFP_KERNEL, sheaf);
	seed = 1;
	for (int i = 0; i < inserted; i++) {
		u16 key;

		seed = seed * 1103515245u + 12345u;
		key = (u16)(seed >> 8);
		if (WARN_ON(radix_lookup(key) != (void *)(unsigned long)(key + 1u)))
			return -EINVAL;
	}
	pr_info("%d keys inserted under the lock\n", inserted);
	return 0;
}

static void __exit radix_tree_exit(void)
{
	radix_free(root, RADIX_LEVELS - 1);
	root = NULL;
	WARN_ON(nodes_in_tree != 0);
	kmem_cache_destroy(node_cachep);
}

module_init(radix_tree_init);
module_exit(radix_tree_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("a tree that pre-fills a sheaf before a section that must not fail");
