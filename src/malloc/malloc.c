/*
 * malloc.c - the malloc layer: the malloc family on kmalloc.  Built only into
 * libuslab-malloc (shared for LD_PRELOAD, static and shared for linking
 * with -luslab-malloc); libuslab itself leaves malloc to libc.
 *
 * malloc and free are kmalloc and kfree with malloc's contract (and size
 * classes four per doubling from 64 bytes to 256 KiB, kmalloc.c): errno on
 * failure, no report when memory runs out, malloc(0) a unique pointer,
 * a pointer uslab never handed out reported once and ignored.
 *
 * Before the library is initialised, allocations made by the init itself
 * (the unwinder's dlopen, atexit, pthread_create) are served from a static
 * bootstrap arena: they must not re-enter pthread_once.  Bootstrap blocks
 * are never reused; free ignores them, realloc moves them out.
 *
 * Alignment: the kmalloc caches' objects are aligned to the largest power
 * of two dividing their size (16 for everything of 9 bytes or more), so an
 * aligned request is served from the power-of-two cache at least as big as
 * the alignment, and from page runs (aligned to their size) above, up to
 * 2 MiB; larger alignments fail with EINVAL.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/options.h"
#include "base/report.h"
#include "base/start.h"
#include "cache/fastpath.h"
#include "debug/debug.h"
#include "kmalloc/kmalloc.h"
#include "page/page_alloc.h"
#include "page/segment.h"

#define MALLOC_API __attribute__((visibility("default")))
#define MALLOC_GFP (GFP_KERNEL | __GFP_NOWARN)
/* What malloc guarantees for any object of 16 bytes or more (x86-64). */
#define MALLOC_ALIGNMENT 16
#define MAX_MALLOC_ALIGNMENT (PAGE_SIZE << PAGE_ALLOC_MAX_ORDER)

/* ------------------------------------------------------------ bootstrap */

#define BOOTSTRAP_BYTES (256u << 10)

static char bootstrap_arena[BOOTSTRAP_BYTES] __attribute__((aligned(PAGE_SIZE)));
static size_t bootstrap_used;

struct bootstrap_header {
	size_t size;
	size_t pad;
};

static bool is_bootstrap(const void *p)
{
	return (const char *)p >= bootstrap_arena &&
	       (const char *)p < bootstrap_arena + BOOTSTRAP_BYTES;
}

