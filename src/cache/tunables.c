/*
 * tunables.c - every cache's named attributes, as /sys/kernel/slab/<cache>/
 * is for the kernel: read them, write the writable ones, by name; and
 * USLAB_TUNE, which sets them at start and for caches created later.
 *
 *   USLAB_TUNE="kmalloc-64:queue_limit=128,batchcount=32;conn:min_partial=10"
 *
 * Errors are clear and change nothing: -ENOENT (no such attribute or
 * cache), -EACCES (read-only), -EINVAL (value out of range, or not for this
 * personality), -EBUSY (a debug toggle on a cache with objects).  Writes
 * take slab_mutex; the paths read the values with READ_ONCE and see a new
 * value at their next slow path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/report.h"
#include "base/start.h"
#include "cache/cache.h"
#include "core/personality.h"
#include "debug/debug.h"
#include "slub/slub.h"
#include "unified/sheaf.h"
#include "unified/unified.h"

enum attr_kind { ATTR_RO, ATTR_RW };

struct attr {
	const char *name;
	const char *help;
	int (*show)(struct kmem_cache *s, const struct uslab_cache_info *ci, char *buf, size_t len);
	/* Called with slab_mutex held; value parsed as a number. */
	int (*store)(struct kmem_cache *s, long value);
};

#define SHOW_NUM(fn, expr)                                                            \
	static int fn(struct kmem_cache *s, const struct uslab_cache_info *ci, char *buf,   \
		      size_t len)                                                          \
	{                                                                             \
		(void)s; (void)ci;                                                    \
		return snprintf(buf, len, "%lu\n", (unsigned long)(expr));            \
	}

SHOW_NUM(show_object_size, s->object_size)
SHOW_NUM(show_slab_size, s->size)
SHOW_NUM(show_objs_per_slab, READ_ONCE(s->oo.objects))
SHOW_NUM(show_order, READ_ONCE(s->oo.order))
SHOW_NUM(show_objects, ci->active_objs)
SHOW_NUM(show_total_objects, ci->total_objs)
SHOW_NUM(show_slabs, ci->nr_slabs)
SHOW_NUM(show_partial, ci->nr_partial)
SHOW_NUM(show_cpu_slabs, ci->cpu_slabs)
SHOW_NUM(show_slabs_cpu_partial, ci->cpu_partial)
SHOW_NUM(show_aliases, ci->refcount ? ci->refcount - 1 : 0)
SHOW_NUM(show_align, s->align)
SHOW_NUM(show_ctor, s->ctor != NULL)
SHOW_NUM(show_hwcache_align, !!(s->flags & SLAB_HWCACHE_ALIGN))
SHOW_NUM(show_reclaim_account, !!(s->flags & SLAB_RECLAIM_ACCOUNT))
SHOW_NUM(show_destroy_by_rcu, !!(s->flags & SLAB_TYPESAFE_BY_RCU))
SHOW_NUM(show_min_partial, READ_ONCE(s->min_partial))
SHOW_NUM(show_cpu_partial, READ_ONCE(s->cpu_partial))
SHOW_NUM(show_queue_limit, READ_ONCE(s->queue_limit))
SHOW_NUM(show_batchcount, READ_ONCE(s->batchcount))
SHOW_NUM(show_queued_objects, ci->queued_objs)
SHOW_NUM(show_barn_sheaves, ci->barn_sheaves)

/* Full sheaves only: the ones that hold memory (at most barn_full_max a
 * node). */
static int show_barn_full(struct kmem_cache *s, const struct uslab_cache_info *ci, char *buf,
			  size_t len)
{
	unsigned long full = 0;

	(void)ci;
	for (unsigned int i = 0; i < s->nr_nodes; i++)
		full += READ_ONCE(s->node[i].barn.nr_full);
	return snprintf(buf, len, "%lu\n", full);
}
SHOW_NUM(show_sanity_checks, !!(s->flags & SLAB_CONSISTENCY_CHECKS))
SHOW_NUM(show_red_zone, !!(s->flags & SLAB_RED_ZONE))
SHOW_NUM(show_poison, !!(s->flags & SLAB_POISON))
SHOW_NUM(show_store_user, !!(s->flags & SLAB_STORE_USER))
SHOW_NUM(show_trace, !!(s->flags & SLAB_TRACE))
SHOW_NUM(show_failslab, !!(s->flags & SLAB_FAILSLAB))
SHOW_NUM(show_zero, 0)

static int show_allocator(struct kmem_cache *s, const struct uslab_cache_info *ci, char *buf,
			  size_t len)
{
	(void)ci;
	return snprintf(buf, len, "%s\n", kmem_cache_debug(s) ? "debug" : s->ops->name);
}

