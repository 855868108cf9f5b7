/*
 * page_fault_inject.c - a page allocator derived from another one that
 * fails requests on command, so tests can walk every out-of-memory path.
 *
 * Modes: USLAB_FAULT_NTH fails only the n-th request after arming;
 * USLAB_FAULT_AFTER lets n requests through and fails all later ones.
 * Frees always go through to the base.  Counters are atomics: the
 * allocator may be used from many threads at once.
 *
 * A destroyed one is only marked so, never freed (a few dozen bytes of
 * metadata): its method table stays, requests still pass through to the
 * base, and a second destroy is reported instead of calling through
 * whatever reused its memory.
 */
#include "page/page_alloc.h"
#include "base/meta.h"
#include "base/start.h"
#include "base/report.h"

struct fault_inject {
	struct uslab_page_allocator pa;
	int mode;                  /* enum uslab_fault_mode */
	unsigned long n;
	unsigned long seen;        /* requests since arming */
	unsigned long requests;    /* all requests */
	unsigned long failures;    /* requests failed on purpose */
	int destroyed;
};

static struct fault_inject *to_fault_inject(struct uslab_page_allocator *pa)
{
	return container_of(pa, struct fault_inject, pa);
}

static bool should_fail(struct fault_inject *fi)
{
	unsigned long seen;
	bool fail = false;

	__atomic_add_fetch(&fi->requests, 1, __ATOMIC_RELAXED);
	seen = __atomic_add_fetch(&fi->seen, 1, __ATOMIC_ACQ_REL);
	switch (__atomic_load_n(&fi->mode, __ATOMIC_ACQUIRE)) {
	case USLAB_FAULT_NTH:
		fail = seen == __atomic_load_n(&fi->n, __ATOMIC_RELAXED);
		break;
	case USLAB_FAULT_AFTER:
		fail = seen > __atomic_load_n(&fi->n, __ATOMIC_RELAXED);
		break;
	default:
		break;
	}
	if (fail)
		__atomic_add_fetch(&fi->failures, 1, __ATOMIC_RELAXED);
	return fail;
}

static struct slab *fi_alloc_pages(struct uslab_page_allocator *pa, unsigned int order, int node,
				   gfp_t gfp, enum page_kind kind)
{
	if (should_fail(to_fault_inject(pa)))
		return NULL;
	return pa_alloc_pages(pa->base, order, node, gfp, kind);
}

static struct slab *fi_alloc_huge(struct uslab_page_allocator *pa, size_t bytes, size_t align,
				  int node, gfp_t gfp)
{
	if (should_fail(to_fault_inject(pa)))
		return NULL;
	return pa_alloc_huge(pa->base, bytes, align, node, gfp);
}

static void fi_free_pages(struct uslab_page_allocator *pa, struct slab *head)
{
	pa_free_pages(pa->base, head);
}

static void fi_destroy(struct uslab_page_allocator *pa)
{
	if (__atomic_exchange_n(&to_fault_inject(pa)->destroyed, 1, __ATOMIC_ACQ_REL))
		uslab_reportf("uslab: uslab_page_allocator_destroy: %p was destroyed already\n",
			      (void *)pa);
}

/* Growing in place is a request that may fail like any other; a
 * shrink asks for nothing. */
static bool fi_resize_huge(struct uslab_page_allocator *pa, struct slab *head, size_t bytes,
			   gfp_t gfp)
{
	if (bytes > huge_usable_size(head) && should_fail(to_fault_inject(pa)))
		return false;
	return pa_resize_huge(pa->base, head, bytes, gfp);
}

static const struct page_allocator_ops fault_inject_ops = {
	.alloc_pages = fi_alloc_pages,
	.alloc_huge = fi_alloc_huge,
	.free_pages = fi_free_pages,
	.resize_huge = fi_resize_huge,
	.destroy = fi_destroy,
};

static bool is_fault_inject(struct uslab_page_allocator *pa)
{
	return pa && pa->ops == &fault_inject_ops;
}

USLAB_API struct uslab_page_allocator *
uslab_fault_inject_create(struct uslab_page_allocator *base, enum uslab_fault_mode mode,
			  unsigned long n)
{
	struct fault_inject *fi;

	uslab_ensure_init();
	fi = meta_alloc(sizeof(*fi));
	if (!fi)
		return NULL;
	fi->pa.ops = &fault_inject_ops;
	fi->pa.base = base ? base : root_page_allocator;
	fi->pa.name = "fault-inject";
	fi->mode = mode;
	fi->n = n;
	return &fi->pa;
}

USLAB_API void uslab_fault_inject_arm(struct uslab_page_allocator *pa,
				      enum uslab_fault_mode mode, unsigned long n)
{
	struct fault_inject *fi;

	if (!is_fault_inject(pa)) {
		uslab_reportf("uslab: uslab_fault_inject_arm: %p is not a fault-injecting allocator\n",
			      (void *)pa);
		return;
	}
	fi = to_fault_inject(pa);
	__atomic_store_n(&fi->mode, USLAB_FAULT_OFF, __ATOMIC_RELEASE);
	__atomic_store_n(&fi->n, n, __ATOMIC_RELAXED);
	__atomic_store_n(&fi->seen, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fi->mode, (int)mode, __ATOMIC_RELEASE);
}

USLAB_API unsigned long uslab_fault_inject_failures(struct uslab_page_allocator *pa)
{
	return is_fault_inject(pa) ? __atomic_load_n(&to_fault_inject(pa)->failures, __ATOMIC_RELAXED) : 0;
}

USLAB_API unsigned long uslab_fault_inject_requests(struct uslab_page_allocator *pa)
{
	return is_fault_inject(pa) ? __atomic_load_n(&to_fault_inject(pa)->requests, __ATOMIC_RELAXED) : 0;
}
