/*
 * fault_attr.h - the kernel's fault-injection attributes (lib/fault-inject.c):
 * one set of knobs per kind of failure, failslab (debug/: A caches) and
 * fail_page_alloc (page/: the root page allocator), and the one decision
 * both ask: should this call fail?
 */
#ifndef USLAB_FAULT_ATTR_H
#define USLAB_FAULT_ATTR_H

#include <stdbool.h>
#include <stddef.h>

/* Every field is read and written with atomics: the knobs may change
 * while other threads allocate. */
struct fault_attr {
	const char *name;            /* "failslab", "fail_page_alloc" */
	long probability;            /* percent of eligible calls; 0: off */
	long interval;               /* only every interval-th (above 1) */
	long times;                  /* failures left; -1: no limit */
	long space;                  /* bytes let through before any failure */
	long verbose;                /* 1: a report line per failure */
	long ignore_gfp_wait;        /* spare calls that may block */
	long min_order;              /* fail_page_alloc: smaller orders spared */
	unsigned long count;         /* calls that reached the interval test */
	unsigned long failures;      /* failures injected */
};

extern struct fault_attr failslab_attr, fail_page_alloc_attr;

/* Off (probability 0, or no failures left): the cheap test first. */
static inline bool fault_attr_armed(const struct fault_attr *attr)
{
	return __atomic_load_n(&attr->probability, __ATOMIC_RELAXED) > 0 &&
	       __atomic_load_n(&attr->times, __ATOMIC_RELAXED) != 0;
}

/* The kernel's should_fail(): space, interval, probability, times, in
 * that order; size is the call's bytes (space counts them down).
 * nowarn (__GFP_NOWARN): no verbose line. */
bool should_fail(struct fault_attr *attr, size_t size, bool nowarn);

/* "knob=value,knob=value" into attr's knobs (which: its name); 0, or -1
 * with a report naming the bad part (nothing changed then). */
int fault_attr_parse(struct fault_attr *attr, const char *spec, const char *what);

#endif