static int store_min_partial(struct kmem_cache *s, long v)
{
	if (v < 0 || v > 1000)
		return -EINVAL;
	WRITE_ONCE(s->min_partial, (unsigned long)v);
	return 0;
}

static int store_cpu_partial(struct kmem_cache *s, long v)
{
	if (s->ops != &slub_personality || kmem_cache_debug(s) || v < 0 || v > MAX_OBJS_PER_SLAB)
		return -EINVAL;
	WRITE_ONCE(s->cpu_partial, (unsigned int)v);
	WRITE_ONCE(s->cpu_partial_slabs,
		   v ? (unsigned int)DIV_ROUND_UP((unsigned long)v * 2, s->oo.objects) : 0);
	return 0;
}

static int store_order(struct kmem_cache *s, long v)
{
	unsigned int objects;

	/* At most MAX_OBJS_PER_SLAB slots a slab: no slab has a tail of
	 * slots past its last object (core/object.h: object_start). */
	if (v < 0 || v > PAGE_ALLOC_MAX_ORDER || (PAGE_SIZE << v) < s->align ||
	    (PAGE_SIZE << v) / s->size > MAX_OBJS_PER_SLAB)
		return -EINVAL;
	objects = s->ops->objects_per_slab(s, (unsigned int)v);
	if (!objects)
		return -EINVAL;
	/* New slabs only: every slab keeps its own order and object count.
	 * Slabs with a tail need obj_to_index()'s multiply from now on. */
	if (slab_has_tail(s, (struct kmem_cache_order_objects){ (unsigned int)v, objects }))
		WRITE_ONCE(s->slot_mask, 0);
	WRITE_ONCE(s->oo.objects, objects);
	WRITE_ONCE(s->oo.order, (unsigned int)v);
	if (s->min.order > (unsigned int)v) {
		s->min.order = (unsigned int)v;
		s->min.objects = objects;
	}
	return 0;
}

static int store_queue_limit(struct kmem_cache *s, long v)
{
	if (s->ops != &unified_personality || v < 1 || v > MAX_SHEAF_CAPACITY)
		return -EINVAL;
	unified_set_queue_limit(s, (unsigned int)v);
	if (s->batchcount > (unsigned int)v)
		WRITE_ONCE(s->batchcount, (unsigned int)v);
	return 0;
}

static int store_batchcount(struct kmem_cache *s, long v)
{
	if (s->ops != &unified_personality || v < 1 || v > (long)s->queue_limit)
		return -EINVAL;
	WRITE_ONCE(s->batchcount, (unsigned int)v);
	return 0;
}

static int toggle_debug(struct kmem_cache *s, long v, slab_flags_t flag)
{
	slab_flags_t debug = s->flags & (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON |
					 SLAB_STORE_USER | SLAB_TRACE | SLAB_FAILSLAB);
	int ret;

	if (v != 0 && v != 1)
		return -EINVAL;
	debug = v ? debug | flag : debug & ~flag;
	/* uslab_cache_set_debug takes slab_mutex itself. */
	slab_mutex_unlock();
	ret = uslab_cache_set_debug(s, debug);
	slab_mutex_lock();
	return ret ? -EBUSY : 0;
}

static int store_sanity_checks(struct kmem_cache *s, long v)
{
	return toggle_debug(s, v, SLAB_CONSISTENCY_CHECKS);
}

static int store_red_zone(struct kmem_cache *s, long v)
{
	return toggle_debug(s, v, SLAB_RED_ZONE);
}

static int store_poison(struct kmem_cache *s, long v)
{
	return toggle_debug(s, v, SLAB_POISON);
}

static int store_store_user(struct kmem_cache *s, long v)
{
	return toggle_debug(s, v, SLAB_STORE_USER);
}

static int store_failslab(struct kmem_cache *s, long v)
{
	return toggle_debug(s, v, SLAB_FAILSLAB);
}

static int store_trace(struct kmem_cache *s, long v)
{
	return toggle_debug(s, v, SLAB_TRACE);
}

static int store_shrink(struct kmem_cache *s, long v)
{
	if (v != 1)
		return -EINVAL;
	s->ops->shrink(s, false);
	return 0;
}

static int store_validate(struct kmem_cache *s, long v)
{
	if (v != 1 || !kmem_cache_debug(s))
		return -EINVAL;
	slab_mutex_unlock();
	kmem_cache_validate(s);
	slab_mutex_lock();
	return 0;
}

