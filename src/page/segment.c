/*
 * segment.c - creating and unmapping segments, and the segment map.
 *
 * A segment is SEGMENT_SIZE-aligned and fenced: the page below it (part
 * of its mapping) and the page after its descriptor table are PROT_NONE,
 * so that no linear overflow or underflow out of an object - this
 * segment's first, or the last of whatever lies below - reaches the
 * descriptors.  Each segment is then four mappings (the kernel's
 * vm.max_map_count, 65530 by default, allows some 16k segments: 64 GiB);
 * USLAB_SEGMENT_GUARDS=0 leaves the guard pages out (not the layout).  Its
 * first segment_header_pages() pages hold struct segment: one descriptor
 * and one info word per page.  That memory is touched only for pages that
 * get used, so the table costs resident memory in proportion to the pages
 * in use (64 bytes per 4 KiB page, and a 4 KiB page of info words for any
 * segment in use).
 *
 * segment_map bits are set after a segment is fully initialised and
 * cleared before it is unmapped; the page allocator owns both calls.
 */
#include <string.h>

#include "base/options.h"
#include "base/os.h"
#include "base/sanitizer.h"
#include "page/segment.h"

uint64_t segment_map[SEGMENT_MAP_BITS / 64];
/* The SEGMENT_SIZE blocks of a huge mapping after its first: not in
 * segment_map (they hold no descriptor table), but known, so that an
 * interior pointer there is reported as what it is. */
static uint64_t segment_tail_map[SEGMENT_MAP_BITS / 64];

size_t segment_header_pages(void)
{
	return DIV_ROUND_UP(sizeof(struct segment), PAGE_SIZE);
}

static void map_bit(uint64_t *map, uintptr_t i, bool on)
{
	uint64_t bit = 1ULL << (i % 64);

	if (on)
		__atomic_fetch_or(&map[i / 64], bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&map[i / 64], ~bit, __ATOMIC_RELEASE);
}

static void segment_map_set(struct segment *seg, bool on)
{
	uintptr_t first = (uintptr_t)seg >> SEGMENT_SHIFT;
	uintptr_t last = ((uintptr_t)seg + seg->mapped_size - 1) >> SEGMENT_SHIFT;

	map_bit(segment_map, first, on);
	for (uintptr_t i = first + 1; i <= last; i++)
		map_bit(segment_tail_map, i, on);
}

bool segment_in_huge_tail(const void *p)
{
	uintptr_t i = (uintptr_t)p >> SEGMENT_SHIFT;

	if (i >= SEGMENT_MAP_BITS)
		return false;
	return (__atomic_load_n(&segment_tail_map[i / 64], __ATOMIC_ACQUIRE) >> (i % 64)) & 1;
}

/* ASan: slabs freed into the segment left their memory poisoned
 * (core/slab.c); whatever is mapped there next starts clean. */
static void segment_unmap(struct segment *seg, size_t size)
{
	kasan_unpoison(seg, size);
	os_unmap((char *)seg - PAGE_SIZE, size + PAGE_SIZE);
}

static struct segment *segment_map_new(size_t size, int node, bool reserve)
{
	bool guards = uslab_opt(USLAB_OPT_SEGMENT_GUARDS);
	struct segment *seg = os_map_aligned(size, SEGMENT_SIZE, reserve, guards);

	if (!seg)
		return NULL;
	if ((uintptr_t)seg >> SEGMENT_SHIFT >= SEGMENT_MAP_BITS ||
	    (guards && !os_guard_page((char *)seg + (segment_header_pages() << PAGE_SHIFT)))) {
		/* Above 128 TiB (5-level paging hint): not addressable by the
		 * map; or the kernel refused the guard (out of mappings). */
		segment_unmap(seg, size);
		return NULL;
	}
	os_bind_node(seg, size, node);
	INIT_LIST_HEAD(&seg->seg_list);
	seg->mapped_size = size;
	seg->first_page = (uint16_t)(segment_header_pages() + 1);   /* the guard */
	seg->node = (uint8_t)(node < 0 ? 0 : node);
	return seg;
}

struct segment *segment_create(int node)
{
	struct segment *seg = segment_map_new(SEGMENT_SIZE, node, false);

	if (!seg)
		return NULL;
	seg->kind = SEGMENT_NORMAL;
	segment_map_set(seg, true);
	return seg;
}

size_t segment_huge_data_offset(size_t align)
{
	size_t off = (segment_header_pages() + 1) << PAGE_SHIFT;      /* header, guard */

	return ALIGN(off, align < PAGE_SIZE ? PAGE_SIZE : align);
}

struct segment *segment_create_huge(size_t bytes, size_t align, int node, size_t *data_off)
{
	size_t off = segment_huge_data_offset(align);
	struct segment *seg;
	struct slab *head;

	/* The data page's descriptor must be in the table. */
	if (off >= SEGMENT_SIZE || bytes > SIZE_MAX - off - PAGE_SIZE)
		return NULL;
	seg = segment_map_new(off + ALIGN(bytes, PAGE_SIZE), node, true);
	if (!seg)
		return NULL;
	if (((uintptr_t)seg + seg->mapped_size - 1) >> SEGMENT_SHIFT >= SEGMENT_MAP_BITS) {
		segment_unmap(seg, seg->mapped_size);
		return NULL;
	}
	seg->kind = SEGMENT_HUGE;
	seg->used_pages = (unsigned int)(ALIGN(bytes, PAGE_SIZE) >> PAGE_SHIFT);
	head = &seg->pages[off >> PAGE_SHIFT];
	head->kind = PAGE_HUGE;
	head->node = seg->node;
	*data_off = off;
	segment_map_set(seg, true);
	return seg;
}

void segment_destroy(struct segment *seg)
{
	segment_map_set(seg, false);
	segment_unmap(seg, seg->mapped_size);
}
