/*
 * slab_errors.c - the reports for bad input that the non-debug paths can
 * detect cheaply: double frees of the last freed object, pointers that are
 * not objects, objects freed to the wrong cache, pointers uslab never
 * handed out, and memory running out.
 *
 * Each report follows SLUB's form: a rule, "BUG <cache> (<who>): <what>",
 * a rule, INFO lines, and "FIX <cache>: <what was done>".  In every case
 * nothing is freed and the program goes on.  The BUG and FIX lines of
 * every report, the debug caches' (debug/) included, are written here.
 */
#include <errno.h>

#include <stdio.h>

#include "core/object.h"
#include "base/os.h"
#include "base/report.h"

static int tainted;
__thread unsigned long debug_problems;

static const char rule_eq[] =
	"=============================================================================\n";
static const char rule_dash[] =
	"-----------------------------------------------------------------------------\n";

static void vreport_line(struct report_buf *r, const char *head, const char *name,
			 const char *fmt, va_list ap)
{
	char what[256];

	vsnprintf(what, sizeof(what), fmt, ap);
	if (head)
		report_add(r, "%sBUG %s (%s): %s\n%s\n", rule_eq, name,
			   __atomic_exchange_n(&tainted, 1, __ATOMIC_RELAXED) ? "Tainted: B" :
										"Not tainted",
			   what, rule_dash);
	else
		report_add(r, "FIX %s: %s\n\n", name, what);
}

void report_bug(struct report_buf *r, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_line(r, "BUG", name, fmt, ap);
	va_end(ap);
	debug_problems++;
}

void report_fix(struct report_buf *r, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_line(r, NULL, name, fmt, ap);
	va_end(ap);
}

void slab_bug(struct report_buf *r, struct kmem_cache *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_line(r, "BUG", s->name, fmt, ap);
	va_end(ap);
	debug_problems++;
}

void slab_fix(struct report_buf *r, struct kmem_cache *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_line(r, NULL, s->name, fmt, ap);
	va_end(ap);
}

void print_slab_info(struct report_buf *r, struct slab *slab)
{
	union slab_counters cnt = { .counters = READ_ONCE(slab->counters) };

	report_add(r, "INFO: Slab %p objects=%u used=%u fp=%p flags=0x%x\n",
		   slab_address(slab), cnt.objects, cnt.inuse, READ_ONCE(slab->freelist),
		   cnt.frozen | (slab->on_partial << 1) | (slab->on_full << 2));
}

static void bug_begin(struct report_buf *r, const char *cache, const char *what)
{
	report_init(r);
	report_bug(r, cache, "%s", what);
}

static void info_slab(struct report_buf *r, struct kmem_cache *s, struct slab *slab,
		      const void *object)
{
	union slab_counters cnt = { .counters = READ_ONCE(slab->counters) };
	const char *base = slab_address(slab);

	/* A unified slab's first word is its bitmap, not a free pointer. */
	if (s->flags & SLAB_UNIFIED)
		report_add(r, "INFO: Slab %p objects=%u used=%u\n", (const void *)base,
			   cnt.objects, cnt.inuse);
	else
		report_add(r, "INFO: Slab %p objects=%u used=%u fp=%p frozen=%u\n",
			   (const void *)base, cnt.objects, cnt.inuse, READ_ONCE(slab->freelist),
			   cnt.frozen);
	report_add(r, "INFO: Object %p @offset=%zu size=%u (slot %u bytes) thread=%d\n",
		   object, (size_t)((const char *)object - base), s->object_size, s->size,
		   (int)os_gettid());
}

void slab_bug_double_free(struct kmem_cache *s, struct slab *slab, const void *object)
{
	struct report_buf r;
	char what[160];

	snprintf(what, sizeof(what), "Object already free: %p", object);
	bug_begin(&r, s->name, what);
	info_slab(&r, s, slab, object);
	report_add(&r, "\n");
	report_fix(&r, s->name, "Object not freed again; freelist intact");
	report_emit(&r);
}

void slab_bug_bad_pointer(struct kmem_cache *s, const void *object, const char *caller,
			  const char *what)
{
	struct report_buf r;
	char line[200];
	struct slab *slab = virt_to_slab(object);

	snprintf(line, sizeof(line), "Invalid object pointer %p in %s: %s", object, caller, what);
	bug_begin(&r, s->name, line);
	info_slab(&r, s, slab, object);
	report_add(&r, "\n");
	report_fix(&r, s->name, "Object not freed");
	report_emit(&r);
}

