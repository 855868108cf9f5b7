/*
 * test_page_alloc.c - layer 1: segments, runs of 2^order pages (split,
 * coalesce, natural alignment), virt_to_slab for every page, memory given
 * back to the OS, empty segments unmapped, own mappings for huge requests.
 * White-box: uses the page allocator's internal calls.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "base/os.h"
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
	uslab_page_purge();
	uslab_page_stats(&st0);
	head = pa_alloc_huge(pa, 5 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	CHECK(head);
	CHECK_EQ(head->kind, PAGE_HUGE);
	addr = slab_address(head);
	CHECK_EQ(huge_usable_size(head), 5u << 20);
	memset(addr, 3, 5 << 20);
	CHECK(virt_to_slab_checked(addr) == head);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings + 1);
	CHECK_EQ(st1.pages_in_use, st0.pages_in_use + (5 << 20) / PAGE_SIZE);
	/* Freed, it waits for reuse: still uslab's, but no block. */
	pa_free_pages(pa, head);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings + 1);
	CHECK_EQ(st1.huge_cached, st0.huge_cached + 1);
	CHECK_EQ(st1.pages_in_use, st0.pages_in_use);
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached + (5 << 20) / PAGE_SIZE);
	CHECK(virt_to_slab_checked(addr) != NULL);
	CHECK_EQ(virt_to_slab_checked(addr)->kind, PAGE_NONE);
	/* A forced purge unmaps it. */
	uslab_page_purge();
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings);
	CHECK_EQ(st1.huge_cached, 0);
	CHECK(virt_to_slab_checked(addr) == NULL);
	/* Aligned: the data start honours the alignment asked for. */
	head = pa_alloc_huge(pa, 3 << 20, 1 << 20, NUMA_NO_NODE, GFP_KERNEL);
	CHECK(head);
	CHECK_EQ((uintptr_t)slab_address(head) % (1 << 20), 0);
	pa_free_pages(pa, head);
	uslab_page_purge();
}

static bool all_bytes(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

TEST(freed_huge_mappings_are_reused)
{
	struct uslab_page_stats st0, st1;
	struct slab *head;
	char *addr, *again;

	setup();
	uslab_page_purge();
	uslab_page_stats(&st0);
	/* 7 MiB gets room for 8: a block of 8 fits when it is freed. */
	head = pa_alloc_huge(pa, 7 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	addr = slab_address(head);
	memset(addr, 0xaa, 7 << 20);
	pa_free_pages(pa, head);
	head = pa_alloc_huge(pa, 8 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL | __GFP_ZERO);
	again = slab_address(head);
	uslab_page_stats(&st1);
	CHECK(again == addr);
	CHECK_EQ(st1.huge_reused, st0.huge_reused + 1);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings + 1);
	CHECK_EQ(huge_usable_size(head), 8u << 20);
	/* __GFP_ZERO: the last block's bytes do not show through. */
	CHECK(all_bytes(again, 8 << 20, 0));
	memset(again, 0x55, 8 << 20);
	pa_free_pages(pa, head);
	/* An aligned request fits the same mapping. */
	head = pa_alloc_huge(pa, 3 << 20, 1 << 20, NUMA_NO_NODE, GFP_KERNEL);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_reused, st0.huge_reused + 2);
	CHECK_EQ((uintptr_t)slab_address(head) % (1 << 20), 0);
	CHECK(ptr_segment(slab_address(head)) == ptr_segment(addr));
	CHECK(virt_to_slab_checked(slab_address(head)) == head);
	pa_free_pages(pa, head);
	/* Too big for every cached mapping: a new one. */
	head = pa_alloc_huge(pa, 9 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_reused, st0.huge_reused + 2);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings + 2);
	pa_free_pages(pa, head);
	uslab_page_purge();
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings);
}

/* A huge block of bytes, every byte written with c (resident). */
static struct slab *touched_huge_block(size_t bytes, int c)
{
	struct slab *head = pa_alloc_huge(pa, bytes, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);

