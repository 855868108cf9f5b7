/*
 * page_alloc.c - the root page allocator: a buddy allocator of 4 KiB pages
 * over 4 MiB segments, per NUMA node.
 *
 * Invariants (all under the node's lock):
 *  - a free run is 2^order pages, naturally aligned inside its segment, its
 *    head descriptor has kind PAGE_FREE and sits on exactly one list:
 *    free_dirty[order] (pages may be resident, newest first) or
 *    free_clean[order] (never touched, or given back with madvise);
 *  - the other pages of a free run have descriptors of kind PAGE_NONE and
 *    head_offset 0, so a stale pointer into free memory finds no slab;
 *  - the pages of a run in use have kind PAGE_TAIL and head_offset pointing
 *    at the head, whose kind says what the run is;
 *  - a page's page_info word is 0 unless its run is in use (the slab layer
 *    writes it for the pages of a slab): freeing a run clears it;
 *  - a run being purged (kind PAGE_PURGING) is on no list: the node lock
 *    is dropped while madvise gives its pages back, so that allocations
 *    do not wait behind purges; nothing coalesces with it meanwhile, and
 *    its segment counts it in 'purging' and cannot become empty (its node
 *    in nr_purging, which a forced purge waits to see at zero);
 *  - a segment with no page in use and none being purged is "empty": its
 *    runs (then fully coalesced) leave the free lists, it waits on the
 *    node's empty list, and it is unmapped once it has stayed empty for
 *    the purge delay (or at once when forced).
 * Blocks above the largest run are mappings of their own; freed, they wait
 * in huge_cache.c for reuse, under its own lock (never with a node's).
 * Free memory goes back to the OS only during a page allocator call (or an
 * explicit purge): a quiescent process does no work.
 */
#include <sched.h>
#include <string.h>

#include "base/fault_attr.h"
#include "base/options.h"
#include "base/os.h"
#include "base/report.h"
#include "base/start.h"
#include "page/huge_cache.h"
#include "page/page_alloc.h"
#include "page/segment.h"

struct page_alloc_node {
	spinlock_t lock;
	struct list_head free_dirty[NR_PAGE_ORDERS];
	struct list_head free_clean[NR_PAGE_ORDERS];
	struct list_head segments;   /* segments with pages in use */
	struct list_head empty;      /* empty segments, newest first */
	uint64_t last_purge;         /* ms of the last purge pass */
	/* Runs detached for a purge that some thread is giving back now:
	 * a forced purge waits for them (malloc_trim's "at once"). */
	unsigned long nr_purging;
	bool initialised;
};

struct root_page_allocator {
	struct uslab_page_allocator pa;
	struct page_alloc_node node[MAX_NUMNODES];
};

/* Figures for uslab_page_stats(); atomics so readers take no lock. */
static struct {
	unsigned long segments, huge_mappings, bytes_mapped;
	unsigned long pages_in_use, pages_free_cached, pages_free_clean;
	unsigned long alloc_requests, free_requests, failed_requests;
	unsigned long purges, segments_unmapped;
} pstat;

#define PSTAT_ADD(f, n) __atomic_add_fetch(&pstat.f, (n), __ATOMIC_RELAXED)
#define PSTAT_SUB(f, n) __atomic_sub_fetch(&pstat.f, (n), __ATOMIC_RELAXED)

static struct root_page_allocator root;
struct uslab_page_allocator *root_page_allocator = &root.pa;
struct uslab_page_allocator *current_page_allocator = &root.pa;

static struct page_alloc_node *get_pa_node(int node)
{
	if (node < 0 || !os_node_online(node))
		node = os_current_node();
	return &root.node[node];
}

static int pa_node_id(struct page_alloc_node *n)
{
	return (int)(n - root.node);
}

/* ------------------------------------------------------------ free runs */