static void *bootstrap_alloc(size_t size, size_t align)
{
	size_t start, end, old = __atomic_load_n(&bootstrap_used, __ATOMIC_RELAXED);
	struct bootstrap_header *h;

	if (align < MALLOC_ALIGNMENT)
		align = MALLOC_ALIGNMENT;
	do {
		start = ALIGN(old + sizeof(*h), align);
		if (size > BOOTSTRAP_BYTES || start + size > BOOTSTRAP_BYTES) {
			errno = ENOMEM;
			return NULL;
		}
		end = start + size;
	} while (!__atomic_compare_exchange_n(&bootstrap_used, &old, end, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	h = (struct bootstrap_header *)(bootstrap_arena + start) - 1;
	h->size = size;
	return bootstrap_arena + start;
}

static size_t bootstrap_size(const void *p)
{
	return ((const struct bootstrap_header *)p - 1)->size;
}

/* ----------------------------------------------------- foreign pointers */

static int foreign_reported;

static void report_foreign(const void *p, const char *caller)
{
	if (__atomic_exchange_n(&foreign_reported, 1, __ATOMIC_RELAXED))
		return;
	uslab_reportf("uslab: %s(%p): pointer not allocated by uslab (from another allocator,"
		      " or garbage); ignored.  Further such pointers are ignored silently.\n",
		      caller, p);
}

/* ------------------------------------------------------------- defaults */

/* Called by init between reading the options and building the caches. */
void malloc_layer_options(void);
void malloc_layer_options(void)
{
	if (!getenv("USLAB_BACKGROUND_PURGE"))
		uslab_options[USLAB_OPT_BACKGROUND_PURGE] = 1;
	/* unified: batches, cross-thread frees and cold frees are what
	 * programs' malloc traffic is made of (bench/suite_driver.c). */
	if (!getenv("USLAB_ALLOCATOR"))
		uslab_options[USLAB_OPT_ALLOCATOR] = 1;
	malloc_replacement = true;
}

/* ------------------------------------------------------------ allocation */

/* 1 <= size <= 8192. */
static __always_inline const struct malloc_class *malloc_class(size_t size)
{
	return &malloc_classes[malloc_class_slot(size)];
}

static __noinline void *malloc_slow(size_t size, gfp_t gfp)
{
	if (unlikely(!__atomic_load_n(&uslab_initialised, __ATOMIC_ACQUIRE))) {
		if (current_thread()->in_init) {
			void *p = bootstrap_alloc(size ? size : 1, MALLOC_ALIGNMENT);

			/* The arena is static: zero until handed out. */
			return p;
		}
		uslab_ensure_init();
	}
	if (!size)
		size = 1;
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return slab_alloc_node(malloc_class(size)->s, gfp, NUMA_NO_NODE, size);
	if (size <= MALLOC_MEDIUM_MAX)
		return slab_alloc_node(malloc_class_medium[(size - 1) >> 11], gfp, NUMA_NO_NODE, size);
	if (size > (size_t)PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	return kmalloc_large_aligned(size, PAGE_SIZE, gfp, NUMA_NO_NODE);
}

/* The thread path (thread mode, or a thread without rseq), a function of
 * its own: it saves no register for cpu mode's path. */
static __noinline void *malloc_thread(size_t size, gfp_t gfp)
{
	if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE)) {
		const struct malloc_class *mc = malloc_class(size);
		struct kmem_cache_cpu *c =
			this_cpu_slab_at(__atomic_load_n(&mc->cpu_index, __ATOMIC_ACQUIRE));

		/* An entry means the class is built (MALLOC_CLASS_UNBUILT). */
		if (likely(c))
			return slab_alloc_node_at(mc->s, c, gfp, NUMA_NO_NODE, size, true);
	}
	return malloc_slow(size, gfp);
}

static __always_inline void *malloc_gfp(size_t size, gfp_t gfp)
{
	if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE) && likely(READ_ONCE(percpu_fast.enabled))) {
		const struct malloc_class *mc = malloc_class(size);
		unsigned int idx = __atomic_load_n(&mc->cpu_index, __ATOMIC_ACQUIRE);

		/* An unbuilt class (MALLOC_CLASS_UNBUILT) has no entry. */
		if (likely(idx < CPU_FAST_ENTRIES))
			return slab_alloc_percpu_unified(mc->s, idx, gfp, size, malloc_thread);
	}
	return malloc_thread(size, gfp);
}

MALLOC_API void *malloc(size_t size)
{
	return malloc_gfp(size, MALLOC_GFP);
}

MALLOC_API void *calloc(size_t n, size_t size)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc_gfp(bytes, MALLOC_GFP | __GFP_ZERO);
}

/* A cache whose objects sit at multiples of their size from the start of
 * a page-aligned slab (no red zone shifting them). */
static bool cache_keeps_alignment(const struct kmem_cache *s, size_t align)
{
	return s->size % align == 0 && !s->red_left_pad;
}