void slab_bug_wrong_cache(struct kmem_cache *s, struct slab *slab, const void *object)
{
	struct report_buf r;
	char line[200];
	struct kmem_cache *owner = slab->slab_cache;

	if (!owner) {
		bug_foreign_pointer(object, "kmem_cache_free", "not an object of any slab cache");
		return;
	}
	snprintf(line, sizeof(line), "Wrong slab cache. %s but object is from %s", s->name,
		 owner->name);
	bug_begin(&r, s->name, line);
	info_slab(&r, owner, slab, object);
	report_add(&r, "\n");
	report_fix(&r, s->name, "Object not freed");
	report_emit(&r);
}

void bug_unmapped_pointer(const void *object, const char *caller)
{
	bug_foreign_pointer(object, caller, segment_in_huge_tail(object) ?
			    "pointer inside a large object, not its start" :
			    "not allocated by uslab");
}

void bug_foreign_pointer(const void *object, const char *caller, const char *what)
{
	struct report_buf r;
	char line[200];

	/* ksize and krealloc look the pointer up; the rest free it. */
	snprintf(line, sizeof(line), strstr(caller, "free") ? "Invalid free of %p in %s: %s" :
		 "Invalid pointer %p in %s: %s", object, caller, what);
	bug_begin(&r, "uslab", line);
	report_add(&r, "INFO: thread=%d\n\n", (int)os_gettid());
	report_fix(&r, "uslab", "Pointer ignored");
	report_emit(&r);
}

/*
 * The kernel's allocation-failure warning, in its form: the first failure
 * of each cache is printed, later ones within a rate limit shared by all
 * (10 per 5 s); never with __GFP_NOWARN.  Free objects are the cache's,
 * counted once (on its node line when it has one node).
 */
void slab_out_of_memory(struct kmem_cache *s, gfp_t gfpflags, int nid)
{
	static struct ratelimit rl;
	struct report_buf r;
	uint64_t st[USLAB_NR_STATS];
	unsigned long total = 0;
	long active, free_objs;
	char names[256];

	/* As malloc does: the caller of an allocation that fails may ask. */
	errno = ENOMEM;
	if (gfpflags & __GFP_NOWARN)
		return;
	if (__atomic_exchange_n(&s->oom_warned, true, __ATOMIC_RELAXED) &&
	    !report_ratelimit(&rl, 10))
		return;
	cache_stats_sum(s, st);
	active = (long)(st[ALLOC_FASTPATH] + st[ALLOC_SLOWPATH]) -
		 (long)(st[FREE_FASTPATH] + st[FREE_SLOWPATH]);
	for (unsigned int i = 0; i < s->nr_nodes; i++)
		total += __atomic_load_n(&get_node(s, (int)i)->total_objects, __ATOMIC_RELAXED);
	free_objs = (long)total - active;
	report_init(&r);
	report_add(&r, "SLUB: Unable to allocate memory on node %d, gfp=%#x(%s)\n", nid, gfpflags,
		   report_gfp_names(gfpflags, names, sizeof(names)));
	report_add(&r, "  cache: %s, object size: %u, buffer size: %u, default order: %u, min order: %u\n",
		   s->name, s->object_size, s->size, s->oo.order, s->min.order);
	if (kmem_cache_debug(s) && s->min.order > 0 &&
	    (PAGE_SIZE << (s->min.order - 1)) >= s->object_size)
		report_add(&r, "  %s debugging increased min order, use slab_debug=O to disable.\n",
			   s->name);
	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		struct kmem_cache_node *n = get_node(s, (int)i);

		report_add(&r, "  node %u: slabs: %lu, objs: %lu", i,
			   __atomic_load_n(&n->nr_slabs, __ATOMIC_RELAXED),
			   __atomic_load_n(&n->total_objects, __ATOMIC_RELAXED));
		if (s->nr_nodes == 1)
			report_add(&r, ", free: %ld", free_objs > 0 ? free_objs : 0);
		report_add(&r, "\n");
	}
	if (s->nr_nodes > 1)
		report_add(&r, "  all nodes: free: %ld\n", free_objs > 0 ? free_objs : 0);
	report_emit(&r);
}