static void add_free_run(struct page_alloc_node *n, struct slab *head, unsigned int order,
			 bool dirty, uint64_t freed_at)
{
	head->kind = PAGE_FREE;
	head->order = (uint8_t)order;
	head->head_offset = 0;
	head->slab_cache = NULL;
	head->dirty = dirty;
	head->freed_at = freed_at;
	if (dirty)
		list_add(&head->slab_list, &n->free_dirty[order]);
	else
		list_add(&head->slab_list, &n->free_clean[order]);
}

static void del_free_run(struct slab *head)
{
	list_del(&head->slab_list);
}

/* Cuts the segment's usable pages into the largest aligned runs. */
static void segment_for_each_block(struct segment *seg,
				   void (*fn)(struct page_alloc_node *, struct segment *,
					      unsigned int idx, unsigned int order),
				   struct page_alloc_node *n)
{
	unsigned int idx = seg->first_page;

	while (idx < SEGMENT_PAGES) {
		unsigned int order = PAGE_ALLOC_MAX_ORDER;

		while ((idx & ((1u << order) - 1)) || idx + (1u << order) > SEGMENT_PAGES)
			order--;
		fn(n, seg, idx, order);
		idx += 1u << order;
	}
}

static void block_add_clean(struct page_alloc_node *n, struct segment *seg, unsigned int idx,
			    unsigned int order)
{
	add_free_run(n, &seg->pages[idx], order, false, 0);
}

/* Runs of an empty segment are exactly its blocks (fully coalesced). */
static void block_unlist(struct page_alloc_node *n, struct segment *seg, unsigned int idx,
			 unsigned int order)
{
	(void)n; (void)order;
	del_free_run(&seg->pages[idx]);
}

static void block_relist(struct page_alloc_node *n, struct segment *seg, unsigned int idx,
			 unsigned int order)
{
	struct slab *head = &seg->pages[idx];

	add_free_run(n, head, order, head->dirty, head->freed_at);
}

static unsigned long segment_usable_pages(const struct segment *seg)
{
	return SEGMENT_PAGES - seg->first_page;
}

/* Takes a run of exactly 2^order pages off the free lists, splitting a
 * larger one; resident (dirty) runs are preferred to clean ones. */
static struct slab *take_free_run(struct page_alloc_node *n, unsigned int order)
{
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
		struct list_head *list = NULL;
		struct slab *head;
		struct segment *seg;
		unsigned int idx;

		if (!list_empty(&n->free_dirty[o]))
			list = &n->free_dirty[o];
		else if (!list_empty(&n->free_clean[o]))
			list = &n->free_clean[o];
		if (!list)
			continue;
		head = list_first_entry(list, struct slab, slab_list);
		del_free_run(head);
		seg = ptr_segment(head);
		idx = slab_page_index(head);
		while (o > order) {
			o--;
			add_free_run(n, &seg->pages[idx + (1u << o)], o, head->dirty, head->freed_at);
		}
		head->order = (uint8_t)order;
		return head;
	}
	return NULL;
}

/* ------------------------------------------------------------- purging */

/* What a purge pass found under the node lock, for the caller to finish
 * once it has dropped the lock: runs to give back, segments to unmap. */
struct unmap_batch {
	struct list_head list;     /* empty segments */
	struct list_head purge;    /* PAGE_PURGING runs, on slab_list */
};

#define UNMAP_BATCH_INIT(b) { LIST_HEAD_INIT((b).list), LIST_HEAD_INIT((b).purge) }

/* Called with n->lock held.  Dirty runs old enough (all, when forced) are
 * detached onto batch->purge and empty segments onto batch->list; the
 * caller purges and unmaps them after it drops the lock (finish_batch). */
static void purge_node(struct page_alloc_node *n, uint64_t now, bool force,
		       struct unmap_batch *batch)
{
	long delay = uslab_opt(USLAB_OPT_PURGE_DELAY_MS);
	struct segment *seg, *tmp;

	if (!force) {
		if (delay < 0)
			return;
		if (now - n->last_purge < (uint64_t)(delay / 2) && now >= n->last_purge)
			return;
	}
	n->last_purge = now;

	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		struct list_head *list = &n->free_dirty[o];

