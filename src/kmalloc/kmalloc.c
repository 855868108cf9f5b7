/*
 * kmalloc.c - the kmalloc family on the general caches, and objects
 * larger than 8 KiB straight from the page allocator: runs of 2^order
 * pages up to 2 MiB, a mapping of their own above.
 *
 * kfree() and ksize() find everything through the page descriptor: a slab
 * object's cache, or the size of a large object.  A pointer outside every
 * segment is reported and ignored.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/options.h"
#include "base/os.h"
#include "base/report.h"
#include "base/start.h"
#include "cache/cache.h"
#include "cache/fastpath.h"
#include "debug/debug.h"
#include "kmalloc/kmalloc.h"
#include "page/page_alloc.h"

struct kmem_cache *kmalloc_caches[NR_KMALLOC_CACHES];

const uint8_t kmalloc_size_index[25] = {
	0,                      /* 0: not a cache */
	3,                      /* 1..8 */
	4,                      /* 9..16 */
	5, 5,                   /* 17..32 */
	6, 6, 6, 6,             /* 33..64 */
	1, 1, 1, 1,             /* 65..96 */
	7, 7, 7, 7,             /* 97..128 */
	2, 2, 2, 2, 2, 2, 2, 2, /* 129..192 */
};

static const char *const kmalloc_names[NR_KMALLOC_CACHES] = {
	[1] = "kmalloc-96", [2] = "kmalloc-192", [3] = "kmalloc-8", [4] = "kmalloc-16",
	[5] = "kmalloc-32", [6] = "kmalloc-64", [7] = "kmalloc-128", [8] = "kmalloc-256",
	[9] = "kmalloc-512", [10] = "kmalloc-1024", [11] = "kmalloc-2048", [12] = "kmalloc-4096",
	[13] = "kmalloc-8192",
};

static unsigned int kmalloc_cache_size(unsigned int i)
{
	return i == 1 ? 96 : i == 2 ? 192 : 1u << i;
}

/* Called with slab_mutex held; name must stay valid. */
static struct kmem_cache *create_kmalloc_cache(const char *name, unsigned int size)
{
	/* malloc's 16 bytes above 8 hold with a debug layout too: a red zone
	 * before the object is then 16 bytes, not a word. */
	struct kmem_cache_args args = { .align = malloc_replacement && size % 16 == 0 ? 16 : 0 };
	struct kmem_cache *s;

	s = create_cache(name, size, &args,
			 SLAB_KMALLOC | debug_flags_for(name) |
			 (uslab_opt(USLAB_OPT_RANDOM_FREELIST) ? SLAB_RANDOM_FREELIST : 0));
	if (!s) {
		uslab_reportf("uslab: out of memory creating %s\n", name);
		abort();
	}
	s->name_static = true;
	return s;
}

/*
 * The malloc replacement's size classes: the kmalloc caches and, between
 * them, four classes per doubling from 64 bytes (as jemalloc spaces its
 * classes), so that a malloc of 513 bytes does not take 1024.  Every
 * class above 8 is a multiple of 16: malloc's alignment.
 */
/* Until built, no index any thread's entries reach: malloc goes slow. */
struct malloc_class malloc_classes[MALLOC_CLASS_SLOTS] = {
	[0 ... MALLOC_CLASS_SLOTS - 1] = { NULL, MALLOC_CLASS_UNBUILT },
};

static const unsigned int fine_sizes[] = {
	48, 80, 112, 160, 224, 320, 384, 448, 640, 768, 896,
	1280, 1536, 1792, 2560, 3072, 3584, 5120, 6144, 7168,
};
#define NR_FINE (sizeof(fine_sizes) / sizeof(fine_sizes[0]))
static struct kmem_cache *fine_caches[NR_FINE];
static char fine_names[NR_FINE][16];

/*
 * Medium classes, 8 KiB to 256 KiB, four per doubling: slabs of objects
 * cached per thread like the small ones (a program's buffers of this
 * size would otherwise go to the page allocator under its node lock on
 * every call), with slabs wasting at most 1/8 (cache_layout.c) and
 * sheaves holding at most 64 KiB or one object (unified.c).
 */
