/*
 * debug_options.c - USLAB_DEBUG, in the syntax of the kernel's slub_debug=,
 * and the failslab setting of A caches (knobs: base/fault_attr.c; the
 * environment's USLAB_FAILSLAB and USLAB_FAIL_PAGE_ALLOC are read here).
 *
 *   USLAB_DEBUG="FZ;P,conn,kmalloc-*;-,noisy"
 *
 * Blocks are separated by ';'.  A block without names sets the flags of
 * every cache; a block with names (',' separated, a trailing '*' matches
 * a prefix) sets the flags of those caches, the last matching block
 * winning.  No letters means FZPU; '-' means none.  The rules live in
 * static storage: they are parsed before any cache (kmalloc included)
 * exists.  rules_lock guards them after init.
 */
#include <stdlib.h>
#include <string.h>

#include "base/fault_attr.h"
#include "base/report.h"
#include "base/sanitizer.h"
#include "base/start.h"
#include "debug/debug.h"

#define MAX_RULES 32
#define MAX_RULE_NAME 64
#define SLAB_DEBUG_O 0x40000000u   /* only in the rules: O */

#define DEBUG_DEFAULT_FLAGS (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
			     SLAB_STORE_USER)

struct debug_rule {
	char name[MAX_RULE_NAME];
	bool prefix;             /* name ended in '*' */
	slab_flags_t flags;
};

spinlock_t rules_lock = SPINLOCK_INIT(LOCK_RANK_RULES);
static slab_flags_t global_flags;
static struct debug_rule rules[MAX_RULES];
static int nr_rules;
static bool disable_higher_order;

/* Letters of one block; returns false when some letter is unknown. */
static bool parse_letters(const char *s, size_t len, slab_flags_t *out)
{
	slab_flags_t flags = 0;
	bool ok = true;

	if (len == 0) {
		*out = DEBUG_DEFAULT_FLAGS;
		return true;
	}
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '-': flags = 0; break;
		case 'F': case 'f': flags |= SLAB_CONSISTENCY_CHECKS; break;
		case 'Z': case 'z': flags |= SLAB_RED_ZONE; break;
		case 'P': case 'p': flags |= SLAB_POISON; break;
		case 'U': case 'u': flags |= SLAB_STORE_USER; break;
		case 'T': case 't': flags |= SLAB_TRACE; break;
		case 'A': case 'a': flags |= SLAB_FAILSLAB; break;
		case 'O': case 'o': flags |= SLAB_DEBUG_O; break;
		case ' ': break;
		default:
			uslab_reportf("uslab: USLAB_DEBUG option '%c' unknown, skipped\n", s[i]);
			ok = false;
		}
	}
	*out = flags;
	return ok;
}

static int parse_debug_string(const char *text)
{
	const char *p = text;
	int ret = 0;

	global_flags = 0;
	nr_rules = 0;
	disable_higher_order = false;
	if (!text || !*text)
		return 0;
	while (*p) {
		const char *end = strchr(p, ';'), *comma;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		slab_flags_t flags;

		comma = memchr(p, ',', len);
		if (!parse_letters(p, comma ? (size_t)(comma - p) : len, &flags))
			ret = -1;
		if (flags & SLAB_DEBUG_O) {
			disable_higher_order = true;
			flags &= ~SLAB_DEBUG_O;
		}
		if (!comma) {
			global_flags = flags;
		} else {
			const char *name = comma + 1, *stop = p + len;

			while (name < stop) {
				const char *next = memchr(name, ',', (size_t)(stop - name));
				size_t n = next ? (size_t)(next - name) : (size_t)(stop - name);
				struct debug_rule *r;

				if (n && nr_rules < MAX_RULES && n < MAX_RULE_NAME) {
					r = &rules[nr_rules++];
					memcpy(r->name, name, n);
					r->name[n] = 0;
					r->prefix = r->name[n - 1] == '*';
					if (r->prefix)
						r->name[n - 1] = 0;
					r->flags = flags;
				} else if (n) {
					uslab_reportf("uslab: USLAB_DEBUG: cache name list too long, '%.*s' skipped\n",
						      (int)n, name);
					ret = -1;
				}
				name = next ? next + 1 : stop;
			}
		}
		p = end ? end + 1 : p + len;
	}
	return ret;
}