		/* Oldest at the tail. */
		while (!list_empty(list)) {
			struct slab *head = list_last_entry(list, struct slab, slab_list);

			if (!force && now - head->freed_at < (uint64_t)delay)
				break;
			head->kind = PAGE_PURGING;
			ptr_segment(head)->purging++;
			__atomic_add_fetch(&n->nr_purging, 1, __ATOMIC_RELAXED);
			list_move_tail(&head->slab_list, &batch->purge);
		}
	}

	list_for_each_entry_safe(seg, tmp, &n->empty, seg_list) {
		if (!force && now - seg->freed_at < (uint64_t)delay)
			continue;
		list_del(&seg->seg_list);
		list_add(&seg->seg_list, &batch->list);
	}
}

/* An empty segment leaves the free lists for the empty list; n->lock held. */
static void segment_make_empty(struct page_alloc_node *n, struct segment *seg, uint64_t now)
{
	segment_for_each_block(seg, block_unlist, n);
	seg->empty = true;
	seg->freed_at = now;
	list_del(&seg->seg_list);
	list_add(&seg->seg_list, &n->empty);
}

/* Puts the free run of 2^order pages at idx on the free lists, merged
 * with its free buddies; its pages are counted cached if dirty, else
 * clean.  A merged run is dirty if any part is.  n->lock held. */
static void insert_free_run(struct page_alloc_node *n, struct segment *seg, unsigned int idx,
			    unsigned int order, bool dirty, uint64_t freed_at)
{
	while (order < PAGE_ALLOC_MAX_ORDER) {
		unsigned int buddy_idx = idx ^ (1u << order);
		struct slab *buddy;

		if (buddy_idx < seg->first_page || buddy_idx + (1u << order) > SEGMENT_PAGES)
			break;
		buddy = &seg->pages[buddy_idx];
		if (buddy->kind != PAGE_FREE || buddy->order != order)
			break;
		del_free_run(buddy);
		if (buddy->dirty != dirty) {
			/* The clean half is now part of a dirty run. */
			PSTAT_SUB(pages_free_clean, 1UL << order);
			PSTAT_ADD(pages_free_cached, 1UL << order);
		}
		if (buddy->dirty)
			freed_at = dirty && freed_at > buddy->freed_at ? freed_at : buddy->freed_at;
		dirty |= buddy->dirty;
		buddy->kind = PAGE_NONE;
		idx &= ~(1u << order);
		order++;
	}
	add_free_run(n, &seg->pages[idx], order, dirty, dirty ? freed_at : 0);
}

/*
 * Finishes a purge pass with n->lock dropped: the detached runs' pages go
 * back to the OS, then the runs go back on the free lists, clean (a
 * segment left empty meanwhile becomes empty now); then the empty
 * segments are unmapped.
 */
static void unmap_batch(struct unmap_batch *batch);

static void finish_batch(struct page_alloc_node *n, struct unmap_batch *batch)
{
	struct slab *head, *tmp;

	if (!list_empty(&batch->purge)) {
		uint64_t now = os_now_ms();

		list_for_each_entry(head, &batch->purge, slab_list)
			os_purge(slab_address(head), PAGE_SIZE << head->order);
		spin_lock(&n->lock);
		list_for_each_entry_safe(head, tmp, &batch->purge, slab_list) {
			struct segment *seg = ptr_segment(head);
			unsigned long pages = 1UL << head->order;

			list_del(&head->slab_list);
			head->kind = PAGE_NONE;
			__atomic_sub_fetch(&n->nr_purging, 1, __ATOMIC_RELEASE);
			PSTAT_SUB(pages_free_cached, pages);
			PSTAT_ADD(pages_free_clean, pages);
			PSTAT_ADD(purges, 1);
			insert_free_run(n, seg, slab_page_index(head), head->order, false, 0);
			if (!--seg->purging && !seg->used_pages)
				segment_make_empty(n, seg, now);
		}
		spin_unlock(&n->lock);
	}
	unmap_batch(batch);
}

