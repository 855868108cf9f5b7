/*
 * report.h - the one sink every diagnostic goes through.
 *
 * A report is composed whole in a buffer on the stack (no allocation: a
 * report may be about memory running out) and handed to the sink in one
 * call, so concurrent reports do not interleave.
 */
#ifndef USLAB_REPORT_H
#define USLAB_REPORT_H

#include <stdarg.h>
#include <stddef.h>

#include "uslab/kernel/linux/gfp_types.h"

#include "base/lock.h"

#define REPORT_MAX 8192

struct report_buf {
	size_t len;
	char text[REPORT_MAX];
};

void report_init(struct report_buf *r);
void report_add(struct report_buf *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hands the report to the sink, or (inside uslab: lock.h) queues it for
 * when the thread leaves. */
void report_emit(struct report_buf *r);
/* Installs the delivery of queued reports as lock.h's idle hook. */
void report_init_hooks(void);
/* One-shot report of a single formatted text. */
void uslab_reportf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* true at most 'burst' times per 5 seconds per state: for reports that a
 * failing program could otherwise repeat without end (out of memory). */
struct ratelimit {
	unsigned long begin_ms;
	unsigned int printed;
	unsigned int missed;
};
int report_ratelimit(struct ratelimit *rl, unsigned int burst);

/* gfp as the kernel's %pGg prints it: "GFP_KERNEL|__GFP_NOWARN", the
 * composite names first, then single flags, then what is left in hex;
 * "none" for 0.  Returns buf. */
const char *report_gfp_names(gfp_t gfp, char *buf, size_t len);

/* lib/fork.c takes it around fork(). */
extern spinlock_t sink_lock;

#endif