void debug_options_init(void)
{
	const char *failslab = getenv("USLAB_FAILSLAB");
	const char *page_fail = getenv("USLAB_FAIL_PAGE_ALLOC");

	slab_set_debug_hooks(&debug_slab_hooks);
	parse_debug_string(getenv("USLAB_DEBUG"));
	if (getenv("USLAB_FAILSLAB_IGNORE_GFP_WAIT"))
		uslab_failslab_ignore_gfp_wait(atoi(getenv("USLAB_FAILSLAB_IGNORE_GFP_WAIT")));
	if (failslab && strchr(failslab, '=')) {
		fault_attr_parse(&failslab_attr, failslab, "USLAB_FAILSLAB");
	} else if (failslab && *failslab) {
		char *end;
		unsigned long interval = strtoul(failslab, &end, 0);
		long times = -1;

		if (*end == ',')
			times = strtol(end + 1, &end, 0);
		/* strtoul takes "-1" as ULONG_MAX: a sign is refused. */
		if (*end || strchr(failslab, '-') || times < -1)
			uslab_reportf("uslab: USLAB_FAILSLAB=\"%s\" is not \"interval[,times]\" "
				      "or \"knob=value,...\"; ignored\n", failslab);
		else
			uslab_failslab(interval, times);
	}
	if (page_fail && *page_fail)
		fault_attr_parse(&fail_page_alloc_attr, page_fail, "USLAB_FAIL_PAGE_ALLOC");
}

slab_flags_t debug_flags_for(const char *name)
{
	slab_flags_t flags;

	spin_lock(&rules_lock);
	flags = global_flags;
	for (int i = 0; i < nr_rules; i++) {
		const struct debug_rule *r = &rules[i];

		if (r->prefix ? !strncmp(name, r->name, strlen(r->name)) : !strcmp(name, r->name))
			flags = r->flags;
	}
	spin_unlock(&rules_lock);
	if (running_on_valgrind())
		flags |= __SLAB_TOOL;
	return flags;
}

bool debug_disable_higher_order(void)
{
	return READ_ONCE(disable_higher_order);
}

USLAB_API int uslab_debug_config(const char *slub_debug)
{
	int ret;

	uslab_ensure_init();
	spin_lock(&rules_lock);
	ret = parse_debug_string(slub_debug);
	spin_unlock(&rules_lock);
	return ret;
}

/* ------------------------------------------------------------ failslab */

/* failslab's knobs are base/fault_attr.c's; this is the old pair. */
USLAB_API void uslab_failslab_ignore_gfp_wait(int ignore)
{
	__atomic_store_n(&failslab_attr.ignore_gfp_wait, (long)!!ignore, __ATOMIC_RELAXED);
}

USLAB_API void uslab_failslab(unsigned long interval, long times)
{
	struct fault_attr *a = &failslab_attr;

	__atomic_store_n(&a->probability, 0L, __ATOMIC_RELAXED);
	__atomic_store_n(&a->count, 0UL, __ATOMIC_RELAXED);
	__atomic_store_n(&a->space, 0L, __ATOMIC_RELAXED);
	__atomic_store_n(&a->times, times < -1 ? -1 : times, __ATOMIC_RELAXED);
	__atomic_store_n(&a->interval, interval > __LONG_MAX__ ? __LONG_MAX__ : (long)interval,
			 __ATOMIC_RELAXED);
	if (interval)
		__atomic_store_n(&a->probability, 100L, __ATOMIC_RELAXED);
}

/* The thread is inside a cache's should-fail callback: its own
 * allocations are not asked again. */
static __thread bool in_should_fail;

bool should_failslab(struct kmem_cache *s, gfp_t gfpflags)
{
	struct cache_fault *f;
	bool fail;

	if (!(s->flags & SLAB_FAILSLAB) || (gfpflags & __GFP_NOFAIL))
		return false;
	f = __atomic_load_n(&s->fault, __ATOMIC_ACQUIRE);
	if (f && f->should_fail) {
		if (in_should_fail)
			return false;
		in_should_fail = true;
		fail = f->should_fail(s, gfpflags, f->ctx);
		in_should_fail = false;
		return fail;
	}
	if (!fault_attr_armed(&failslab_attr))
		return false;
	if ((gfpflags & __GFP_DIRECT_RECLAIM) &&
	    __atomic_load_n(&failslab_attr.ignore_gfp_wait, __ATOMIC_RELAXED))
		return false;
	return should_fail(&failslab_attr, s->object_size, gfpflags & __GFP_NOWARN);
}