static const struct attr attrs[] = {
	{ "object_size", "bytes asked for", show_object_size, NULL },
	{ "slab_size", "stride of objects in a slab", show_slab_size, NULL },
	{ "objs_per_slab", "objects in a slab of the current order", show_objs_per_slab, NULL },
	{ "order", "2^order pages per new slab (0..9, at most 32767 slots)", show_order, store_order },
	{ "objects", "objects allocated", show_objects, NULL },
	{ "total_objects", "objects in all slabs", show_total_objects, NULL },
	{ "slabs", "slabs", show_slabs, NULL },
	{ "partial", "slabs on the node partial lists", show_partial, NULL },
	{ "cpu_slabs", "threads holding a cpu slab or sheaves", show_cpu_slabs, NULL },
	{ "slabs_cpu_partial", "slabs on threads' cpu partial lists", show_slabs_cpu_partial, NULL },
	{ "aliases", "caches merged into this one", show_aliases, NULL },
	{ "align", "object alignment", show_align, NULL },
	{ "ctor", "1 if a constructor runs", show_ctor, NULL },
	{ "hwcache_align", "SLAB_HWCACHE_ALIGN", show_hwcache_align, NULL },
	{ "reclaim_account", "SLAB_RECLAIM_ACCOUNT", show_reclaim_account, NULL },
	{ "destroy_by_rcu", "SLAB_TYPESAFE_BY_RCU", show_destroy_by_rcu, NULL },
	{ "allocator", "slub, unified or debug", show_allocator, NULL },
	{ "min_partial", "empty slabs kept per node (0..1000)", show_min_partial, store_min_partial },
	{ "cpu_partial", "slub: objects a thread keeps in cpu partial slabs", show_cpu_partial,
	  store_cpu_partial },
	{ "queue_limit", "unified: sheaf capacity for new sheaves (1..254)", show_queue_limit,
	  store_queue_limit },
	{ "batchcount", "unified: objects per refill or flush (1..queue_limit)", show_batchcount,
	  store_batchcount },
	{ "queued_objects", "unified: free objects in threads' sheaves", show_queued_objects, NULL },
	{ "barn_sheaves", "unified: sheaves waiting in the barns", show_barn_sheaves, NULL },
	{ "barn_full", "unified: full sheaves among them", show_barn_full, NULL },
	{ "sanity_checks", "debug F (write while empty)", show_sanity_checks, store_sanity_checks },
	{ "red_zone", "debug Z (write while empty)", show_red_zone, store_red_zone },
	{ "poison", "debug P (write while empty)", show_poison, store_poison },
	{ "store_user", "debug U (write while empty)", show_store_user, store_store_user },
	{ "trace", "debug T (write while empty)", show_trace, store_trace },
	{ "failslab", "debug A: failslab may fail it (write while empty)", show_failslab,
	  store_failslab },
	{ "shrink", "write 1: free empty slabs and cached sheaves", show_zero, store_shrink },
	{ "validate", "write 1: check every slab (debug caches)", show_zero, store_validate },
};

#define NR_ATTRS (sizeof(attrs) / sizeof(attrs[0]))

static const struct attr *find_attr(const char *name)
{
	for (size_t i = 0; i < NR_ATTRS; i++)
		if (!strcmp(attrs[i].name, name))
			return &attrs[i];
	return NULL;
}

USLAB_API const char *uslab_cache_attr_name(unsigned int i)
{
	return i < NR_ATTRS ? attrs[i].name : NULL;
}

USLAB_API int uslab_cache_attr_writable(const char *attr)
{
	const struct attr *a = attr ? find_attr(attr) : NULL;

	return a ? a->store != NULL : -ENOENT;
}

USLAB_API int uslab_cache_attr_read(struct kmem_cache *s, const char *attr, char *buf, size_t len)
{
	const struct attr *a = attr ? find_attr(attr) : NULL;
	struct uslab_cache_info ci;
	int n;

	if (!s || !buf || !len)
		return -EINVAL;
	if (!a) {
		uslab_reportf("uslab: %s: no attribute \"%s\"\n", s->name, attr ? attr : "(null)");
		return -ENOENT;
	}
	slab_mutex_lock();
	cache_info_locked(s, &ci);
	n = a->show(s, &ci, buf, len);
	slab_mutex_unlock();
	return n;
}

USLAB_API int uslab_cache_attr_write(struct kmem_cache *s, const char *attr, const char *value)
{
	const struct attr *a = attr ? find_attr(attr) : NULL;
	char *end;
	long v;
	int ret;

	if (!s || !value)
		return -EINVAL;
	if (!a) {
		uslab_reportf("uslab: %s: no attribute \"%s\"\n", s->name, attr ? attr : "(null)");
		return -ENOENT;
	}
	if (!a->store) {
		uslab_reportf("uslab: %s: %s is read-only\n", s->name, a->name);
		return -EACCES;
	}
	errno = 0;
	v = strtol(value, &end, 0);
	while (*end == ' ' || *end == '\n')
		end++;
	if (errno || end == value || *end) {
		uslab_reportf("uslab: %s: %s=\"%s\" is not a number\n", s->name, a->name, value);
		return -EINVAL;
	}
	slab_mutex_lock();
	ret = a->store(s, v);
	slab_mutex_unlock();
	if (ret == -EBUSY)
		uslab_reportf("uslab: %s: cannot set %s=%ld: the cache has objects (empty it first)\n",
			      s->name, a->name, v);
	else if (ret)
		uslab_reportf("uslab: %s: cannot set %s=%ld: out of range, or not for a %s cache\n",
			      s->name, a->name, v, kmem_cache_debug(s) ? "debug" : s->ops->name);
	return ret;
}

