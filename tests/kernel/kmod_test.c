/*
 * kmod_test.c - loads the kernel-style modules of tests/kernel (compiled
 * through uslab's kernel-style headers, unedited) one after another, as
 * insmod would, with the harness's fault injection around some of them:
 *
 *   session_cache  a refcounted kmem_cache_args cache
 *   request_pool   a mempool's reserve carries the I/O path while every
 *                  allocation of its cache fails (failslab, past the
 *                  reserve's bytes: the "space" knob)
 *   radix_tree     inserts under a spinlock from a pre-filled sheaf while
 *                  every allocation of its cache that may not sleep fails
 *   msg_queue      messages from a private set of kmem_buckets
 *
 * A module passes when its init returns 0, it warned nothing, and uslab
 * reported nothing from load to unload (no leak, no bad free).  The
 * harness is the one file here that speaks uslab's own API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uslab.h>
#include "include/linux/module.h"

int kmod_warnings;
static struct kmod *modules, **modules_tail = &modules;
static int reports;
static char last_report[512];

void kmod_register(struct kmod *m)
{
	*modules_tail = m;
	modules_tail = &m->next;
}

static void count_report(void *ctx, const char *text)
{
	(void)ctx;
	reports++;
	snprintf(last_report, sizeof(last_report), "%s", text);
}

/* Marks a cache for failslab on top of what USLAB_DEBUG gives it. */
static void mark_failslab(const char *cache)
{
	const char *env = getenv("USLAB_DEBUG");
	char spec[256];

	if (env && *env)
		snprintf(spec, sizeof(spec), "%s;%sA,%s", env, env, cache);
	else
		snprintf(spec, sizeof(spec), "A,%s", cache);
	if (uslab_debug_config(spec))
		exit(2);
}

static void knob(const char *which, const char *name, long value)
{
	if (uslab_fault_attr_write(which, name, value))
		exit(2);
}

static void failslab_reset(void)
{
	knob("failslab", "probability", 0);
	knob("failslab", "space", 0);
	knob("failslab", "times", 1);
	knob("failslab", "ignore-gfp-wait", 1);
}

static long failures(void)
{
	long v = 0;

	uslab_fault_attr_read("failslab", "failures", &v);
	return v;
}

static int before(const char *name)
{
	if (!strcmp(name, "request_pool")) {
		/* The reserve's four requests of 32 bytes pass, then nothing. */
		mark_failslab("request");
		knob("failslab", "space", 4 * 32 + 1);
		knob("failslab", "times", -1);
		knob("failslab", "ignore-gfp-wait", 0);
		knob("failslab", "probability", 100);
	} else if (!strcmp(name, "radix_tree")) {
		mark_failslab("radix_node");
		knob("failslab", "times", -1);
		knob("failslab", "probability", 100);
	}
	return 0;
}

/* What the harness checks with the module loaded. */
static int loaded(const char *name, long failures_before)
{
	struct kmem_cache *s;

	if (!strcmp(name, "request_pool")) {
		/* The allocator failed, the reserve carried every request. */
		if (failures() - failures_before < 100) {
			printf("request_pool: failslab failed only %ld allocations\n",
			       failures() - failures_before);
			return 1;
		}
	} else if (!strcmp(name, "radix_tree")) {
		/* Without the sheaf, the locked section's allocations fail. */
		void *o;

		s = uslab_cache_find("radix_node");
		o = s ? kmem_cache_alloc(s, GFP_NOWAIT) : NULL;
		if (!s || o || failures() == failures_before) {
			printf("radix_tree: a GFP_NOWAIT allocation of radix_node did not fail\n");
			if (o)
				kmem_cache_free(s, o);
			return 1;
		}
	} else if (!strcmp(name, "msg_queue")) {
		struct uslab_cache_info ci;

		/* Its own caches, never merged, and empty again. */
		s = uslab_cache_find("msg_msg-64");
		if (!s || s == uslab_kmalloc_cache(64) || uslab_cache_info(s, &ci) ||
		    ci.refcount != 1 || ci.active_objs != 0 || !uslab_cache_find("msg_msg-8192")) {
			printf("msg_queue: msg_msg-64 is not a private, empty cache\n");
			return 1;
		}
	}
	return 0;
}

int main(void)
{
	int failed = 0, n = 0;

	uslab_set_report_sink(count_report, NULL, NULL, NULL);
	for (struct kmod *m = modules; m; m = m->next, n++) {
		long failures_before;
		int ret, bad;

		before(m->name);
		failures_before = failures();
		reports = 0;
		kmod_warnings = 0;
		ret = m->init();
		bad = ret || loaded(m->name, failures_before);
		failslab_reset();
		if (m->exit)
			m->exit();
		if (m->exit && uslab_cache_find(!strcmp(m->name, "session_cache") ? "session_cache" :
						!strcmp(m->name, "request_pool") ? "request" :
						!strcmp(m->name, "radix_tree") ? "radix_node" : "-")) {
			printf("%s: its cache outlived the module\n", m->name);
			bad = 1;
		}
		if (kmod_warnings || reports) {
			printf("%s: %d warnings, %d uslab reports (last: %s)\n", m->name, kmod_warnings,
			       reports, reports ? last_report : "-");
			bad = 1;
		}
		printf("module %-14s %s (init %d)\n", m->name, bad ? "FAILED" : "ok", ret);
		failed += bad;
	}
	printf("%d modules, %d failed\n", n, failed);
	return failed || n != 4;
}