static const unsigned int medium_sizes[] = {
	10 << 10, 12 << 10, 14 << 10, 16 << 10, 20 << 10, 24 << 10, 28 << 10, 32 << 10,
	40 << 10, 48 << 10, 56 << 10, 64 << 10, 80 << 10, 96 << 10, 112 << 10, 128 << 10,
	160 << 10, 192 << 10, 224 << 10, 256 << 10,
};
#define NR_MEDIUM (sizeof(medium_sizes) / sizeof(medium_sizes[0]))
static char medium_names[NR_MEDIUM][16];
struct kmem_cache *malloc_class_medium[MALLOC_MEDIUM_SLOTS];

/* The smallest class of at least size bytes (size <= 8192). */
static struct malloc_class smallest_class(size_t size)
{
	struct kmem_cache *best = kmalloc_caches[kmalloc_index(size)];

	for (unsigned int i = 0; i < NR_FINE; i++)
		if (fine_sizes[i] >= size && fine_sizes[i] < best->object_size)
			best = fine_caches[i];
	return (struct malloc_class){ best, best->cpu_index };
}

/* Called with slab_mutex held, after the kmalloc caches exist. */
static void create_fine_classes(void)
{
	for (unsigned int i = 0; i < NR_FINE; i++) {
		snprintf(fine_names[i], sizeof(fine_names[i]), "kmalloc-%u", fine_sizes[i]);
		fine_caches[i] = create_kmalloc_cache(fine_names[i], fine_sizes[i]);
	}
	for (size_t size = 8; size <= KMALLOC_MAX_CACHE_SIZE; size += size < 1024 ? 8 : 256) {
		struct malloc_class mc = smallest_class(size), *slot;

		slot = &malloc_classes[malloc_class_slot(size)];
		slot->s = mc.s;
		/* The index last: a malloc that reaches an entry has the cache. */
		__atomic_store_n(&slot->cpu_index, mc.cpu_index, __ATOMIC_RELEASE);
	}
	for (unsigned int i = 0, slot = KMALLOC_MAX_CACHE_SIZE >> 11; i < NR_MEDIUM; i++) {
		struct kmem_cache *s;

		snprintf(medium_names[i], sizeof(medium_names[i]), "kmalloc-%u", medium_sizes[i]);
		s = create_kmalloc_cache(medium_names[i], medium_sizes[i]);
		/* Slot n holds sizes up to (n + 1) << 11. */
		for (; slot < MALLOC_MEDIUM_SLOTS && (slot + 1) << 11 <= medium_sizes[i]; slot++)
			malloc_class_medium[slot] = s;
	}
}

void kmalloc_init(void)
{
	free_without_cache = kfree;
	slab_mutex_lock();
	for (unsigned int i = 1; i < NR_KMALLOC_CACHES; i++)
		kmalloc_caches[i] = create_kmalloc_cache(kmalloc_names[i], kmalloc_cache_size(i));
	if (malloc_replacement)
		create_fine_classes();
	slab_mutex_unlock();
}

/* ----------------------------------------------------- large objects */

static unsigned long large_allocs, large_frees, large_bytes;

static size_t large_object_bytes(const struct slab *head)
{
	return head->kind == PAGE_HUGE ? huge_usable_size(head) : PAGE_SIZE << head->order;
}

