/*
 * fault_attr.c - fault injection as the kernel's lib/fault-inject.c: the
 * knobs of /sys/kernel/debug/failslab/ and .../fail_page_alloc/
 * (probability, interval, times, space, verbose, ignore-gfp-wait,
 * cache-filter, min-order) and should_fail(), which applies them.
 *
 * The kernel's defaults: probability 0 (off), interval 1, times 1,
 * space 0, ignore-gfp-wait on (calls that may block are spared),
 * min-order 1 for fail_page_alloc.  Verbose is 0 here (the kernel's 2
 * prints a stack per failure; a report sink gets one line instead).
 * failslab's cache-filter is always 1: only caches marked failslab (the
 * A debug letter, SLAB_FAILSLAB, the failslab attribute) are failed, so
 * that no other cache's fast path carries a test.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"
#include "base/fault_attr.h"
#include "base/random.h"
#include "base/report.h"
#include "base/types.h"

struct fault_attr failslab_attr = {
	.name = "failslab", .interval = 1, .times = 1, .ignore_gfp_wait = 1,
};
struct fault_attr fail_page_alloc_attr = {
	.name = "fail_page_alloc", .interval = 1, .times = 1, .ignore_gfp_wait = 1, .min_order = 1,
};

bool should_fail(struct fault_attr *attr, size_t size, bool nowarn)
{
	long times = __atomic_load_n(&attr->times, __ATOMIC_RELAXED);
	long space, interval, probability;

	if (times == 0 || (probability = __atomic_load_n(&attr->probability, __ATOMIC_RELAXED)) <= 0)
		return false;
	space = __atomic_load_n(&attr->space, __ATOMIC_RELAXED);
	if (space > (long)size) {
		__atomic_sub_fetch(&attr->space, (long)size, __ATOMIC_RELAXED);
		return false;
	}
	interval = __atomic_load_n(&attr->interval, __ATOMIC_RELAXED);
	if (interval > 1 &&
	    __atomic_add_fetch(&attr->count, 1, __ATOMIC_RELAXED) % (unsigned long)interval)
		return false;
	if (probability < 100 && (long)(uslab_random64() % 100) >= probability)
		return false;
	/* A limited count: take one failure, or none when another thread
	 * took the last. */
	while (times != -1) {
		if (times <= 0)
			return false;
		if (__atomic_compare_exchange_n(&attr->times, &times, times - 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
	}
	__atomic_add_fetch(&attr->failures, 1, __ATOMIC_RELAXED);
	if (!nowarn && __atomic_load_n(&attr->verbose, __ATOMIC_RELAXED))
		uslab_reportf("FAULT_INJECTION: forcing a failure.\n"
			      "name %s, interval %ld, probability %ld, space %ld, times %ld\n",
			      attr->name, interval, probability,
			      __atomic_load_n(&attr->space, __ATOMIC_RELAXED),
			      __atomic_load_n(&attr->times, __ATOMIC_RELAXED));
	return true;
}

static struct fault_attr *fault_attr_find(const char *which)
{
	if (which && !strcmp(which, "failslab"))
		return &failslab_attr;
	if (which && !strcmp(which, "fail_page_alloc"))
		return &fail_page_alloc_attr;
	return NULL;
}

/* The knob's field; NULL for cache-filter (a constant) and unknown ones. */
static long *fault_attr_knob(struct fault_attr *attr, const char *knob, long *lo, long *hi)
{
	static const struct { const char *name; size_t off; long lo, hi; bool page_only; } knobs[] = {
		{ "probability", offsetof(struct fault_attr, probability), 0, 100, false },
		{ "interval", offsetof(struct fault_attr, interval), 1, __LONG_MAX__, false },
		{ "times", offsetof(struct fault_attr, times), -1, __LONG_MAX__, false },
		{ "space", offsetof(struct fault_attr, space), 0, __LONG_MAX__, false },
		{ "verbose", offsetof(struct fault_attr, verbose), 0, 2, false },
		{ "ignore-gfp-wait", offsetof(struct fault_attr, ignore_gfp_wait), 0, 1, false },
		{ "min-order", offsetof(struct fault_attr, min_order), 0, 30, true },
	};

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (!strcmp(knob, knobs[i].name)) {
			if (knobs[i].page_only && attr != &fail_page_alloc_attr)
				return NULL;
			*lo = knobs[i].lo;
			*hi = knobs[i].hi;
			return (long *)((char *)attr + knobs[i].off);
		}
	return NULL;
}

static int fault_attr_set(struct fault_attr *attr, const char *knob, long value, bool report)
{
	long lo, hi, *field;

	if (attr == &failslab_attr && !strcmp(knob, "cache-filter")) {
		if (value == 1)
			return 0;
		if (report)
			uslab_reportf("uslab: failslab/cache-filter is always 1: failslab fails the "
				      "caches marked for it (USLAB_DEBUG=A for all of them)\n");
		return -EINVAL;
	}
	field = fault_attr_knob(attr, knob, &lo, &hi);
	if (!field) {
		if (report)
			uslab_reportf("uslab: %s has no knob \"%s\"\n", attr->name, knob);
		return -ENOENT;
	}
	if (value < lo || value > hi) {
		if (report)
			uslab_reportf("uslab: %s/%s: %ld is not in %ld..%ld\n", attr->name, knob,
				      value, lo, hi);
		return -EINVAL;
	}
	/* A new count starts with a new interval. */
	if (field == &attr->interval)
		__atomic_store_n(&attr->count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(field, value, __ATOMIC_RELAXED);
	return 0;
}

USLAB_API int uslab_fault_attr_write(const char *which, const char *knob, long value)
{
	struct fault_attr *attr = fault_attr_find(which);

	if (!attr || !knob) {
		uslab_reportf("uslab: no fault injection \"%s\" (failslab, fail_page_alloc)\n",
			      which ? which : "(null)");
		return -ENOENT;
	}
	return fault_attr_set(attr, knob, value, true);
}

USLAB_API int uslab_fault_attr_read(const char *which, const char *knob, long *value)
{
	struct fault_attr *attr = fault_attr_find(which);
	long lo, hi, *field;

	if (!attr || !knob || !value)
		return -ENOENT;
	if (attr == &failslab_attr && !strcmp(knob, "cache-filter")) {
		*value = 1;
		return 0;
	}
	if (!strcmp(knob, "failures")) {
		*value = (long)__atomic_load_n(&attr->failures, __ATOMIC_RELAXED);
		return 0;
	}
	field = fault_attr_knob(attr, knob, &lo, &hi);
	if (!field)
		return -ENOENT;
	*value = __atomic_load_n(field, __ATOMIC_RELAXED);
	return 0;
}

int fault_attr_parse(struct fault_attr *attr, const char *spec, const char *what)
{
	struct { char knob[32]; long value; } set[16];
	int n = 0;
	const char *p = spec;

	/* Checked whole before anything is set. */
	while (*p) {
		const char *eq = strchr(p, '='), *end = strchr(p, ',');
		char *num_end;
		size_t len;
		long lo, hi;

		if (!end)
			end = p + strlen(p);
		if (!eq || eq > end || (len = (size_t)(eq - p)) == 0 || len >= sizeof(set[0].knob) ||
		    n == 16)
			goto bad;
		memcpy(set[n].knob, p, len);
		set[n].knob[len] = 0;
		set[n].value = strtol(eq + 1, &num_end, 0);
		if (num_end == eq + 1 || num_end != end)
			goto bad;
		if (strcmp(set[n].knob, "cache-filter") || attr != &failslab_attr) {
			long *field = fault_attr_knob(attr, set[n].knob, &lo, &hi);

			if (!field || set[n].value < lo || set[n].value > hi)
				goto bad;
		} else if (set[n].value != 1) {
			goto bad;
		}
		n++;
		p = *end ? end + 1 : end;
	}
	for (int i = 0; i < n; i++)
		fault_attr_set(attr, set[i].knob, set[i].value, false);
	return 0;
bad:
	uslab_reportf("uslab: %s=\"%s\": not knob=value,... of %s (probability, interval, times, "
		      "space, verbose, ignore-gfp-wait%s); ignored\n", what, spec, attr->name,
		      attr == &fail_page_alloc_attr ? ", min-order" : ", cache-filter=1");
	return -1;
}
