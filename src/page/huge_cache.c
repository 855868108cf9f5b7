/*
 * huge_cache.c - freed huge mappings kept for reuse, and the spare pages
 * of the blocks that reuse them.
 *
 * A block above the largest run (2 MiB) is a mapping of its own
 * (segment.c).  Unmapping it at free and mapping a fresh one at the next
 * allocation costs a page fault per 4 KiB of the new block, each zeroing
 * its page: a program that replaces large buffers in a loop spends most
 * of its time there.  So a freed huge mapping waits here, its pages still
 * resident, for a request it fits:
 *
 *  - a mapping is made with room to grow: its data part is the request
 *    rounded up to 1 or 1.5 times a power of two (at most half as much
 *    address space again, never more memory: uslab touches no page
 *    beyond what a block asks for);
 *  - a request takes, among the cached mappings with room for it, the one
 *    whose resident pages cover it most tightly, or if none covers it the
 *    one with the most resident pages: fewest faults either way;
 *  - the resident pages beyond the block ("spare") stay, up to as many
 *    again as the block asks for (the rest go back at once): the block's
 *    mapping, freed again, then serves a larger request without faults.
 *    Spare pages of a block held longer than the purge delay go back to
 *    the OS in a purge pass or at the next huge free;
 *  - at most HUGE_CACHE_MAX mappings, and of their resident pages at
 *    most HUGE_CACHE_MIN_BYTES or half the bytes in huge blocks
 *    (whichever is more), wait here: the oldest go first.  Each is
 *    unmapped once it has waited the purge delay (a purge pass: the
 *    background purger, or the next huge free), all of them on a forced
 *    purge (malloc_trim, uslab_reclaim, uslab_page_purge).
 *
 * A block being taken is on no list: its madvise calls run unlocked.  The
 * purge of a held block's spare pages runs under huge_lock, so that the
 * block cannot be freed and its mapping handed to another request
 * meanwhile (a huge free may wait for it); munmap runs outside the lock.
 * A madvise the kernel refuses (locked memory) leaves resident_end where
 * it was: __GFP_ZERO then zeroes those bytes too.
 *
 * A cached mapping stays in segment_map (its addresses are still uslab's)
 * with its head descriptor cleared: freeing the block again is reported
 * (as a pointer to no allocated object).  huge_lock guards both lists and, for the segments on
 * them, seg_list, freed_at, resident_end, huge_list and huge_head; it is
 * a leaf lock, never held with a node lock (but by the fork handler,
 * after them).
 */
#include <stddef.h>
#include <string.h>

#include "base/options.h"
#include "base/os.h"
#include "page/huge_cache.h"
#include "page/segment.h"

#define HUGE_CACHE_MAX 8
#define HUGE_CACHE_MIN_BYTES (64UL << 20)

enum huge_list {
	HUGE_LIVE = 0,   /* a block in use, no spare pages: on no list */
	HUGE_SPARE,      /* a block in use with spare pages: on huge_spare */
	HUGE_CACHED,     /* freed, waiting for reuse: on huge_cached */
};

static spinlock_t huge_lock = SPINLOCK_INIT(LOCK_RANK_HUGE_CACHE);
static struct list_head huge_cached = LIST_HEAD_INIT(huge_cached);   /* newest first */
static struct list_head huge_spare = LIST_HEAD_INIT(huge_spare);
static unsigned long nr_cached, cached_bytes;   /* resident bytes of the cached */
static unsigned long huge_bytes_in_use;         /* data bytes of live blocks */

struct huge_cache_stats huge_stats;

/* The header may run into pages[1]: a header page, whose descriptor is
 * zero where a lookup reads it (types.h). */
_Static_assert(offsetof(struct segment, huge_head) + sizeof(uint16_t) <=
	       sizeof(struct slab) + offsetof(struct slab, slab_cache),
	       "the segment header reached pages[1].slab_cache");

