/*
 * test_page_alloc.c - layer 1: segments, runs of 2^order pages (split,
 * coalesce, natural alignment), virt_to_slab for every page, memory given
 * back to the OS, empty segments unmapped, own mappings for huge requests.
 * White-box: uses the page allocator's internal calls.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "page/page_alloc.h"
#include "page/segment.h"

static struct uslab_page_allocator *pa;

static void setup(void)
{
	uslab_init();
	pa = uslab_root_page_allocator();
	uslab_option_set(USLAB_OPT_PURGE_DELAY_MS, 100);
}

TEST(runs_are_naturally_aligned_and_found_by_virt_to_slab)
{
	struct slab *runs[NR_PAGE_ORDERS];

	setup();
	for (unsigned int order = 0; order <= PAGE_ALLOC_MAX_ORDER; order++) {
		struct slab *head = pa_alloc_pages(pa, order, NUMA_NO_NODE, GFP_KERNEL, PAGE_LARGE);
		char *addr;

		CHECK(head);
		runs[order] = head;
		addr = slab_address(head);
		CHECK_EQ((uintptr_t)addr % (PAGE_SIZE << order), 0);
		CHECK_EQ(head->order, order);
		CHECK_EQ(head->kind, PAGE_LARGE);
		CHECK((uintptr_t)ptr_segment(addr) % SEGMENT_SIZE == 0);
		/* Every byte of every page maps back to the head. */
		for (unsigned long off = 0; off < (PAGE_SIZE << order); off += PAGE_SIZE / 2)
			CHECK(virt_to_slab_checked(addr + off) == head);
		memset(addr, 0xab, PAGE_SIZE << order);
	}
	for (unsigned int order = 0; order <= PAGE_ALLOC_MAX_ORDER; order++)
		pa_free_pages(pa, runs[order]);
}

TEST(split_and_coalesce)
{
	unsigned long before[NR_PAGE_ORDERS], after[NR_PAGE_ORDERS];
	struct slab *pages[64];

	setup();
	uslab_page_purge();
	/* Take one page to be sure a segment exists, then count runs. */
	struct slab *anchor = pa_alloc_pages(pa, 0, NUMA_NO_NODE, GFP_KERNEL, PAGE_LARGE);
	page_alloc_free_runs(before);
	for (int i = 0; i < 64; i++) {
		pages[i] = pa_alloc_pages(pa, 0, NUMA_NO_NODE, GFP_KERNEL, PAGE_LARGE);
		CHECK(pages[i]);
		for (int j = 0; j < i; j++)
			CHECK(pages[j] != pages[i]);
	}
	/* Freed in a scattered order, the 64 pages merge back. */
	for (int i = 0; i < 64; i += 2)
		pa_free_pages(pa, pages[i]);
	for (int i = 1; i < 64; i += 2)
		pa_free_pages(pa, pages[i]);
	page_alloc_free_runs(after);
	CHECK(!memcmp(before, after, sizeof(before)));
	pa_free_pages(pa, anchor);
}

TEST(freed_pages_are_not_slabs)
{
	struct slab *head;
	char *addr;

	setup();
	head = pa_alloc_pages(pa, 2, NUMA_NO_NODE, GFP_KERNEL, PAGE_LARGE);
	addr = slab_address(head);
	pa_free_pages(pa, head);
	/* Still in a mapped segment, but no page of it is in use. */
	for (int i = 0; i < 4; i++) {
		struct slab *d = virt_to_slab_checked(addr + i * PAGE_SIZE);

		CHECK(d);
		CHECK(d->slab_cache == NULL);
		CHECK(d->kind == PAGE_FREE || d->kind == PAGE_NONE);
	}
	CHECK(virt_to_slab_checked((void *)&pa) == NULL);
	CHECK(virt_to_slab_checked((void *)0x10) == NULL);
	CHECK(virt_to_slab_checked((void *)(~0UL)) == NULL);
}

static long resident_pages(void *addr, size_t len)
{
	unsigned char vec[1024];
	long n = 0;

	if (mincore(addr, len, vec))
		return -1;
	for (size_t i = 0; i < len / PAGE_SIZE; i++)
		n += vec[i] & 1;
	return n;
}