static void *alloc_aligned(size_t align, size_t size)
{
	size_t need;

	if (!size)
		size = 1;
	if (align <= MALLOC_ALIGNMENT) {
		/* kmalloc-8 objects are 8-aligned; everything larger is 16. */
		if (align > 8 && size < MALLOC_ALIGNMENT)
			size = MALLOC_ALIGNMENT;
		return malloc_gfp(size, MALLOC_GFP);
	}
	if (!__atomic_load_n(&uslab_initialised, __ATOMIC_ACQUIRE)) {
		if (current_thread()->in_init)
			return bootstrap_alloc(size, align);
		uslab_ensure_init();
	}
	/* A block's descriptor lives in the 4 MiB segment its start is in, so
	 * no start can be aligned to a segment: 2 MiB is the limit. */
	if (align > MAX_MALLOC_ALIGNMENT) {
		errno = EINVAL;
		return NULL;
	}
	need = size > align ? size : align;
	if (align <= PAGE_SIZE && need <= KMALLOC_MAX_CACHE_SIZE) {
		struct kmem_cache *s = kmalloc_caches[kmalloc_index(need)];

		if (!cache_keeps_alignment(s, align))
			s = kmalloc_caches[kmalloc_index(roundup_pow_of_two(need))];
		if (cache_keeps_alignment(s, align))
			return slab_alloc_node(s, MALLOC_GFP, NUMA_NO_NODE, size);
	}
	if (size > (size_t)PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	return kmalloc_large_aligned(size, align, MALLOC_GFP, NUMA_NO_NODE);
}

MALLOC_API int posix_memalign(void **memptr, size_t align, size_t size)
{
	int saved = errno;
	void *p;

	if (!is_power_of_2(align) || align % sizeof(void *))
		return EINVAL;
	p = alloc_aligned(align, size);
	if (!p) {
		int err = errno;

		/* POSIX: the result says why; errno is left as it was. */
		errno = saved;
		return err;
	}
	*memptr = p;
	return 0;
}

/* C17 and glibc 2.38: the alignment must be a power of two. */
MALLOC_API void *aligned_alloc(size_t align, size_t size)
{
	if (!is_power_of_2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_aligned(align, size);
}

/* glibc: any alignment, rounded up to a power of two. */
MALLOC_API void *memalign(size_t align, size_t size)
{
	if (align > ((size_t)1 << (sizeof(size_t) * 8 - 1))) {
		errno = EINVAL;
		return NULL;
	}
	if (!is_power_of_2(align))
		align = align ? roundup_pow_of_two(align) : 1;
	return alloc_aligned(align, size);
}

MALLOC_API void *valloc(size_t size)
{
	return alloc_aligned(PAGE_SIZE, size);
}

MALLOC_API void *pvalloc(size_t size)
{
	size_t rounded;

	if (__builtin_add_overflow(size, PAGE_SIZE - 1, &rounded)) {
		errno = ENOMEM;
		return NULL;
	}
	rounded &= ~(size_t)(PAGE_SIZE - 1);
	return alloc_aligned(PAGE_SIZE, rounded ? rounded : PAGE_SIZE);
}

/* ----------------------------------------------------------------- free */

/* Not declared by every libc's <stdlib.h> / <malloc.h>. */
void free_sized(void *p, size_t size);
void free_aligned_sized(void *p, size_t align, size_t size);
void cfree(void *p);

static __noinline void free_unmapped(void *p)
{
	if (!p || is_bootstrap(p))
		return;
	report_foreign(p, "free");
}

static __noinline void free_thread(void *p, uint32_t info)
{
	slab_free_page_thread(p, info, true, "free");
}

MALLOC_API void free(void *p)
{
	uint32_t info;

	if (unlikely(!segment_is_mapped(p))) {
		free_unmapped(p);
		return;
	}
	info = __atomic_load_n(virt_to_page_info(p), __ATOMIC_RELAXED);
	if (likely(info)) {
		if (likely(READ_ONCE(percpu_fast.enabled)) &&
		    slab_free_page_percpu(p, info, "free", free_thread))
			return;
		free_thread(p, info);
		return;
	}
	kfree_by_descriptor(p, "free");
}

/* C23: the size and alignment given back are a promise we need not use. */
MALLOC_API void free_sized(void *p, size_t size)
{
	(void)size;
	free(p);
}

MALLOC_API void free_aligned_sized(void *p, size_t align, size_t size)
{
	(void)align;
	(void)size;
	free(p);
}

MALLOC_API void cfree(void *p)
{
	free(p);
}

/* -------------------------------------------------------------- realloc */

/* Bytes usable at p, 0 (reported once) for a pointer uslab does not own. */
static size_t usable_size(void *p, const char *caller)
{
	if (!segment_is_mapped(p)) {
		if (is_bootstrap(p))
			return bootstrap_size(p);
		report_foreign(p, caller);
		return 0;
	}
	return ksize(p);
}

MALLOC_API size_t malloc_usable_size(void *p)
{
	return p ? usable_size(p, "malloc_usable_size") : 0;
}

MALLOC_API void *realloc(void *p, size_t size)
{
	size_t old;
	void *q;

	if (!p)
		return malloc(size);
	if (!size) {
		/* glibc frees and returns NULL. */
		free(p);
		return NULL;
	}
	old = usable_size(p, "realloc");
	if (!old) {
		errno = ENOMEM;
		return NULL;
	}
	/* Shrinking by less than half stays in place (krealloc moves a
	 * debug cache's red zone and the sanitizer's poison). */
	if (size <= old && size > old / 2 && !is_bootstrap(p))
		return krealloc(p, size, MALLOC_GFP);
	/* A large block grows (or shrinks) within its mapping's room. */
	if (kmalloc_resize_in_place(p, size, MALLOC_GFP))
		return p;
	q = malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, size < old ? size : old);
	free(p);
	return q;
}

MALLOC_API void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

/* ------------------------------------------------------ trim and stats */

MALLOC_API int malloc_trim(size_t pad)
{
	(void)pad;
	return uslab_reclaim(NULL) > 0;
}

/* Accepted and ignored: uslab has its own knobs (USLAB_*). */
MALLOC_API int mallopt(int param, int value)
{
	(void)param;
	(void)value;
	return 1;
}

MALLOC_API struct mallinfo2 mallinfo2(void)
{
	struct mallinfo2 mi;
	struct uslab_page_stats ps;
	unsigned long live, slab_bytes, large_allocs, large_frees, large_bytes, free_runs = 0;
	unsigned long runs[NR_PAGE_ORDERS];
	size_t huge_bytes;

	uslab_ensure_init();
	memset(&mi, 0, sizeof(mi));
	uslab_page_stats(&ps);
	memory_totals_get(&live, &slab_bytes);
	kmalloc_large_counts(&large_allocs, &large_frees, &large_bytes);
	page_alloc_free_runs(runs);
	for (int i = 0; i < NR_PAGE_ORDERS; i++)
		free_runs += runs[i];
	huge_bytes = ps.bytes_mapped - ps.segments * SEGMENT_SIZE;
	mi.arena = ps.bytes_mapped - huge_bytes;   /* segments */
	mi.ordblks = free_runs;                    /* free runs of pages */
	mi.hblks = ps.huge_mappings;
	mi.hblkhd = huge_bytes;
	mi.uordblks = live + large_bytes;          /* handed out to the program */
	mi.fordblks = ps.bytes_mapped > mi.uordblks ? ps.bytes_mapped - mi.uordblks : 0;
	mi.keepcost = ps.pages_free_cached * PAGE_SIZE;   /* free and resident */
	return mi;
}

static int clamp_int(size_t v)
{
	return v > (size_t)__INT_MAX__ ? __INT_MAX__ : (int)v;
}

MALLOC_API struct mallinfo mallinfo(void)
{
	struct mallinfo2 m2 = mallinfo2();
	struct mallinfo mi;

	mi.arena = clamp_int(m2.arena);
	mi.ordblks = clamp_int(m2.ordblks);
	mi.smblks = clamp_int(m2.smblks);
	mi.hblks = clamp_int(m2.hblks);
	mi.hblkhd = clamp_int(m2.hblkhd);
	mi.usmblks = clamp_int(m2.usmblks);
	mi.fsmblks = clamp_int(m2.fsmblks);
	mi.uordblks = clamp_int(m2.uordblks);
	mi.fordblks = clamp_int(m2.fordblks);
	mi.keepcost = clamp_int(m2.keepcost);
	return mi;
}

/* glibc prints its arenas to stderr; uslab prints its caches the same way. */
MALLOC_API void malloc_stats(void)
{
	struct mallinfo2 mi = mallinfo2();

	uslab_report(stderr, USLAB_REPORT_SLABINFO);
	fprintf(stderr, "system bytes     = %10zu\nin use bytes     = %10zu\n"
		"max mmap regions = %10zu\nmax mmap bytes   = %10zu\n",
		mi.arena + mi.hblkhd, mi.uordblks, mi.hblks, mi.hblkhd);
}