/* align: a power of two; runs of 2^order pages are aligned to their size. */
void *kmalloc_large_aligned(size_t size, size_t align, gfp_t flags, int node)
{
	struct uslab_page_allocator *pa = __atomic_load_n(&current_page_allocator, __ATOMIC_ACQUIRE);
	size_t need = size > align ? size : align;
	unsigned int order = 0;
	bool retried = false;
	unsigned int nofail_tries = 0;
	struct slab *head;
	void *p;

	/* No promise for what no program needs at once (the kernel's
	 * kvmalloc refuses such sizes, __GFP_NOFAIL or not). */
	if (size > INT_MAX)
		flags &= ~__GFP_NOFAIL;
	while ((PAGE_SIZE << order) < need && order <= PAGE_ALLOC_MAX_ORDER)
		order++;
	/* init_on_alloc holds for large objects too (a reused huge mapping
	 * holds its last block's bytes). */
	if (uslab_opt(USLAB_OPT_INIT_ON_ALLOC))
		flags |= __GFP_ZERO;
retry:
	if (order <= PAGE_ALLOC_MAX_ORDER) {
		head = pa_alloc_pages(pa, order, node, flags, PAGE_LARGE);
		p = head ? slab_address(head) : NULL;
		if (p && (flags & __GFP_ZERO))
			memset(p, 0, PAGE_SIZE << order);
	} else {
		/* A mapping of its own, zeroed by the page allocator on __GFP_ZERO. */
		head = pa_alloc_huge(pa, size, align > PAGE_SIZE ? align : PAGE_SIZE, node, flags);
		p = head ? slab_address(head) : NULL;
	}
	if (!p && (!retried || (flags & __GFP_NOFAIL))) {
		/* Once more after reclaim, then NULL; __GFP_NOFAIL: until it
		 * works. */
		slow_path_enter();
		if (retried)
			reclaim_nofail_wait(flags, nofail_tries++);
		else
			reclaim_before_failing(flags);
		slow_path_exit();
		retried = true;
		goto retry;
	}
	if (!p) {
		static struct ratelimit rl;

		errno = ENOMEM;
		char names[256];

		if (!(flags & __GFP_NOWARN) && report_ratelimit(&rl, 10))
			uslab_reportf("uslab: kmalloc(%zu): unable to allocate memory on node %d, "
				      "gfp=%#x(%s)\n", size, node, flags,
				      report_gfp_names(flags, names, sizeof(names)));
		return NULL;
	}
	__atomic_add_fetch(&large_allocs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&large_bytes, large_object_bytes(head), __ATOMIC_RELAXED);
	return p;
}

void kfree_large(struct slab *head, const void *object, const char *caller)
{
	if (head->kind != PAGE_LARGE && head->kind != PAGE_HUGE) {
		bug_foreign_pointer(object, caller, head->kind == PAGE_INTERNAL ?
				    "uslab's own metadata" : "not an allocated object");
		return;
	}
	if (object != slab_address(head)) {
		bug_foreign_pointer(object, caller, "pointer inside a large object, not its start");
		return;
	}
	__atomic_add_fetch(&large_frees, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&large_bytes, large_object_bytes(head), __ATOMIC_RELAXED);
	pa_free_pages(__atomic_load_n(&current_page_allocator, __ATOMIC_ACQUIRE), head);
}

bool kmalloc_resize_in_place(const void *p, size_t new_size, gfp_t flags)
{
	struct slab *head;
	size_t before, after;

	if (new_size <= (PAGE_SIZE << PAGE_ALLOC_MAX_ORDER) || new_size > (size_t)PTRDIFF_MAX ||
	    !segment_is_mapped(p))
		return false;
	head = virt_to_slab(p);
	if (head->slab_cache || head->kind != PAGE_HUGE || p != slab_address(head))
		return false;
	before = huge_usable_size(head);
	/* The grown part may hold an earlier block's bytes: init_on_alloc
	 * holds for it as for a new block. */
	if (uslab_opt(USLAB_OPT_INIT_ON_ALLOC))
		flags |= __GFP_ZERO;
	if (!pa_resize_huge(__atomic_load_n(&current_page_allocator, __ATOMIC_ACQUIRE), head,
			    new_size, flags))
		return false;
	after = huge_usable_size(head);
	/* Shrunk, the tail of its last page is zeroed too: growing back
	 * later reads zeros, as for a slab object. */
	if ((flags & __GFP_ZERO) && new_size < before)
		memset((char *)p + new_size, 0, after - new_size);
	if (after > before)
		__atomic_add_fetch(&large_bytes, after - before, __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(&large_bytes, before - after, __ATOMIC_RELAXED);
	return true;
}

/* ------------------------------------------------------------- kmalloc */

static __noinline void *kmalloc_slow(size_t size, gfp_t flags, int node)
{
	if (!size)
		return ZERO_SIZE_PTR;
	uslab_ensure_init();
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return slab_alloc_node(kmalloc_caches[kmalloc_index(size)], flags, node, size);
	if (size > (size_t)PTRDIFF_MAX)
		return NULL;
	return kmalloc_large_aligned(size, PAGE_SIZE, flags, node);
}

static __always_inline void *__kmalloc(size_t size, gfp_t flags, int node)
{
	if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE)) {
		struct kmem_cache *s = kmalloc_caches[kmalloc_index(size)];

		if (likely(s))
			return slab_alloc_node(s, flags, node, size);
	}
	return kmalloc_slow(size, flags, node);
}