/* Unmaps the segments purge_node() collected; no lock held. */
static void unmap_batch(struct unmap_batch *batch)
{
	while (!list_empty(&batch->list)) {
		struct segment *seg = list_first_entry(&batch->list, struct segment, seg_list);
		unsigned long cached = 0, pages = segment_usable_pages(seg);
		unsigned int idx = seg->first_page;

		list_del(&seg->seg_list);
		while (idx < SEGMENT_PAGES) {
			struct slab *head = &seg->pages[idx];

			if (head->dirty)
				cached += 1UL << head->order;
			idx += 1u << head->order;
		}
		PSTAT_SUB(pages_free_cached, cached);
		PSTAT_SUB(pages_free_clean, pages - cached);
		PSTAT_SUB(segments, 1);
		PSTAT_SUB(bytes_mapped, SEGMENT_SIZE);
		PSTAT_ADD(segments_unmapped, 1);
		segment_destroy(seg);
	}
}

/* ------------------------------------------------------- alloc and free */

static void mark_run_in_use(struct slab *head, unsigned int order, enum page_kind kind, int node)
{
	unsigned long pages = 1UL << order;

	head->kind = (uint8_t)kind;
	head->order = (uint8_t)order;
	head->head_offset = 0;
	head->node = (uint8_t)node;
	head->dirty = 0;
	head->counters = 0;
	head->freelist = NULL;
	head->slab_cache = NULL;
	head->on_partial = 0;
	for (unsigned long i = 1; i < pages; i++) {
		head[i].kind = PAGE_TAIL;
		head[i].head_offset = (uint16_t)(i * sizeof(struct slab));
	}
}

/* The kernel's fail_page_alloc (knobs: base/fault_attr.c): never
 * __GFP_NOFAIL, orders below min-order spared, and (ignore-gfp-wait) only
 * requests that may not block. */
static bool should_fail_alloc_page(gfp_t gfp, unsigned int order)
{
	struct fault_attr *a = &fail_page_alloc_attr;

	if (likely(!fault_attr_armed(a)) || (gfp & __GFP_NOFAIL) ||
	    order < (unsigned long)__atomic_load_n(&a->min_order, __ATOMIC_RELAXED))
		return false;
	if ((gfp & __GFP_DIRECT_RECLAIM) && __atomic_load_n(&a->ignore_gfp_wait, __ATOMIC_RELAXED))
		return false;
	return should_fail(a, PAGE_SIZE << order, gfp & __GFP_NOWARN);
}

static struct slab *root_alloc_pages(struct uslab_page_allocator *pa, unsigned int order,
				     int node, gfp_t gfp, enum page_kind kind)
{
	struct page_alloc_node *n = get_pa_node(node);
	struct unmap_batch batch = UNMAP_BATCH_INIT(batch);
	struct slab *head;
	struct segment *seg;
	bool dirty;

	(void)pa;
	if (order > PAGE_ALLOC_MAX_ORDER)
		return NULL;
	if ((gfp & __GFP_THISNODE) && node >= 0 && !os_node_online(node))
		return NULL;
	PSTAT_ADD(alloc_requests, 1);
	if (unlikely(should_fail_alloc_page(gfp, order))) {
		PSTAT_ADD(failed_requests, 1);
		return NULL;
	}
	spin_lock(&n->lock);
	head = take_free_run(n, order);
	if (!head && !list_empty(&n->empty)) {
		seg = list_first_entry(&n->empty, struct segment, seg_list);
		list_del(&seg->seg_list);
		seg->empty = false;
		list_add(&seg->seg_list, &n->segments);
		segment_for_each_block(seg, block_relist, n);
		head = take_free_run(n, order);
	}
	if (!head) {
		spin_unlock(&n->lock);
		seg = segment_create(pa_node_id(n));
		spin_lock(&n->lock);
		if (!seg) {
			spin_unlock(&n->lock);
			PSTAT_ADD(failed_requests, 1);
			return NULL;
		}
		PSTAT_ADD(segments, 1);
		PSTAT_ADD(bytes_mapped, SEGMENT_SIZE);
		PSTAT_ADD(pages_free_clean, segment_usable_pages(seg));
		list_add(&seg->seg_list, &n->segments);
		segment_for_each_block(seg, block_add_clean, n);
		head = take_free_run(n, order);
	}
	seg = ptr_segment(head);
	dirty = head->dirty;
	seg->used_pages += 1u << order;
	mark_run_in_use(head, order, kind, pa_node_id(n));
	if (dirty)
		PSTAT_SUB(pages_free_cached, 1UL << order);
	else
		PSTAT_SUB(pages_free_clean, 1UL << order);
	PSTAT_ADD(pages_in_use, 1UL << order);
	purge_node(n, os_now_ms(), false, &batch);
	spin_unlock(&n->lock);
	finish_batch(n, &batch);
	return head;
}