/* The end of the block's data, as an offset into its mapping. */
static size_t data_end(const struct segment *seg, size_t off)
{
	return off + ((size_t)seg->used_pages << PAGE_SHIFT);
}

/* Resident bytes no block uses: all of a cached mapping's (from its first
 * data page), the pages past a live block's end. */
static size_t spare_bytes(const struct segment *seg, size_t off)
{
	size_t from = seg->huge_list == HUGE_CACHED ? (size_t)seg->first_page << PAGE_SHIFT :
		      data_end(seg, off);

	return seg->resident_end > from ? seg->resident_end - from : 0;
}

static void count_spare(const struct segment *seg, size_t off, bool add)
{
	unsigned long pages = spare_bytes(seg, off) >> PAGE_SHIFT;

	if (add)
		__atomic_add_fetch(&huge_stats.resident_pages, pages, __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(&huge_stats.resident_pages, pages, __ATOMIC_RELAXED);
}

size_t huge_round_room(size_t bytes)
{
	size_t step;

	bytes = ALIGN(bytes, PAGE_SIZE);
	/* Beyond 256 MiB the request is mapped as asked: the address space
	 * (and, with strict overcommit, the commit charge) of a rounding
	 * would be too much to ask for a reuse that may never come. */
	if (bytes > (256UL << 20))
		return bytes;
	/* A quarter of the power of two above: 1 or 1.5 times the one below. */
	step = (size_t)1 << (fls_long(bytes - 1) - 2);
	return ALIGN(bytes, step);
}

/* True when an entry stamped at t has waited delay ms by now; t may be
 * later than now (stamped by another thread after now was read). */
static bool waited(uint64_t t, uint64_t now, long delay)
{
	return delay >= 0 && t <= now && now - t >= (uint64_t)delay;
}

/* huge_lock held: seg leaves the cached list. */
static void uncache(struct segment *seg)
{
	list_del(&seg->seg_list);
	nr_cached--;
	cached_bytes -= spare_bytes(seg, 0);
	__atomic_sub_fetch(&huge_stats.cached, 1, __ATOMIC_RELAXED);
	count_spare(seg, 0, false);
}

static void unmap_list(struct list_head *list)
{
	while (!list_empty(list)) {
		struct segment *seg = list_first_entry(list, struct segment, seg_list);

		list_del(&seg->seg_list);
		huge_mapping_unmap(seg);
	}
}

/* huge_lock held: the oldest cached mappings beyond the bounds, or that
 * have waited the purge delay, onto out. */
static void trim_cache(struct list_head *out, uint64_t now, long delay, bool force)
{
	unsigned long max_bytes = huge_bytes_in_use / 2;

	if (max_bytes < HUGE_CACHE_MIN_BYTES)
		max_bytes = HUGE_CACHE_MIN_BYTES;
	while (nr_cached) {
		struct segment *seg = list_last_entry(&huge_cached, struct segment, seg_list);

		if (!force && nr_cached <= HUGE_CACHE_MAX && cached_bytes <= max_bytes &&
		    !waited(seg->freed_at, now, delay))
			break;
		uncache(seg);
		list_add(&seg->seg_list, out);
	}
}

/* huge_lock held: a live block at off with pages past its end goes on
 * huge_spare (its spare pages age from since), or leaves it. */
static void spare_add(struct segment *seg, size_t off, uint64_t since)
{
	seg->freed_at = since;
	seg->huge_list = HUGE_SPARE;
	list_add_tail(&seg->seg_list, &huge_spare);
	count_spare(seg, off, true);
}

static void spare_del(struct segment *seg, size_t off)
{
	count_spare(seg, off, false);
	list_del(&seg->seg_list);
	seg->huge_list = HUGE_LIVE;
}

/* huge_lock held: the spare pages of blocks held the delay (all, forced)
 * go back.  Under the lock, so that the block cannot be freed and its
 * mapping handed to another request meanwhile. */
static void purge_spare(uint64_t now, long delay, bool force)
{
	struct segment *seg, *tmp;

	list_for_each_entry_safe(seg, tmp, &huge_spare, seg_list) {
		size_t off = (size_t)seg->huge_head << PAGE_SHIFT, end;

		if (!force && !waited(seg->freed_at, now, delay))
			continue;
		end = data_end(seg, off);
		if (!os_purge((char *)seg + end, seg->resident_end - end))
			continue;
		spare_del(seg, off);
		seg->resident_end = end;
	}
}

/* A live block on no list, its used_pages set: spare pages beyond as
 * many again as the block go back at once, the rest wait on huge_spare
 * for the purge delay, counted from since. */
static void hold_spare(struct segment *seg, size_t off, uint64_t since)
{
	size_t end = data_end(seg, off), keep = end + (end - off);

	if (keep > seg->mapped_size)
		keep = seg->mapped_size;
	if (seg->resident_end > keep && os_purge((char *)seg + keep, seg->resident_end - keep))
		seg->resident_end = keep;
	if (seg->resident_end <= end)
		return;
	spin_lock(&huge_lock);
	spare_add(seg, off, since);
	spin_unlock(&huge_lock);
}

void huge_cache_put(struct segment *seg, struct slab *head, uint64_t now)
{
	size_t off = (size_t)slab_page_index(head) << PAGE_SHIFT, end = data_end(seg, off);
	struct list_head out = LIST_HEAD_INIT(out);

	memset(head, 0, sizeof(*head));         /* PAGE_NONE: no block here now */
	spin_lock(&huge_lock);
	if (seg->huge_list == HUGE_SPARE)
		spare_del(seg, off);
	huge_bytes_in_use -= (size_t)seg->used_pages << PAGE_SHIFT;
	if (end > seg->resident_end)
		seg->resident_end = end;
	seg->freed_at = now;
	seg->huge_list = HUGE_CACHED;
	list_add(&seg->seg_list, &huge_cached);
	nr_cached++;
	cached_bytes += spare_bytes(seg, 0);
	__atomic_add_fetch(&huge_stats.cached, 1, __ATOMIC_RELAXED);
	count_spare(seg, 0, true);
	/* Without the background purger, huge frees are what ages them. */
	purge_spare(now, uslab_opt(USLAB_OPT_PURGE_DELAY_MS), false);
	trim_cache(&out, now, uslab_opt(USLAB_OPT_PURGE_DELAY_MS), false);
	spin_unlock(&huge_lock);
	unmap_list(&out);
}

/* Candidates with more room than this many times the request are left
 * for a request their size: a small block would hold a big mapping's
 * address space and commit charge. */
#define HUGE_ROOM_RATIO 8

struct slab *huge_cache_take(size_t bytes, size_t align, int node, bool zero, uint64_t now)
{
	size_t need = ALIGN(bytes, PAGE_SIZE), off = segment_huge_data_offset(align);
	size_t first, res, end, zero_end;
	struct segment *seg, *best = NULL;
	size_t best_res = 0;
	struct slab *head;

	/* The head descriptor must lie in the table. */
	if (!__atomic_load_n(&huge_stats.cached, __ATOMIC_RELAXED) || off >= SEGMENT_SIZE)
		return NULL;
	spin_lock(&huge_lock);
	list_for_each_entry(seg, &huge_cached, seg_list) {
		size_t room = seg->mapped_size > off ? seg->mapped_size - off : 0;

		if (seg->node != node || room < need || room / HUGE_ROOM_RATIO > need)
			continue;
		res = seg->resident_end > off ? seg->resident_end - off : 0;
		/* Covering it: the tightest; not covering it: the most. */
		if (!best || (res >= need ? best_res < need || res < best_res : res > best_res)) {
			best = seg;
			best_res = res;
		}
	}
	if (!best) {
		spin_unlock(&huge_lock);
		return NULL;
	}
	seg = best;
	uncache(seg);
	huge_bytes_in_use += need;
	__atomic_add_fetch(&huge_stats.reused, 1, __ATOMIC_RELAXED);
	spin_unlock(&huge_lock);

	/* On no list now: nobody else reads or writes its fields. */
	seg->used_pages = (unsigned int)(need >> PAGE_SHIFT);
	seg->huge_head = (uint16_t)(off >> PAGE_SHIFT);
	seg->huge_list = HUGE_LIVE;
	first = (size_t)seg->first_page << PAGE_SHIFT;
	end = off + need;
	/* The last block's pages below this one's start (a larger
	 * alignment) would be resident and counted nowhere: they go back. */
	if (off > first && seg->resident_end > first)
		os_purge((char *)seg + first, (seg->resident_end < off ? seg->resident_end : off) - first);
	/* What was resident holds the last block's bytes; the rest is zero
	 * (below resident_end only where madvise failed: locked memory). */
	zero_end = seg->resident_end < end ? seg->resident_end : end;
	if (zero && zero_end > off)
		memset((char *)seg + off, 0, zero_end - off);
	head = &seg->pages[off >> PAGE_SHIFT];
	head->kind = PAGE_HUGE;
	head->node = seg->node;
	hold_spare(seg, off, now);
	return head;
}

bool huge_cache_resize(struct segment *seg, size_t bytes, bool zero, uint64_t now)
{
	size_t off = (size_t)seg->huge_head << PAGE_SHIFT, need = ALIGN(bytes, PAGE_SIZE);
	size_t old_end = data_end(seg, off), new_end = off + need, zero_end;
	uint64_t since = now;

	if (off >= seg->mapped_size || seg->mapped_size - off < need)
		return false;
	spin_lock(&huge_lock);
	/* Spare pages age from when they became spare, not from each
	 * resize: a block resized in a loop must not hold them forever. */
	if (seg->huge_list == HUGE_SPARE) {
		since = seg->freed_at;
		spare_del(seg, off);
	}
	/* The block's own pages were resident, whatever resident_end said
	 * of a mapping never cached: a shrink leaves them spare, and a later
	 * zeroed growth must know they hold bytes. */
	if (old_end > seg->resident_end)
		seg->resident_end = old_end;
	huge_bytes_in_use += need;
	huge_bytes_in_use -= (size_t)seg->used_pages << PAGE_SHIFT;
	seg->used_pages = (unsigned int)(need >> PAGE_SHIFT);
	spin_unlock(&huge_lock);

	/* On no list now.  Grown into resident pages: they hold an earlier
	 * block's bytes (or this one's, shrunk before); beyond resident_end
	 * the pages are fresh zeros. */
	zero_end = seg->resident_end < new_end ? seg->resident_end : new_end;
	if (zero && zero_end > old_end)
		memset((char *)seg + old_end, 0, zero_end - old_end);
	hold_spare(seg, off, since);
	return true;
}

void huge_cache_count_new(struct segment *seg)
{
	spin_lock(&huge_lock);
	huge_bytes_in_use += (size_t)seg->used_pages << PAGE_SHIFT;
	spin_unlock(&huge_lock);
}

bool huge_cache_purge(uint64_t now, long delay, bool force)
{
	struct list_head out = LIST_HEAD_INIT(out);
	bool left;

	if (!__atomic_load_n(&huge_stats.resident_pages, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&huge_stats.cached, __ATOMIC_RELAXED))
		return false;
	spin_lock(&huge_lock);
	purge_spare(now, delay, force);
	trim_cache(&out, now, delay, force);
	left = nr_cached > 0 || !list_empty(&huge_spare);
	spin_unlock(&huge_lock);
	unmap_list(&out);
	return left && delay >= 0;
}

void huge_cache_fork_lock(void)
{
	spin_lock(&huge_lock);
}

void huge_cache_fork_unlock(bool child)
{
	if (child)
		spin_lock_init(&huge_lock, LOCK_RANK_HUGE_CACHE);
	else
		spin_unlock(&huge_lock);
}