	memset(slab_address(head), c, bytes);
	return head;
}

TEST(spare_pages_of_a_reused_mapping_are_bounded_and_purged)
{
	struct uslab_page_stats st0, st1;
	struct slab *head;
	char *addr;

	setup();
	uslab_page_purge();
	uslab_page_stats(&st0);
	head = touched_huge_block(11 << 20, 1);
	pa_free_pages(pa, head);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached + (11 << 20) / PAGE_SIZE);
	/* 3 MiB in the 11 MiB resident: 3 more stay spare, 5 go back. */
	head = pa_alloc_huge(pa, 3 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	addr = slab_address(head);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached + (3 << 20) / PAGE_SIZE);
	/* A purge takes the spare pages, not the block's. */
	uslab_page_purge();
	uslab_page_stats(&st1);
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached);
	CHECK(all_bytes(addr, 3 << 20, 1));
	CHECK(virt_to_slab_checked(addr) == head);
	pa_free_pages(pa, head);
	uslab_page_purge();
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings);
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached);
}

TEST(zeroed_reuse_holds_where_madvise_fails)
{
	struct slab *head;
	char *addr;

	setup();
	uslab_page_purge();
	head = pa_alloc_huge(pa, 7 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	addr = slab_address(head);
	memset(addr, 0xaa, 7 << 20);
	/* Locked pages refuse MADV_DONTNEED and keep their bytes. */
	if (mlock(addr, 7 << 20)) {
		printf("  (mlock refused: %s; the locked case is not exercised)\n", strerror(errno));
		pa_free_pages(pa, head);
		head = pa_alloc_huge(pa, (5 << 20) / 2, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	} else {
		pa_free_pages(pa, head);
		/* 2.5 MiB: keeps 5 resident, asks the kernel to drop the rest. */
		head = pa_alloc_huge(pa, (5 << 20) / 2, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
		CHECK(slab_address(head) == addr);
	}
	pa_free_pages(pa, head);
	head = pa_alloc_huge(pa, 7 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL | __GFP_ZERO);
	CHECK(all_bytes(slab_address(head), 7 << 20, 0));
	munlock(slab_address(head), 7 << 20);
	pa_free_pages(pa, head);
	uslab_page_purge();
}

/* Pages of [addr, addr + bytes) resident; bytes <= 4 MiB; -1 if mincore
 * failed. */
static long resident_pages_in(void *addr, size_t bytes)
{
	unsigned char vec[1024];
	size_t pages = bytes / PAGE_SIZE;
	long n = 0;

	if (pages > sizeof(vec) || mincore(addr, bytes, vec))
		return -1;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

TEST(reuse_at_a_larger_alignment_gives_the_pages_below_back)
{
	struct slab *head;
	char *seg;

	setup();
	uslab_page_purge();
	head = pa_alloc_huge(pa, 5 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	seg = (char *)ptr_segment(slab_address(head));
	memset(slab_address(head), 1, 5 << 20);
	pa_free_pages(pa, head);
	head = pa_alloc_huge(pa, 3 << 20, 2 << 20, NUMA_NO_NODE, GFP_KERNEL);
	CHECK((char *)ptr_segment(slab_address(head)) == seg);
	CHECK((char *)slab_address(head) == seg + (2 << 20));
	/* Nothing of the last block stays resident below this one. */
	CHECK_EQ(resident_pages_in(seg + ((segment_header_pages() + 1) << PAGE_SHIFT),
				   (2 << 20) - ((segment_header_pages() + 1) << PAGE_SHIFT)), 0);
	pa_free_pages(pa, head);
	uslab_page_purge();
}

/* Waits until ms have passed by the clock (not by a guess). */
static void pass_ms(uint64_t ms)
{
	uint64_t t0 = os_now_ms();

	while (os_now_ms() < t0 + ms)
		;
}

/* Without the purger, a huge free runs the purge pass: a 20 MiB block,
 * touched, freed; it stays cached itself. */
static void free_a_touched_huge_block(void)
{
	pa_free_pages(pa, touched_huge_block(20 << 20, 2));
}

TEST(spare_pages_age_out_without_a_purger)
{
	struct uslab_page_stats st0, st1;
	struct slab *held;

	setup();
	uslab_option_set(USLAB_OPT_PURGE_DELAY_MS, 1);
	uslab_page_purge();
	uslab_page_stats(&st0);
	held = touched_huge_block(11 << 20, 1);
	pa_free_pages(pa, held);
	held = pa_alloc_huge(pa, 3 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached + (3 << 20) / PAGE_SIZE);
	/* Once the delay has passed, the next huge free gives the held
	 * block's spare pages back. */
	pass_ms(2);
	free_a_touched_huge_block();
	uslab_page_stats(&st1);
	/* What is cached now is the 20 MiB just freed, nothing of held. */
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached + (20 << 20) / PAGE_SIZE);
	pa_free_pages(pa, held);
	uslab_page_purge();
	uslab_option_set(USLAB_OPT_PURGE_DELAY_MS, 100);
}

/* A block shrunk in place keeps spare pages as a reused one does: as
 * many again as it asks for, the rest back at once. */
TEST(a_shrunk_block_keeps_as_many_again_spare)
{
	struct uslab_page_stats st0, st1;
	struct slab *head;

	setup();
	uslab_page_purge();
	uslab_page_stats(&st0);
	head = touched_huge_block(11 << 20, 1);
	CHECK(pa_resize_huge(pa, head, 3 << 20, GFP_KERNEL));
	CHECK_EQ(huge_usable_size(head), 3u << 20);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached + (3 << 20) / PAGE_SIZE);
	CHECK(all_bytes(slab_address(head), 3 << 20, 1));
	uslab_page_purge();
	uslab_page_stats(&st1);
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached);
	pa_free_pages(pa, head);
	uslab_page_purge();
}

/* Spare pages age from when they became spare: resizing the block again
 * and again does not keep them from going back. */
TEST(spare_pages_of_a_block_resized_in_a_loop_age_out)
{
	struct uslab_page_stats st0, st1;
	struct slab *held;

	setup();
	uslab_option_set(USLAB_OPT_PURGE_DELAY_MS, 1);
	uslab_page_purge();
	uslab_page_stats(&st0);
	held = touched_huge_block(11 << 20, 1);
	CHECK(pa_resize_huge(pa, held, 3 << 20, GFP_KERNEL));
	pass_ms(2);
	CHECK(pa_resize_huge(pa, held, (3 << 20) + PAGE_SIZE, GFP_KERNEL));
	free_a_touched_huge_block();
	uslab_page_stats(&st1);
	CHECK_EQ(st1.pages_free_cached, st0.pages_free_cached + (20 << 20) / PAGE_SIZE);
	pa_free_pages(pa, held);
	uslab_page_purge();
	uslab_option_set(USLAB_OPT_PURGE_DELAY_MS, 100);
}

/* Grown into pages an earlier shrink left spare, with __GFP_ZERO: the
 * grown part reads zero, the block's own bytes stay. */
TEST(a_zeroed_growth_into_spare_pages_reads_zero)
{
	struct slab *head;
	char *addr;

	setup();
	uslab_page_purge();
	head = pa_alloc_huge(pa, 5 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	addr = slab_address(head);
	memset(addr, 0xcc, 5 << 20);
	CHECK(pa_resize_huge(pa, head, 3 << 20, GFP_KERNEL));
	CHECK(pa_resize_huge(pa, head, 6 << 20, GFP_KERNEL | __GFP_ZERO));
	CHECK(all_bytes(addr, 3 << 20, (char)0xcc));
	CHECK(all_bytes(addr + (3 << 20), 3 << 20, 0));
	pa_free_pages(pa, head);
	uslab_page_purge();
}

TEST(a_small_request_leaves_a_big_mapping_alone)
{
	struct uslab_page_stats st0, st1;
	struct slab *head;

	setup();
	uslab_page_purge();
	uslab_page_stats(&st0);
	head = pa_alloc_huge(pa, 64 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	pa_free_pages(pa, head);
	head = pa_alloc_huge(pa, 3 << 20, PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_reused, st0.huge_reused);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings + 2);
	pa_free_pages(pa, head);
	uslab_page_purge();
}

/* Threads replace huge blocks while purges run: no block ever holds
 * another's bytes or loses its own. */
struct huge_worker {
	pthread_t tid;
	unsigned int seed;
	int bad;
};

static void *huge_worker(void *arg)
{
	struct huge_worker *w = arg;
	struct slab *held[2] = { 0 };
	size_t size[2] = { 0 };

	for (int r = 0; r < 60; r++) {
		int i = (int)(rand_r(&w->seed) % 2);

		if (held[i]) {
			char *p = slab_address(held[i]);
			char tag = (char)(size[i] >> 12);

			for (size_t off = 0; off < size[i]; off += 16384)
				w->bad |= p[off] != tag;
			w->bad |= p[size[i] - 1] != tag;
			pa_free_pages(pa, held[i]);
			held[i] = NULL;
		}
		if (r % 7 == 0)
			uslab_page_purge();
		size[i] = (2 << 20) + PAGE_SIZE * (rand_r(&w->seed) % 2048);
		held[i] = pa_alloc_huge(pa, size[i], PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
		if (!held[i]) {
			w->bad = 1;
			break;
		}
		memset(slab_address(held[i]), (char)(size[i] >> 12), size[i]);
	}
	for (int i = 0; i < 2; i++)
		if (held[i])
			pa_free_pages(pa, held[i]);
	return NULL;
}

TEST(threads_replace_huge_blocks_while_purges_run)
{
	struct huge_worker w[4];
	struct uslab_page_stats st0, st1;

	setup();
	uslab_option_set(USLAB_OPT_PURGE_DELAY_MS, 2);
	uslab_page_purge();
	uslab_page_stats(&st0);
	for (int i = 0; i < 4; i++) {
		w[i].seed = (unsigned int)i + 1;
		w[i].bad = 0;
		pthread_create(&w[i].tid, NULL, huge_worker, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(w[i].tid, NULL);
		CHECK_EQ(w[i].bad, 0);
	}
	uslab_page_stats(&st1);
	CHECK(st1.huge_reused > st0.huge_reused);
	CHECK_EQ(st1.pages_in_use, st0.pages_in_use);
	uslab_page_purge();
	uslab_page_stats(&st1);
	CHECK_EQ(st1.huge_mappings, st0.huge_mappings);
	CHECK_EQ(st1.huge_cached, 0);
	uslab_option_set(USLAB_OPT_PURGE_DELAY_MS, 100);
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

/* A segment whose slabs all went back is unmapped by uslab_page_purge;
 * what is mapped there next is the program's, all of it usable (under
 * ASan: no shadow of a freed slab left behind). */
TEST(unmapped_segment_leaves_nothing_behind)
{
	struct kmem_cache *s = kmem_cache_create("segs", 2048, 0, SLAB_NO_MERGE, NULL);
	static void *objs[6000];
	char *seg;
	void *m;

	for (int i = 0; i < 6000; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	/* 12 MiB of objects: the segment of the middle one is theirs alone. */
	seg = (char *)((uintptr_t)objs[3000] & ~((uintptr_t)(4u << 20) - 1));
	for (int i = 0; i < 6000; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	uslab_page_purge();
	m = mmap(seg, 4u << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(m == seg);
	memset(m, 1, 4u << 20);
	CHECK_EQ(((char *)m)[12345], 1);
	munmap(m, 4u << 20);
}

TEST_MAIN()
