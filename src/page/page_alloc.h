/*
 * page_alloc.h - the page allocator layer: its objects and their calls.
 *
 * Callers hold no uslab lock other than, possibly, none at all: the page
 * allocator's node locks are the innermost locks of the library.
 */
#ifndef USLAB_PAGE_ALLOC_H
#define USLAB_PAGE_ALLOC_H

#include "base/options.h"
#include "base/sanitizer.h"
#include "base/types.h"
#include "page/segment.h"

extern struct uslab_page_allocator *root_page_allocator;
/* Where slabs and large kmallocs come from unless a cache says otherwise. */
extern struct uslab_page_allocator *current_page_allocator;

void page_alloc_init(void);

static inline struct slab *pa_alloc_pages(struct uslab_page_allocator *pa, unsigned int order,
					  int node, gfp_t gfp, enum page_kind kind)
{
	struct slab *head = pa->ops->alloc_pages(pa, order, node, gfp, kind);

	/* ASan: a slab's memory is poisoned when it goes back (core/slab.c);
	 * whoever gets it next may touch all of it. */
	if (kasan_enabled() && head)
		kasan_unpoison(slab_address(head), slab_bytes(head));
	return head;
}

static inline struct slab *pa_alloc_huge(struct uslab_page_allocator *pa, size_t bytes,
					 size_t align, int node, gfp_t gfp)
{
	return pa->ops->alloc_huge(pa, bytes, align, node, gfp);
}

static inline void pa_free_pages(struct uslab_page_allocator *pa, struct slab *head)
{
	pa->ops->free_pages(pa, head);
}

static inline bool pa_resize_huge(struct uslab_page_allocator *pa, struct slab *head, size_t bytes,
				  gfp_t gfp)
{
	return pa->ops->resize_huge && pa->ops->resize_huge(pa, head, bytes, gfp);
}

/* Bytes usable at a PAGE_HUGE descriptor's address. */
size_t huge_usable_size(const struct slab *head);
/* Runs of pages the allocator holds free right now, per order: used by
 * the report to show how the free memory is split. */
void page_alloc_free_runs(unsigned long counts[NR_PAGE_ORDERS]);
/* Pages freed longer than the purge delay go back to the OS; with force,
 * every free page does and empty segments are unmapped.  True when free
 * pages or empty segments are left for a later pass. */
bool page_alloc_purge(bool force);

/* The background purger (purge_thread.c): woken when pages are freed,
 * while USLAB_BACKGROUND_PURGE is on. */
extern int purge_pending;
void purge_thread_wake(void);
void purge_thread_init(void);

static inline void purge_thread_kick(void)
{
	if (uslab_opt(USLAB_OPT_BACKGROUND_PURGE) &&
	    !__atomic_load_n(&purge_pending, __ATOMIC_RELAXED))
		purge_thread_wake();
}
void page_alloc_stats(struct uslab_page_stats *st);

/* lib/fork.c: around fork(); child: locks made anew. */
void page_alloc_fork_lock(void);
void page_alloc_fork_unlock(bool child);
void purge_thread_fork_lock(void);
void purge_thread_fork_unlock(bool child);
void purge_thread_fork_child_done(void);

#endif
