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

#include "base/meta.h"
#include "base/os.h"
#include "base/report.h"
#include "base/symbolize.h"
#include "base/types.h"

spinlock_t sink_lock = SPINLOCK_INIT(LOCK_RANK_SINK);
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

/*
 * Reports made inside uslab (a lock held, a slow path in progress) wait
 * in a queue of their thread, in metadata, and reach the sink when the
 * thread leaves (lock.h's idle hook): the program's sink may allocate,
 * take its own locks or report again, and none of that may happen under
 * an allocator lock or in the middle of a slow path.  A report made
 * while its thread runs the sink waits the same way.
 */
#define PENDING_BYTES (64UL << 10)

struct pending_reports {
	size_t len;                /* bytes of text[] used: reports, each NUL-ended */
	unsigned long dropped;     /* reports that did not fit */
	char text[];
};

static __thread struct pending_reports *pending;
static __thread bool in_sink, delivering;

/* Calls the sink with no lock held: its pointer pair is read under
 * sink_lock, so it is never half-installed. */
static void deliver(const char *raw)
{
	char text[REPORT_MAX];
	uslab_report_fn fn;
	void *ctx;

	symbolize_lines(raw, text, sizeof(text), true);

	spin_lock(&sink_lock);
	nr_reports++;
	fn = sink_fn;
	ctx = sink_ctx;
	spin_unlock(&sink_lock);
	in_sink = true;
	if (fn)
		fn(ctx, text);
	else
		stderr_sink(text);
	in_sink = false;
}

static void queue_report(const char *text)
{
	size_t len = strlen(text) + 1;

	if (!pending)
		pending = meta_alloc(PENDING_BYTES);
	if (!pending) {
		char plain[REPORT_MAX];

		/* No memory even for that: stderr now, markers dropped. */
		symbolize_lines(text, plain, sizeof(plain), false);
		stderr_sink(plain);
		return;
	}
	if (pending->len + len > PENDING_BYTES - sizeof(*pending)) {
		pending->dropped++;
	} else {
		memcpy(pending->text + pending->len, text, len);
		pending->len += len;
	}
	lock_defer(IDLE_REPORTS);
}

/* The idle hook: no lock held, no slow path entered. */
static void deliver_pending(void)
{
	char text[REPORT_MAX];

	/* One delivery loop per thread: deliver() itself unlocks, and the
	 * unlock runs the idle work. */
	if (in_sink || delivering || !pending)
		return;
	delivering = true;
	while (pending->len || pending->dropped) {
		size_t len;

		if (pending->len) {
			len = strlen(pending->text) + 1;
			memcpy(text, pending->text, len);
			memmove(pending->text, pending->text + len, pending->len - len);
			pending->len -= len;
		} else {
			snprintf(text, sizeof(text), "uslab: %lu reports dropped (too many at once)\n",
				 pending->dropped);
			pending->dropped = 0;
		}
		deliver(text);
	}
	/* Given back once empty: a thread that exits leaves nothing.  Off
	 * the thread first: the free's unlock may run idle work. */
	{
		struct pending_reports *done = pending;

		pending = NULL;
		meta_free(done, PENDING_BYTES);
	}
	delivering = false;
}

void report_emit(struct report_buf *r)
{
	if (in_allocator() || in_sink) {
		queue_report(r->text);
		return;
	}
	deliver(r->text);
	if (pending && (pending->len || pending->dropped))
		deliver_pending();
}

void report_init_hooks(void)
{
	lock_set_idle_hook(IDLE_REPORTS, deliver_pending);
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

const char *report_gfp_names(gfp_t gfp, char *buf, size_t len)
{
	/* The kernel's table order (include/trace/events/mmflags.h): a
	 * composite matches before the flags it is made of. */
	static const struct { gfp_t mask; const char *name; } names[] = {
		{ GFP_TRANSHUGE, "GFP_TRANSHUGE" }, { GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT" },
		{ GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE" }, { GFP_HIGHUSER, "GFP_HIGHUSER" },
		{ GFP_USER, "GFP_USER" }, { GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT" },
		{ GFP_KERNEL, "GFP_KERNEL" }, { GFP_NOFS, "GFP_NOFS" }, { GFP_ATOMIC, "GFP_ATOMIC" },
		{ GFP_NOIO, "GFP_NOIO" }, { GFP_NOWAIT, "GFP_NOWAIT" }, { GFP_DMA, "GFP_DMA" },
		{ __GFP_HIGHMEM, "__GFP_HIGHMEM" }, { GFP_DMA32, "GFP_DMA32" },
		{ __GFP_HIGH, "__GFP_HIGH" }, { __GFP_IO, "__GFP_IO" }, { __GFP_FS, "__GFP_FS" },
		{ __GFP_ZERO, "__GFP_ZERO" }, { __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" },
		{ __GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM" }, { __GFP_MOVABLE, "__GFP_MOVABLE" },
		{ __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" }, { __GFP_WRITE, "__GFP_WRITE" },
		{ __GFP_NOWARN, "__GFP_NOWARN" }, { __GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL" },
		{ __GFP_NOFAIL, "__GFP_NOFAIL" }, { __GFP_NORETRY, "__GFP_NORETRY" },
		{ __GFP_MEMALLOC, "__GFP_MEMALLOC" }, { __GFP_COMP, "__GFP_COMP" },
		{ __GFP_NOMEMALLOC, "__GFP_NOMEMALLOC" }, { __GFP_HARDWALL, "__GFP_HARDWALL" },
		{ __GFP_THISNODE, "__GFP_THISNODE" }, { __GFP_ACCOUNT, "__GFP_ACCOUNT" },
		{ __GFP_ZEROTAGS, "__GFP_ZEROTAGS" }, { __GFP_SKIP_ZERO, "__GFP_SKIP_ZERO" },
		{ __GFP_SKIP_KASAN, "__GFP_SKIP_KASAN" }, { __GFP_NOLOCKDEP, "__GFP_NOLOCKDEP" },
		{ __GFP_NO_OBJ_EXT, "__GFP_NO_OBJ_EXT" },
	};
	size_t n = 0;

	buf[0] = 0;
	if (!gfp) {
		snprintf(buf, len, "none");
		return buf;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && gfp; i++) {
		if ((gfp & names[i].mask) != names[i].mask)
			continue;
		gfp &= ~names[i].mask;
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "",
				      names[i].name);
	}
	if (gfp)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%#x", n ? "|" : "", gfp);
	return buf;
}

int report_ratelimit(struct ratelimit *rl, unsigned int burst)
{
	unsigned long now = os_now_ms();
	int ok;

	spin_lock(&sink_lock);
	if (!rl->begin_ms || now - rl->begin_ms >= 5000) {
		rl->begin_ms = now ? now : 1;
		rl->printed = 0;
	}
	ok = rl->printed < burst;
	if (ok)
		rl->printed++;
	else
		rl->missed++;
	spin_unlock(&sink_lock);
	return ok;
}

USLAB_API void uslab_set_report_sink(uslab_report_fn fn, void *ctx,
				     uslab_report_fn *old_fn, void **old_ctx)
{
	spin_lock(&sink_lock);
	if (old_fn)
		*old_fn = sink_fn;
	if (old_ctx)
		*old_ctx = sink_ctx;
	sink_fn = fn;
	sink_ctx = ctx;
	spin_unlock(&sink_lock);
}

USLAB_API unsigned long uslab_report_count(void)
{
	unsigned long n;

	spin_lock(&sink_lock);
	n = nr_reports;
	spin_unlock(&sink_lock);
	return n;
}