static struct slab *root_alloc_huge(struct uslab_page_allocator *pa, size_t bytes, size_t align,
				    int node, gfp_t gfp)
{
	struct segment *seg;
	struct slab *head;
	size_t off;

	(void)pa;
	PSTAT_ADD(alloc_requests, 1);
	if (unlikely(should_fail_alloc_page(gfp, (unsigned int)fls_long(bytes - 1) - PAGE_SHIFT))) {
		PSTAT_ADD(failed_requests, 1);
		return NULL;
	}
	if (node < 0 || !os_node_online(node))
		node = os_current_node();
	head = huge_cache_take(bytes, align, node, gfp & __GFP_ZERO, os_now_ms());
	if (head) {
		PSTAT_ADD(pages_in_use, ptr_segment(head)->used_pages);
		return head;
	}
	/* Room to grow into when reused; a fresh mapping reads as zeros. */
	seg = segment_create_huge(huge_round_room(bytes), align, node, &off);
	if (!seg) {
		PSTAT_ADD(failed_requests, 1);
		return NULL;
	}
	seg->used_pages = (unsigned int)(ALIGN(bytes, PAGE_SIZE) >> PAGE_SHIFT);
	seg->huge_head = (uint16_t)(off >> PAGE_SHIFT);
	huge_cache_count_new(seg);
	PSTAT_ADD(huge_mappings, 1);
	PSTAT_ADD(bytes_mapped, seg->mapped_size);
	PSTAT_ADD(pages_in_use, seg->used_pages);
	return &seg->pages[off >> PAGE_SHIFT];
}

void huge_mapping_unmap(struct segment *seg)
{
	PSTAT_SUB(huge_mappings, 1);
	PSTAT_SUB(bytes_mapped, seg->mapped_size);
	segment_destroy(seg);
}

size_t huge_usable_size(const struct slab *head)
{
	return (size_t)ptr_segment(head)->used_pages << PAGE_SHIFT;
}

static void root_free_pages(struct uslab_page_allocator *pa, struct slab *head)
{
	struct segment *seg = ptr_segment(head);
	struct page_alloc_node *n;
	struct unmap_batch batch = UNMAP_BATCH_INIT(batch);
	unsigned int idx, order;
	unsigned long pages;
	uint64_t now;

	(void)pa;
	PSTAT_ADD(free_requests, 1);
	if (seg->kind == SEGMENT_HUGE) {
		PSTAT_SUB(pages_in_use, seg->used_pages);
		huge_cache_put(seg, head, os_now_ms());
		purge_thread_kick();
		return;
	}
	n = &root.node[seg->node];
	order = head->order;
	pages = 1UL << order;
	idx = slab_page_index(head);
	now = os_now_ms();

	spin_lock(&n->lock);
	for (unsigned long i = 1; i < pages; i++) {
		head[i].kind = PAGE_NONE;
		head[i].head_offset = 0;
	}
	for (unsigned long i = 0; i < pages; i++)
		__atomic_store_n(&seg->page_info[idx + i], 0, __ATOMIC_RELAXED);
	head->slab_cache = NULL;
	head->kind = PAGE_NONE;
	seg->used_pages -= (unsigned int)pages;
	PSTAT_SUB(pages_in_use, pages);
	PSTAT_ADD(pages_free_cached, pages);

	insert_free_run(n, seg, idx, order, true, now);
	if (seg->used_pages == 0 && !seg->purging)
		segment_make_empty(n, seg, now);
	purge_node(n, now, false, &batch);
	spin_unlock(&n->lock);
	finish_batch(n, &batch);
	purge_thread_kick();
}

