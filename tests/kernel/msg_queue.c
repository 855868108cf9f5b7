// SPDX-License-Identifier: GPL-2.0
/*
 * msg_queue.c - a subsystem with its own kmem_buckets, as System V
 * message queues have since 6.11: messages are sized by user space, so
 * they come from a private set of kmalloc caches and never share a slab
 * with anyone else's kmalloc blocks (which a heap-spraying attacker would
 * otherwise place next to them).
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>

#define MSG_MAX 8000
#define NR_MSGS 512

struct msg_msg {
	struct msg_msg *next;
	long m_type;
	size_t m_ts;             /* message text size */
	char text[];
};

static kmem_buckets *msg_buckets;
static struct msg_msg *queue;

static struct msg_msg *alloc_msg(size_t len)
{
	struct msg_msg *msg = kmem_buckets_alloc(msg_buckets, sizeof(*msg) + len, GFP_KERNEL_ACCOUNT);

	if (msg)
		msg->m_ts = len;
	return msg;
}

static int __init msg_queue_init(void)
{
	u32 seed = 7;
	int sent = 0;

	msg_buckets = kmem_buckets_create("msg_msg", SLAB_ACCOUNT, sizeof(struct msg_msg),
					  MSG_MAX, NULL);
	if (!msg_buckets)
		return -ENOMEM;
	for (int i = 0; i < NR_MSGS; i++) {
		struct msg_msg *msg;
		size_t len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % MSG_MAX;
		msg = alloc_msg(len);
		if (!msg)
			return -ENOMEM;
		msg->m_type = i;
		memset(msg->text, (int)(i & 0x7f), len);
		msg->next = queue;
		queue = msg;
		sent++;
	}
	/* Receive: every message as it was sent, then freed with kfree. */
	for (int i = NR_MSGS - 1; i >= 0; i--) {
		struct msg_msg *msg = queue;

		if (WARN_ON(!msg) || WARN_ON(msg->m_type != i))
			return -EINVAL;
		for (size_t b = 0; b < msg->m_ts; b++)
			if (WARN_ON(msg->text[b] != (char)(i & 0x7f)))
				return -EINVAL;
		queue = msg->next;
		if (i % 2)
			kfree(msg);
		else
			kvfree(msg);
	}
	pr_info("%d messages through private buckets\n", sent);
	return 0;
}

static void __exit msg_queue_exit(void)
{
	/* The kernel keeps a set of buckets for ever; so does this module. */
}

module_init(msg_queue_init);
module_exit(msg_queue_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("a subsystem with its own kmem_buckets");