USLAB_ENTRY void *kmalloc(size_t size, gfp_t flags)
{
	return __kmalloc(size, flags, NUMA_NO_NODE);
}

USLAB_ENTRY void *kmalloc_node(size_t size, gfp_t flags, int node)
{
	if (node < 0 || (unsigned int)node >= (unsigned int)os_nr_nodes())
		node = NUMA_NO_NODE;
	return __kmalloc(size, flags, node);
}

USLAB_ENTRY void *kzalloc(size_t size, gfp_t flags)
{
	return __kmalloc(size, flags | __GFP_ZERO, NUMA_NO_NODE);
}

USLAB_ENTRY void *kzalloc_node(size_t size, gfp_t flags, int node)
{
	return kmalloc_node(size, flags | __GFP_ZERO, node);
}

USLAB_ENTRY void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return __kmalloc(bytes, flags, NUMA_NO_NODE);
}

USLAB_ENTRY void *kmalloc_array_node(size_t n, size_t size, gfp_t flags, int node)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc_node(bytes, flags, node);
}

USLAB_ENTRY void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}

USLAB_ENTRY void *kcalloc_node(size_t n, size_t size, gfp_t flags, int node)
{
	return kmalloc_array_node(n, size, flags | __GFP_ZERO, node);
}

static __noinline void kfree_thread(void *x, uint32_t info)
{
	slab_free_page_thread(x, info, false, "kfree");
}

/* Either path, as free() does (malloc.c). */
static __always_inline void slab_free_page(const void *x, uint32_t info)
{
	if (likely(READ_ONCE(percpu_fast.enabled)) &&
	    slab_free_page_percpu((void *)x, info, "kfree", NULL))
		return;
	kfree_thread((void *)x, info);
}

USLAB_ENTRY void kfree(const void *x)
{
	uint32_t info;

	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return;
	if (unlikely(!segment_is_mapped(x))) {
		bug_unmapped_pointer(x, "kfree");
		return;
	}
	info = __atomic_load_n(virt_to_page_info(x), __ATOMIC_RELAXED);
	if (likely(info)) {
		slab_free_page(x, info);
		return;
	}
	kfree_by_descriptor(x, "kfree");
}

/* kfree() of a pointer into a page with no info word: a large or huge
 * block, or a pointer into no block (reported by kfree_large); a slab
 * only while one is made or given back (a racing bad free). */
void kfree_by_descriptor(const void *x, const char *caller)
{
	struct slab *slab = virt_to_slab(x);
	struct kmem_cache *s = READ_ONCE(slab->slab_cache);

	if (s) {
		slab_free(s, slab, (void *)x, true);
		return;
	}
	kfree_large(slab, x, caller);
}

static size_t ksize_for(const void *x, const char *caller)
{
	struct slab *slab;

	if (ZERO_OR_NULL_PTR(x))
		return 0;
	slab = virt_to_slab_checked(x);
	if (!slab) {
		bug_unmapped_pointer(x, caller);
		return 0;
	}
	if (slab->slab_cache) {
		size_t n = slab_ksize(slab->slab_cache);

		/* The caller may now use all of it. */
		if (!kmem_cache_debug(slab->slab_cache))
			kasan_unpoison(x, n);
		return n;
	}
	if (slab->kind == PAGE_LARGE && x == slab_address(slab))
		return PAGE_SIZE << slab->order;
	if (slab->kind == PAGE_HUGE && x == slab_address(slab))
		return huge_usable_size(slab);
	bug_foreign_pointer(x, caller, "not the start of an allocated object");
	return 0;
}

USLAB_API size_t ksize(const void *x)
{
	return ksize_for(x, "ksize");
}

USLAB_API size_t kmalloc_size_roundup(size_t size)
{
	if (!size)
		return 0;
	if (size <= KMALLOC_MAX_CACHE_SIZE) {
		uslab_ensure_init();
		return slab_ksize(kmalloc_caches[kmalloc_index(size)]);
	}
	/* Sizes no allocation can satisfy round to themselves, not past 0. */
	if (size > SIZE_MAX - PAGE_SIZE + 1)
		return size;
	if (size > (PAGE_SIZE << PAGE_ALLOC_MAX_ORDER))
		return ALIGN(size, PAGE_SIZE);
	return PAGE_SIZE << fls_long((size - 1) >> PAGE_SHIFT);
}