TEST(free_pages_go_back_to_the_os)
{
	struct slab *head, *keep;
	struct uslab_page_stats st;
	char *addr;

	setup();
	/* Keep the segment mapped with one page in use. */
	keep = pa_alloc_pages(pa, 0, NUMA_NO_NODE, GFP_KERNEL, PAGE_LARGE);
	head = pa_alloc_pages(pa, 6, NUMA_NO_NODE, GFP_KERNEL, PAGE_LARGE);
	addr = slab_address(head);
	memset(addr, 1, PAGE_SIZE << 6);
	CHECK_EQ(resident_pages(addr, PAGE_SIZE << 6), 64);
	pa_free_pages(pa, head);
	/* Within the delay the pages stay resident... */
	CHECK_EQ(resident_pages(addr, PAGE_SIZE << 6), 64);
	uslab_page_stats(&st);
	CHECK(st.pages_free_cached >= 64);
	/* ...and are given back once it has passed. */
	usleep(250 * 1000);
	uslab_option_set(USLAB_OPT_PURGE_DELAY_MS, 100);
	pa_free_pages(pa, pa_alloc_pages(pa, 0, NUMA_NO_NODE, GFP_KERNEL, PAGE_LARGE));
	CHECK_EQ(resident_pages(addr, PAGE_SIZE << 6), 0);
	uslab_page_stats(&st);
	CHECK(st.purges > 0);
	pa_free_pages(pa, keep);
}

TEST(empty_segments_are_unmapped)
{
	struct uslab_page_stats st0, st1, st2;
	struct slab *runs[8];

	setup();
	uslab_page_purge();
	uslab_page_stats(&st0);
	/* Fill more than the free space of the mapped segments. */
	for (int i = 0; i < 8; i++) {
		runs[i] = pa_alloc_pages(pa, PAGE_ALLOC_MAX_ORDER, NUMA_NO_NODE, GFP_KERNEL, PAGE_LARGE);
		CHECK(runs[i]);
	}
	uslab_page_stats(&st1);
	CHECK(st1.segments >= st0.segments + 3);
	for (int i = 0; i < 8; i++)
		pa_free_pages(pa, runs[i]);
	uslab_page_purge();
	uslab_page_stats(&st2);
	CHECK_EQ(st2.segments, st0.segments);
	CHECK_EQ(st2.pages_in_use, st0.pages_in_use);
	CHECK(st2.segments_unmapped >= st0.segments_unmapped + 3);
}

TEST(huge_requests_get_their_own_mapping)
{
	struct uslab_page_stats st0, st1;
	struct slab *head;
	char *addr;

	setup();
	uslab_page_stats(&st0);
	head = pa_alloc_huge(pa, 5 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	CHECK(head);
	CHECK_EQ(head->kind, PAGE_HUGE);
	addr = slab_address(head);
	CHECK(huge_usable_size(head) >= (5u << 20));
	memset(addr, 3, 5 << 20);
	CHECK(virt_to_slab_checked(addr) == head);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings + 1);
	pa_free_pages(pa, head);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings);
	CHECK(virt_to_slab_checked(addr) == NULL);
	/* Aligned: the data start honours the alignment asked for. */
	head = pa_alloc_huge(pa, 3 << 20, 1 << 20, NUMA_NO_NODE, GFP_KERNEL);
	CHECK(head);
	CHECK_EQ((uintptr_t)slab_address(head) % (1 << 20), 0);
	pa_free_pages(pa, head);
}

TEST(threads_share_the_page_allocator)
{
	/* Pages handed between threads come back whole. */
	enum { N = 4, ROUNDS = 2000 };
	pthread_t th[N];
	unsigned long before;

	setup();
	before = pages_in_use();
	for (int i = 0; i < N; i++) {
		extern void *page_worker(void *);
		pthread_create(&th[i], NULL, page_worker, (void *)(long)i);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(pages_in_use(), before);
}

void *page_worker(void *arg);
void *page_worker(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg;
	struct slab *held[16] = { 0 };

	for (int r = 0; r < 2000; r++) {
		int i = (int)(rand_r(&seed) % 16);

		if (held[i]) {
			pa_free_pages(pa, held[i]);
			held[i] = NULL;
		} else {
			held[i] = pa_alloc_pages(pa, rand_r(&seed) % 4, NUMA_NO_NODE, GFP_KERNEL,
						 PAGE_LARGE);
			if (held[i])
				*(long *)slab_address(held[i]) = r;
		}
	}
	for (int i = 0; i < 16; i++)
		if (held[i])
			pa_free_pages(pa, held[i]);
	return NULL;
}

TEST_MAIN()
