/*
 * options.c - the table of options and its environment parsing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/options.h"
#include "base/report.h"
#include "base/start.h"

bool malloc_replacement;

struct option_desc {
	const char *name;      /* also the environment variable */
	long def, min, max;
	const char *description;
};

static const struct option_desc option_table[USLAB_OPT_COUNT] = {
	[USLAB_OPT_NOMERGE] = { "USLAB_NOMERGE", 0, 0, 1,
		"1: never merge a new cache into an existing compatible one" },
	[USLAB_OPT_MIN_ORDER] = { "USLAB_MIN_ORDER", 0, 0, PAGE_ALLOC_MAX_ORDER,
		"smallest order (2^order pages) of a slab" },
	[USLAB_OPT_MAX_ORDER] = { "USLAB_MAX_ORDER", 3, 0, PAGE_ALLOC_MAX_ORDER,
		"largest order tried first when sizing slabs" },
	[USLAB_OPT_MIN_OBJECTS] = { "USLAB_MIN_OBJECTS", 0, 0, MAX_OBJS_PER_SLAB,
		"objects a slab should hold (0: 4 * (fls(cpus) + 1))" },
	[USLAB_OPT_NO_CMPXCHG_DOUBLE] = { "USLAB_NO_CMPXCHG_DOUBLE", 0, 0, 1,
		"1: use the per-slab lock instead of the double-word cmpxchg" },
	[USLAB_OPT_PURGE_DELAY_MS] = { "USLAB_PURGE_DELAY_MS", 100, -1, 3600000,
		"ms a free page stays resident before going back to the OS (-1 never)" },
	[USLAB_OPT_STATS] = { "USLAB_STATS", 0, 0, 3,
		"report at exit: 1/slabinfo, 2/slubinfo, 3/raw (USLAB_STATS_FILE: where)" },
	[USLAB_OPT_FREELIST_HARDENED] = { "USLAB_FREELIST_HARDENED", 0, 0, 1,
		"1: free pointers stored XOR a per-cache key and their address, checked on use" },
	[USLAB_OPT_RANDOM_FREELIST] = { "USLAB_RANDOM_FREELIST", 0, 0, 1,
		"1: new slabs hand out their objects in a random order" },
	[USLAB_OPT_INIT_ON_ALLOC] = { "USLAB_INIT_ON_ALLOC", 0, 0, 1,
		"1: objects are zeroed when allocated" },
	[USLAB_OPT_INIT_ON_FREE] = { "USLAB_INIT_ON_FREE", 0, 0, 1,
		"1: objects are zeroed when freed" },
	[USLAB_OPT_ALLOCATOR] = { "USLAB_ALLOCATOR", 0, 0, 1,
		"personality of caches without SLAB_SLUB/SLAB_UNIFIED: slub (0) or unified (1)" },
	[USLAB_OPT_BACKGROUND_PURGE] = { "USLAB_BACKGROUND_PURGE", 0, 0, 1,
		"1: a thread gives free pages back once the purge delay has passed (malloc replacement: on)" },
	[USLAB_OPT_SEGMENT_GUARDS] = { "USLAB_SEGMENT_GUARDS", 1, 0, 1,
		"0: no PROT_NONE pages around segment descriptors (a quarter of the mappings: for heaps beyond 64 GiB)" },
	[USLAB_OPT_CPU_MODE] = { "USLAB_CPU_MODE", 2, 0, 2,
		"per-thread caches (thread/0), per-CPU caches through rseq (cpu/1), cpu where the machine allows it (auto/2)" },
};

/* What makes a change take effect, for the options that need more than
 * the store (set by the layer that owns the option). */
static int (*option_apply[USLAB_OPT_COUNT])(long value);

void options_set_apply(enum uslab_option opt, int (*apply)(long value))
{
	option_apply[opt] = apply;
}

long uslab_options[USLAB_OPT_COUNT];

static bool parse_value(enum uslab_option o, const char *s, long *out)
{
	char *end;
	long v;

	if (o == USLAB_OPT_ALLOCATOR) {
		if (!strcasecmp(s, "slub")) {
			*out = 0;
			return true;
		}
		if (!strcasecmp(s, "unified")) {
			*out = 1;
			return true;
		}
	}
	if (o == USLAB_OPT_CPU_MODE) {
		static const char *const names[] = { "thread", "cpu", "auto" };

		for (int i = 0; i < 3; i++) {
			if (!strcasecmp(s, names[i])) {
				*out = i;
				return true;
			}
		}
	}
	if (o == USLAB_OPT_STATS) {
		if (!strcasecmp(s, "slabinfo") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) {
			*out = USLAB_REPORT_SLABINFO;
			return true;
		}
		if (!strcasecmp(s, "slubinfo")) {
			*out = USLAB_REPORT_SLUBINFO;
			return true;
		}
		if (!strcasecmp(s, "raw")) {
			*out = USLAB_REPORT_RAW;
			return true;
		}
	}
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

void options_init(void)
{
	for (int o = 0; o < USLAB_OPT_COUNT; o++) {
		const struct option_desc *d = &option_table[o];
		const char *env = getenv(d->name);
		long v = d->def;

		if (env && *env) {
			if (!parse_value((enum uslab_option)o, env, &v) || v < d->min || v > d->max) {
				uslab_reportf("uslab: %s=\"%s\" is not valid (%ld..%ld: %s); using %ld\n",
					      d->name, env, d->min, d->max, d->description, d->def);
				v = d->def;
			}
		}
		uslab_options[o] = v;
	}
}

USLAB_API long uslab_option_get(enum uslab_option opt)
{
	uslab_ensure_init();
	if ((unsigned)opt >= USLAB_OPT_COUNT)
		return -1;
	return uslab_opt(opt);
}

USLAB_API int uslab_option_set(enum uslab_option opt, long value)
{
	const struct option_desc *d;

	uslab_ensure_init();
	if ((unsigned)opt >= USLAB_OPT_COUNT) {
		uslab_reportf("uslab: uslab_option_set: unknown option %d\n", (int)opt);
		return -1;
	}
	d = &option_table[opt];
	if (value < d->min || value > d->max) {
		uslab_reportf("uslab: uslab_option_set: %s=%ld out of range %ld..%ld\n",
			      d->name, value, d->min, d->max);
		return -1;
	}
	if (option_apply[opt] && option_apply[opt](value))
		return -1;
	WRITE_ONCE(uslab_options[opt], value);
	return 0;
}

USLAB_API const char *uslab_option_name(enum uslab_option opt)
{
	if ((unsigned)opt >= USLAB_OPT_COUNT)
		return NULL;
	return option_table[opt].name;
}