USLAB_ENTRY void *krealloc(const void *p, size_t new_size, gfp_t flags)
{
	struct kmem_cache *s;
	size_t ks;
	void *ret;

	if (ZERO_OR_NULL_PTR(p))
		return kmalloc(new_size, flags);
	if (!new_size) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	ks = ksize_for(p, "krealloc");
	if (!ks)
		return NULL;
	if (kmalloc_resize_in_place(p, new_size, flags))
		return (void *)p;
	s = virt_to_slab((void *)p)->slab_cache;   /* NULL: a large block */
	if (new_size <= ks) {
		/* In place; with __GFP_ZERO the tail is zeroed, so growing
		 * back later reads zeros, as the kernel does.  A debug kmalloc
		 * cache moves its red zone instead. */
		if (s && kmem_cache_debug(s)) {
			debug_resize_object(s, (void *)p, new_size, flags & __GFP_ZERO);
			return (void *)p;
		}
		if (s)
			kasan_unpoison(p, ks);
		if (flags & __GFP_ZERO)
			memset((char *)p + new_size, 0, ks - new_size);
		if (s)
			kasan_slab_alloc(s, (void *)p, new_size);
		return (void *)p;
	}
	ret = kmalloc(new_size, flags);
	if (!ret)
		return NULL;
	/* Past the size asked for, a debug kmalloc cache keeps red zone:
	 * copied, it would land inside the new object (zeroed or not). */
	if (s && kmem_cache_debug(s))
		ks = debug_object_size(s, (void *)p);
	memcpy(ret, p, ks);
	kfree(p);
	return ret;
}

USLAB_ENTRY void *krealloc_array(void *p, size_t new_n, size_t new_size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(new_n, new_size, &bytes))
		return NULL;
	return krealloc(p, bytes, flags);
}

USLAB_ENTRY void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = kmalloc(len, gfp & ~__GFP_ZERO);

	if (p && len)
		memcpy(p, src, len);
	return p;
}

USLAB_ENTRY char *kstrdup(const char *s, gfp_t gfp)
{
	return s ? kmemdup(s, strlen(s) + 1, gfp) : NULL;
}

USLAB_ENTRY char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	p = kmalloc(len + 1, gfp & ~__GFP_ZERO);
	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}

USLAB_ENTRY void *kvmalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags);
}

USLAB_ENTRY void *kvzalloc(size_t size, gfp_t flags)
{
	return kzalloc(size, flags);
}

USLAB_ENTRY void kvfree(const void *p)
{
	kfree(p);
}

USLAB_API struct kmem_cache *uslab_kmalloc_cache(size_t size)
{
	if (!size || size > KMALLOC_MAX_CACHE_SIZE)
		return NULL;
	uslab_ensure_init();
	return kmalloc_caches[kmalloc_index(size)];
}

void kmalloc_large_counts(unsigned long *allocs, unsigned long *frees, unsigned long *bytes)
{
	if (bytes)
		*bytes = __atomic_load_n(&large_bytes, __ATOMIC_RELAXED);
	*allocs = __atomic_load_n(&large_allocs, __ATOMIC_RELAXED);
	*frees = __atomic_load_n(&large_frees, __ATOMIC_RELAXED);
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(kmalloc);
USLAB_KERNEL_ALIAS(kmalloc_node);
USLAB_KERNEL_ALIAS(kzalloc);
USLAB_KERNEL_ALIAS(kzalloc_node);
USLAB_KERNEL_ALIAS(kmalloc_array);
USLAB_KERNEL_ALIAS(kmalloc_array_node);
USLAB_KERNEL_ALIAS(kcalloc);
USLAB_KERNEL_ALIAS(kcalloc_node);
USLAB_KERNEL_ALIAS(kfree);
USLAB_KERNEL_ALIAS(ksize);
USLAB_KERNEL_ALIAS(kmalloc_size_roundup);
USLAB_KERNEL_ALIAS(krealloc);
USLAB_KERNEL_ALIAS(krealloc_array);
USLAB_KERNEL_ALIAS(kmemdup);
USLAB_KERNEL_ALIAS(kstrdup);
USLAB_KERNEL_ALIAS(kstrndup);
USLAB_KERNEL_ALIAS(kvmalloc);
USLAB_KERNEL_ALIAS(kvzalloc);
USLAB_KERNEL_ALIAS(kvfree);
