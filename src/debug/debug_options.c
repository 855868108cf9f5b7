/*
 * debug_options.c - USLAB_DEBUG, in the syntax of the kernel's slub_debug=,
 * and the failslab setting of A caches.
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

	slab_set_debug_hooks(&debug_slab_hooks);
	parse_debug_string(getenv("USLAB_DEBUG"));
	if (getenv("USLAB_FAILSLAB_IGNORE_GFP_WAIT"))
		uslab_failslab_ignore_gfp_wait(atoi(getenv("USLAB_FAILSLAB_IGNORE_GFP_WAIT")));
	if (failslab && *failslab) {
		char *end;
		unsigned long interval = strtoul(failslab, &end, 0);
		long times = -1;

		if (*end == ',')
			times = strtol(end + 1, &end, 0);
		/* strtoul takes "-1" as ULONG_MAX: a sign is refused. */
		if (*end || strchr(failslab, '-') || times < -1)
			uslab_reportf("uslab: USLAB_FAILSLAB=\"%s\" is not \"interval[,times]\"; ignored\n",
				      failslab);
		else
			uslab_failslab(interval, times);
	}
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

static unsigned long failslab_interval, failslab_count, failslab_failed;
static long failslab_times = -1;
/* The kernel's failslab/ignore-gfp-wait, on by default: allocations that
 * may block (__GFP_DIRECT_RECLAIM) are not failed. */
static int failslab_ignore_gfp_wait = 1;

USLAB_API void uslab_failslab_ignore_gfp_wait(int ignore)
{
	__atomic_store_n(&failslab_ignore_gfp_wait, !!ignore, __ATOMIC_RELAXED);
}

USLAB_API void uslab_failslab(unsigned long interval, long times)
{
	__atomic_store_n(&failslab_count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&failslab_failed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&failslab_times, times, __ATOMIC_RELAXED);
	__atomic_store_n(&failslab_interval, interval, __ATOMIC_RELEASE);
}

bool should_failslab(struct kmem_cache *s, gfp_t gfpflags)
{
	unsigned long interval = __atomic_load_n(&failslab_interval, __ATOMIC_ACQUIRE);
	long times = __atomic_load_n(&failslab_times, __ATOMIC_RELAXED);

	if (!(s->flags & SLAB_FAILSLAB) || !interval)
		return false;
	if (gfpflags & __GFP_NOFAIL)
		return false;
	if ((gfpflags & __GFP_DIRECT_RECLAIM) &&
	    __atomic_load_n(&failslab_ignore_gfp_wait, __ATOMIC_RELAXED))
		return false;
	if (__atomic_add_fetch(&failslab_count, 1, __ATOMIC_RELAXED) % interval)
		return false;
	if (times >= 0 &&
	    __atomic_add_fetch(&failslab_failed, 1, __ATOMIC_RELAXED) > (unsigned long)times)
		return false;
	return true;
}