static struct kmem_cache *find_cache(const char *name)
{
	struct kmem_cache *s, *found = NULL;
	struct kmem_cache_alias *alias;

	slab_mutex_lock();
	list_for_each_entry(s, &slab_caches, list) {
		if (s->dead)
			continue;
		if (!strcmp(s->name, name)) {
			found = s;
			break;
		}
		list_for_each_entry(alias, &s->aliases, list)
			if (!strcmp(alias->name, name))
				found = s;
		if (found)
			break;
	}
	slab_mutex_unlock();
	return found;
}

USLAB_API struct kmem_cache *uslab_cache_find(const char *name)
{
	if (!name)
		return NULL;
	uslab_ensure_init();
	return find_cache(name);
}

/* ------------------------------------------------------------ USLAB_TUNE */

#define MAX_TUNE_RULES 32

struct tune_rule {
	char cache[64];
	char attr[32];
	char value[32];
};

spinlock_t tune_lock = SPINLOCK_INIT(LOCK_RANK_TUNE);
static struct tune_rule tune_rules[MAX_TUNE_RULES];
static int nr_tune_rules;

static int copy_field(char *dst, size_t len, const char *src, size_t n)
{
	if (!n || n >= len)
		return -1;
	memcpy(dst, src, n);
	dst[n] = 0;
	return 0;
}

/* Applies the rules for a cache of this name (slab_mutex not held). */
void tune_apply(struct kmem_cache *s, const char *name)
{
	struct tune_rule rules[MAX_TUNE_RULES];
	int n = 0;

	spin_lock(&tune_lock);
	for (int i = 0; i < nr_tune_rules; i++)
		if (!strcmp(tune_rules[i].cache, name))
			rules[n++] = tune_rules[i];
	spin_unlock(&tune_lock);
	for (int i = 0; i < n; i++)
		uslab_cache_attr_write(s, rules[i].attr, rules[i].value);
}

static int tune_parse(const char *spec)
{
	const char *p = spec;
	int ret = 0;

	while (*p) {
		const char *end = strchr(p, ';'), *colon;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char cache[64];

		colon = memchr(p, ':', len);
		if (!colon || copy_field(cache, sizeof(cache), p, (size_t)(colon - p))) {
			uslab_reportf("uslab: USLAB_TUNE: \"%.*s\" is not cache:attr=value,...\n",
				      (int)len, p);
			ret = -EINVAL;
		} else {
			const char *q = colon + 1, *stop = p + len;

			while (q < stop) {
				const char *next = memchr(q, ',', (size_t)(stop - q)), *eq;
				size_t n = next ? (size_t)(next - q) : (size_t)(stop - q);
				struct tune_rule r;
				struct kmem_cache *s;

				eq = memchr(q, '=', n);
				memset(&r, 0, sizeof(r));
				if (!eq || copy_field(r.attr, sizeof(r.attr), q, (size_t)(eq - q)) ||
				    copy_field(r.value, sizeof(r.value), eq + 1, (size_t)(q + n - eq - 1))) {
					uslab_reportf("uslab: USLAB_TUNE: \"%.*s\" is not attr=value\n",
						      (int)n, q);
					ret = -EINVAL;
				} else if (uslab_cache_attr_writable(r.attr) != 1) {
					uslab_reportf("uslab: USLAB_TUNE: %s: no writable attribute \"%s\"\n",
						      cache, r.attr);
					ret = -EINVAL;
				} else {
					strcpy(r.cache, cache);
					spin_lock(&tune_lock);
					if (nr_tune_rules < MAX_TUNE_RULES)
						tune_rules[nr_tune_rules++] = r;
					spin_unlock(&tune_lock);
					/* Now for a cache that exists, at creation for the rest. */
					s = find_cache(cache);
					if (s && uslab_cache_attr_write(s, r.attr, r.value))
						ret = -EINVAL;
				}
				q = next ? next + 1 : stop;
			}
		}
		p = end ? end + 1 : p + len;
	}
	return ret;
}

USLAB_API int uslab_tune(const char *spec)
{
	if (!spec)
		return -EINVAL;
	uslab_ensure_init();
	return tune_parse(spec);
}

void tunables_init(void)
{
	const char *spec = getenv("USLAB_TUNE");

	if (spec && *spec)
		tune_parse(spec);
}
