/*
 * debug_report.c - the text of slab debug reports, in SLUB's form:
 *
 *   =============================================================================
 *   BUG kmalloc-64 (Not tainted): Right Redzone overwritten
 *   -----------------------------------------------------------------------------
 *
 *   INFO: 0x7f..-0x7f.. @offset=1096. First byte 0x12 instead of 0xcc
 *   INFO: Allocated in conn_open+0x1c age=12 cpu=1 pid=4242
 *           conn_open+0x1c
 *           main+0x55
 *   INFO: Freed in ...
 *   INFO: Slab 0x7f.. objects=21 used=3 fp=0x7f.. flags=0x0
 *   INFO: Object 0x7f.. @offset=1032 fp=0x7f..
 *
 *   Redzone  00007f..: cc cc cc cc cc cc cc cc                          ........
 *   Object   00007f..: 6b 6b 6b ...
 *   ...
 *   FIX kmalloc-64: Restoring Right Redzone 0x7f..-0x7f..=0xcc
 *
 * The state in the BUG line is "Not tainted" until the first bug is found,
 * then "Tainted: B", as the kernel marks itself after a bad page.  The
 * BUG and FIX lines themselves are core/slab_errors.c's, shared with the
 * reports of non-debug caches.  Also the tracks (U): where they are, how
 * they are filled, how printed.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "debug/debug.h"
#include "core/object.h"
#include "base/os.h"
#include "base/symbolize.h"
#include "base/sanitizer.h"

/* ------------------------------------------------------------- tracks */

struct track *get_track(struct kmem_cache *s, void *object, enum track_item alloc)
{
	struct track *t = (struct track *)((char *)object + get_info_end(s));

	return t + alloc;
}

static void load_unwinder(void)
{
	void *frames[2];

	backtrace(frames, 2);
	symbolize_want_lines();
}

/* The first backtrace() loads the unwinder (dlopen, which allocates): done
 * once, when a cache first asks for owner tracking, never with a
 * list_lock held and never in a process that tracks nothing. */
void track_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, load_unwinder);
}

/* The exported allocation and free calls (USLAB_ENTRY, base/compiler.h)
 * lie in the section uslab_entry, whose bounds the linker gives: a return
 * address inside it is uslab's own frame (builds without tail calls,
 * sanitizers); the owner is its caller. */
extern const char __start_uslab_entry[] __attribute__((visibility("hidden")));
extern const char __stop_uslab_entry[] __attribute__((visibility("hidden")));

static bool is_uslab_entry(uintptr_t addr)
{
	return addr >= (uintptr_t)__start_uslab_entry && addr < (uintptr_t)__stop_uslab_entry;
}

void set_track(struct kmem_cache *s, void *object, enum track_item alloc, uintptr_t addr)
{
	struct track *t = get_track(s, object, alloc);
	void *frames[TRACK_ADDRS_COUNT + 12];
	int n = backtrace(frames, (int)(sizeof(frames) / sizeof(frames[0]))), first = 0;

	memset(t, 0, sizeof(*t));
	/* Keep the stack from the caller outwards: uslab's frames are noise. */
	for (int i = 0; i < n; i++)
		if ((uintptr_t)frames[i] == addr) {
			first = i;
			break;
		}
	while (first + 1 < n && is_uslab_entry((uintptr_t)frames[first]))
		first++;
	for (int i = first, k = 0; i < n && k < TRACK_ADDRS_COUNT; i++, k++)
		t->addrs[k] = (uintptr_t)frames[i];
	t->addr = t->addrs[0] ? t->addrs[0] : addr;
	t->cpu = sched_getcpu();
	t->tid = (int)os_gettid();
	t->when = os_now_ms();
}

static void print_track(struct report_buf *r, const char *what, const struct track *t)
{
	char sym[256];

	if (!t->addr)
		return;
	format_address(sym, sizeof(sym), t->addr);
	report_add(r, "INFO: %s in %s age=%llu cpu=%d pid=%d\n", what, sym,
		   (unsigned long long)(os_now_ms() - t->when), t->cpu, t->tid);
	for (int i = 0; i < TRACK_ADDRS_COUNT && t->addrs[i]; i++) {
		format_address(sym, sizeof(sym), t->addrs[i]);
		report_add(r, "\t%s\n", sym);
	}
}

/* The tracks are copied out: under ASan the trailer stays poisoned (a
 * report of a live object, kmem_dump_obj, reads it from outside). */
void print_tracking(struct report_buf *r, struct kmem_cache *s, void *object)
{
	struct track t;

	if (!(s->flags & SLAB_STORE_USER))
		return;
	kasan_copy(&t, get_track(s, object, TRACK_ALLOC), sizeof(t));
	print_track(r, "Allocated", &t);
	kasan_copy(&t, get_track(s, object, TRACK_FREE), sizeof(t));
	print_track(r, "Freed", &t);
}

/* ------------------------------------------------------------ trailer */

static void print_section(struct report_buf *r, const char *text, const uint8_t *addr,
			  size_t length)
{
	for (size_t off = 0; off < length; off += 16) {
		size_t n = length - off < 16 ? length - off : 16;
		char hex[16 * 3 + 1], ascii[17];
		uint8_t row[16];

		/* Red zones and neighbours may be poisoned (ASan build). */
		kasan_copy(row, addr + off, n);
		for (size_t i = 0; i < 16; i++) {
			if (i < n) {
				snprintf(hex + i * 3, 4, "%02x ", row[i]);
				ascii[i] = (row[i] >= 0x20 && row[i] < 0x7f) ? (char)row[i] : '.';
			} else {
				memcpy(hex + i * 3, "   ", 4);
				ascii[i] = 0;
			}
		}
		ascii[n] = 0;
		report_add(r, "%s%016lx: %s %s\n", text, (unsigned long)(uintptr_t)(addr + off), hex,
			   ascii);
	}
}

#define MAX_DUMP 256

void print_trailer(struct report_buf *r, struct kmem_cache *s, struct slab *slab, uint8_t *p)
{
	uint8_t *addr = slab_address(slab);
	unsigned int off;

	print_tracking(r, s, p);
	print_slab_info(r, slab);
	report_add(r, "INFO: Object %p @offset=%lu fp=%p\n\n", (void *)p,
		   (unsigned long)(p - addr), get_freepointer(s, p));
	if (s->flags & SLAB_RED_ZONE)
		print_section(r, "Redzone  ", p - s->red_left_pad, s->red_left_pad);
	else if (p > addr + 16)
		print_section(r, "Bytes b4 ", p - 16, 16);
	print_section(r, "Object   ", p, s->object_size < MAX_DUMP ? s->object_size : MAX_DUMP);
	if (s->object_size > MAX_DUMP)
		report_add(r, "Object   ... %u more bytes\n", s->object_size - MAX_DUMP);
	if (s->flags & SLAB_RED_ZONE)
		print_section(r, "Redzone  ", p + s->object_size, s->inuse - s->object_size);
	off = get_info_end(s);
	if (s->flags & SLAB_STORE_USER) {
		off += 2 * (unsigned int)sizeof(struct track);
		if (s->flags & SLAB_KMALLOC)
			off += sizeof(unsigned long);
	}
	if (off != s->size - s->red_left_pad)
		print_section(r, "Padding  ", p + off, s->size - s->red_left_pad - off);
	report_add(r, "\n");
}
