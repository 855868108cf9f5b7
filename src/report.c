/*
 * report.c - the report sink: stderr by default, replaceable by the
 * program (tests read the exact lines from it).
 *
 * The sink pointer pair is changed under sink_lock and read under it, so a
 * report never goes to a half-installed sink.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fork.h"
#include "os.h"
#include "report.h"
#include "types.h"

pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static uslab_report_fn sink_fn;
static void *sink_ctx;
static unsigned long nr_reports;

static void stderr_sink(const char *text)
{
	size_t len = strlen(text);

	while (len) {
		ssize_t n = write(STDERR_FILENO, text, len);

		if (n <= 0)
			break;
		text += n;
		len -= (size_t)n;
	}
}

void report_init(struct report_buf *r)
{
	r->len = 0;
	r->text[0] = 0;
}

void report_add(struct report_buf *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len >= sizeof(r->text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len = min_t(size_t, r->len + (size_t)n, sizeof(r->text) - 1);
}

void report_emit(struct report_buf *r)
{
	pthread_mutex_lock(&sink_lock);
	nr_reports++;
	if (sink_fn)
		sink_fn(sink_ctx, r->text);
	else
		stderr_sink(r->text);
	pthread_mutex_unlock(&sink_lock);
}

void uslab_reportf(const char *fmt, ...)
{
	struct report_buf r;
	va_list ap;
	int n;

	report_init(&r);
	va_start(ap, fmt);
	n = vsnprintf(r.text, sizeof(r.text), fmt, ap);
	va_end(ap);
	r.len = n > 0 ? min_t(size_t, (size_t)n, sizeof(r.text) - 1) : 0;
	report_emit(&r);
}

int report_ratelimit(struct ratelimit *rl, unsigned int burst)
{
	unsigned long now = os_now_ms();
	int ok;

	pthread_mutex_lock(&sink_lock);
	if (!rl->begin_ms || now - rl->begin_ms >= 5000) {
		rl->begin_ms = now ? now : 1;
		rl->printed = 0;
	}
	ok = rl->printed < burst;
	if (ok)
		rl->printed++;
	else
		rl->missed++;
	pthread_mutex_unlock(&sink_lock);
	return ok;
}

USLAB_API void uslab_set_report_sink(uslab_report_fn fn, void *ctx,
				     uslab_report_fn *old_fn, void **old_ctx)
{
	pthread_mutex_lock(&sink_lock);
	if (old_fn)
		*old_fn = sink_fn;
	if (old_ctx)
		*old_ctx = sink_ctx;
	sink_fn = fn;
	sink_ctx = ctx;
	pthread_mutex_unlock(&sink_lock);
}

USLAB_API unsigned long uslab_report_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&sink_lock);
	n = nr_reports;
	pthread_mutex_unlock(&sink_lock);
	return n;
}