/* One pass over node n; true if dirty runs or empty segments are left. */
static bool purge_node_pass(struct page_alloc_node *n, uint64_t now, bool force)
{
	struct unmap_batch batch = UNMAP_BATCH_INIT(batch);
	bool left = false;

	spin_lock(&n->lock);
	/* A pass of the background purger is never skipped as too soon. */
	n->last_purge = 0;
	purge_node(n, now, force, &batch);
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
		left |= !list_empty(&n->free_dirty[o]);
	left |= !list_empty(&n->empty);
	spin_unlock(&n->lock);
	finish_batch(n, &batch);
	return left;
}

/* Until no run of n is detached for a purge by another thread (the
 * background purger, a free's pass): their madvise runs without the lock,
 * and their segments cannot be unmapped meanwhile. */
static bool wait_for_purges(struct page_alloc_node *n)
{
	bool waited = false;

	while (__atomic_load_n(&n->nr_purging, __ATOMIC_ACQUIRE)) {
		waited = true;
		sched_yield();
	}
	return waited;
}

bool page_alloc_purge(bool force)
{
	uint64_t now = os_now_ms();
	bool left = false;

	for (int i = 0; i < os_nr_nodes(); i++) {
		struct page_alloc_node *n = &root.node[i];

		if (!n->initialised)
			continue;
		left |= purge_node_pass(n, now, force);
		/* Forced, the memory is back when this returns: a pass that
		 * was running elsewhere is waited for, and what it left (its
		 * segments, empty now) goes in a second pass. */
		if (force && wait_for_purges(n))
			left = purge_node_pass(n, now, force);
	}
	left |= huge_cache_purge(now, uslab_opt(USLAB_OPT_PURGE_DELAY_MS), force);
	return left;
}

void page_alloc_fork_lock(void)
{
	for (int i = 0; i < os_nr_nodes(); i++)
		spin_lock(&root.node[i].lock);
	huge_cache_fork_lock();
}

/* In the child: runs that a thread (gone now) had detached for a purge go
 * back on the lists, dirty, as if never purged. */
static void reclaim_purging_runs(struct page_alloc_node *n)
{
	struct segment *seg, *tmp;

	list_for_each_entry_safe(seg, tmp, &n->segments, seg_list) {
		if (!seg->purging)
			continue;
		/* Page by page: merging changes where the runs start. */
		for (unsigned int idx = seg->first_page; seg->purging && idx < SEGMENT_PAGES; idx++) {
			struct slab *head = &seg->pages[idx];

			if (head->kind == PAGE_PURGING) {
				head->kind = PAGE_NONE;
				insert_free_run(n, seg, idx, head->order, true, os_now_ms());
				seg->purging--;
				__atomic_sub_fetch(&n->nr_purging, 1, __ATOMIC_RELEASE);
			}
		}
		if (!seg->used_pages)
			segment_make_empty(n, seg, os_now_ms());
	}
}

void page_alloc_fork_unlock(bool child)
{
	huge_cache_fork_unlock(child);
	for (int i = 0; i < os_nr_nodes(); i++) {
		if (child) {
			spin_lock_init(&root.node[i].lock, LOCK_RANK_PAGE_ALLOC);
			if (root.node[i].initialised)
				reclaim_purging_runs(&root.node[i]);
		} else {
			spin_unlock(&root.node[i].lock);
		}
	}
}

void page_alloc_free_runs(unsigned long counts[NR_PAGE_ORDERS])
{
	memset(counts, 0, sizeof(unsigned long) * NR_PAGE_ORDERS);
	for (int i = 0; i < os_nr_nodes(); i++) {
		struct page_alloc_node *n = &root.node[i];
		struct slab *head;

		if (!n->initialised)
			continue;
		spin_lock(&n->lock);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			list_for_each_entry(head, &n->free_dirty[o], slab_list)
				counts[o]++;
			list_for_each_entry(head, &n->free_clean[o], slab_list)
				counts[o]++;
		}
		spin_unlock(&n->lock);
	}
}

void page_alloc_stats(struct uslab_page_stats *st)
{
#define PSTAT_READ(f) st->f = __atomic_load_n(&pstat.f, __ATOMIC_RELAXED)
	PSTAT_READ(segments);
	PSTAT_READ(huge_mappings);
	PSTAT_READ(bytes_mapped);
	PSTAT_READ(pages_in_use);
	PSTAT_READ(pages_free_cached);
	PSTAT_READ(pages_free_clean);
	PSTAT_READ(alloc_requests);
	PSTAT_READ(free_requests);
	PSTAT_READ(failed_requests);
	PSTAT_READ(purges);
	PSTAT_READ(segments_unmapped);
#undef PSTAT_READ
	st->huge_cached = __atomic_load_n(&huge_stats.cached, __ATOMIC_RELAXED);
	st->huge_reused = __atomic_load_n(&huge_stats.reused, __ATOMIC_RELAXED);
	st->pages_free_cached += __atomic_load_n(&huge_stats.resident_pages, __ATOMIC_RELAXED);
}

static bool root_resize_huge(struct uslab_page_allocator *pa, struct slab *head, size_t bytes,
			     gfp_t gfp)
{
	struct segment *seg = ptr_segment(head);
	unsigned long before = seg->used_pages;

	(void)pa;
	if (!huge_cache_resize(seg, bytes, gfp & __GFP_ZERO, os_now_ms()))
		return false;
	purge_thread_kick();
	/* Unsigned wrap-around: the delta either way. */
	PSTAT_ADD(pages_in_use, (unsigned long)seg->used_pages - before);
	return true;
}

static const struct page_allocator_ops root_ops = {
	.alloc_pages = root_alloc_pages,
	.alloc_huge = root_alloc_huge,
	.free_pages = root_free_pages,
	.resize_huge = root_resize_huge,
	.destroy = NULL,
};

void page_alloc_init(void)
{
	root.pa.ops = &root_ops;
	root.pa.base = NULL;
	root.pa.name = "buddy";
	for (int i = 0; i < os_nr_nodes(); i++) {
		struct page_alloc_node *n = &root.node[i];

		spin_lock_init(&n->lock, LOCK_RANK_PAGE_ALLOC);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			INIT_LIST_HEAD(&n->free_dirty[o]);
			INIT_LIST_HEAD(&n->free_clean[o]);
		}
		INIT_LIST_HEAD(&n->segments);
		INIT_LIST_HEAD(&n->empty);
		n->last_purge = os_now_ms();
		n->initialised = true;
	}
}

/* ------------------------------------------------------------ public API */

USLAB_API struct uslab_page_allocator *uslab_root_page_allocator(void)
{
	uslab_ensure_init();
	return root_page_allocator;
}

USLAB_API struct uslab_page_allocator *uslab_set_page_allocator(struct uslab_page_allocator *pa)
{
	uslab_ensure_init();
	return __atomic_exchange_n(&current_page_allocator, pa ? pa : root_page_allocator,
				   __ATOMIC_ACQ_REL);
}

USLAB_API void uslab_page_stats(struct uslab_page_stats *st)
{
	uslab_ensure_init();
	page_alloc_stats(st);
}

USLAB_API void uslab_page_purge(void)
{
	uslab_ensure_init();
	page_alloc_purge(true);
}
