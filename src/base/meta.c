/*
 * meta.c - uslab's own metadata, out of band: cache descriptors (with the
 * personality's method table and the node locks), per-thread directories
 * and entry pages, sheaves, shuffled index tables, cache names.
 *
 * None of it lives beside objects.  It is carved from mappings of its own,
 * META_CHUNK bytes each with a PROT_NONE guard page at both ends, so a
 * linear overflow or underflow out of an object (or out of another
 * mapping) faults instead of rewriting a descriptor, a function table, a
 * lock or a queue - the way snmalloc, and mimalloc in secure mode, keep
 * their metadata apart.
 *
 * Invariants:
 *  - blocks are multiples of META_ALIGN (a cache line: no two blocks share
 *    one); those of a page or more start on a page;
 *  - a freed block waits on the free list of its size class and is only
 *    ever reused as metadata of the same size: mappings are never
 *    unmapped, so a racing reader of freed metadata reads metadata;
 *  - meta_alloc() returns zeroed memory; blocks of two pages or more are
 *    given back to the OS when freed (they then read as zero), smaller
 *    ones are cleared when reused.
 * Locking: meta_lock, a leaf: no other lock is taken under it and nothing
 * is called out.  Metadata is allocated on slow paths only (a thread's
 * first use of a page of caches, a cache created, a sheaf beyond its
 * pool), so one lock is enough.
 */
#include <string.h>

#include "base/lock.h"
#include "base/meta.h"
#include "base/os.h"
#include "base/types.h"

#define META_ALIGN      CACHE_LINE_SIZE
#define META_CHUNK      (2UL << 20)
#define META_SMALL_MAX  PAGE_SIZE                        /* 64-byte classes below */
#define NR_SMALL        (META_SMALL_MAX / META_ALIGN)    /* 64 */
#define NR_LARGE        (META_MAX / PAGE_SIZE)           /* page classes */
#define NR_CLASSES      (NR_SMALL + NR_LARGE)

struct meta_free {
	struct meta_free *next;
};

static struct meta_free *free_lists[NR_CLASSES];
/* Fault injection (tests): the meta_fail_nth-th allocation from now fails. */
static unsigned long meta_calls, meta_fail_nth;
static spinlock_t meta_lock = SPINLOCK_INIT(LOCK_RANK_META);
static char *chunk_cur, *chunk_end;
static unsigned long bytes_mapped, bytes_in_use;

static size_t class_size(unsigned int c)
{
	return c < NR_SMALL ? (size_t)(c + 1) * META_ALIGN : (size_t)(c - NR_SMALL + 1) * PAGE_SIZE;
}

static unsigned int size_class(size_t size)
{
	if (size <= META_SMALL_MAX - META_ALIGN)
		return (unsigned int)(DIV_ROUND_UP(size, META_ALIGN) - 1);
	return (unsigned int)(NR_SMALL + DIV_ROUND_UP(size, PAGE_SIZE) - 1);
}

/* A new block from the current mapping; meta_lock held. */
static void *chunk_carve(size_t size)
{
	void *p = NULL;

	if (size >= PAGE_SIZE && chunk_cur)
		chunk_cur = (char *)ALIGN((uintptr_t)chunk_cur, PAGE_SIZE);
	if (!chunk_cur || (size_t)(chunk_end - chunk_cur) < size) {
		char *map = os_map_guarded(META_CHUNK);

		if (!map)
			goto out;
		chunk_cur = map;
		chunk_end = map + META_CHUNK;
		__atomic_add_fetch(&bytes_mapped, META_CHUNK, __ATOMIC_RELAXED);
	}
	p = chunk_cur;
	chunk_cur += size;
out:
	return p;
}

void *meta_alloc(size_t size)
{
	struct meta_free *f;
	unsigned int c;
	size_t bytes;
	bool reused;

	if (!size || size > META_MAX)
		return NULL;
	if (unlikely(__atomic_load_n(&meta_fail_nth, __ATOMIC_RELAXED)) &&
	    __atomic_add_fetch(&meta_calls, 1, __ATOMIC_RELAXED) ==
	    __atomic_load_n(&meta_fail_nth, __ATOMIC_RELAXED))
		return NULL;
	c = size_class(size);
	bytes = class_size(c);
	spin_lock(&meta_lock);
	f = free_lists[c];
	reused = f != NULL;
	if (f)
		free_lists[c] = f->next;
	else
		f = chunk_carve(bytes);
	spin_unlock(&meta_lock);
	if (!f)
		return NULL;
	/* Two pages or more were given back at free: zero but the link. */
	if (reused)
		memset(f, 0, bytes >= 2 * PAGE_SIZE ? sizeof(*f) : bytes);
	__atomic_add_fetch(&bytes_in_use, bytes, __ATOMIC_RELAXED);
	return f;
}

void meta_free(void *p, size_t size)
{
	struct meta_free *f = p;
	unsigned int c;
	size_t bytes;

	if (!p)
		return;
	c = size_class(size);
	bytes = class_size(c);
	if (bytes >= 2 * PAGE_SIZE)
		os_purge(p, bytes);
	__atomic_sub_fetch(&bytes_in_use, bytes, __ATOMIC_RELAXED);
	spin_lock(&meta_lock);
	f->next = free_lists[c];
	free_lists[c] = f;
	spin_unlock(&meta_lock);
}

char *meta_strdup(const char *str)
{
	size_t len = strlen(str) + 1;
	char *copy = len <= META_MAX ? meta_alloc(len) : NULL;

	if (copy)
		memcpy(copy, str, len);
	return copy;
}

void meta_strfree(const char *str)
{
	if (str)
		meta_free((void *)str, strlen(str) + 1);
}

void meta_stats(unsigned long *mapped, unsigned long *in_use)
{
	*mapped = __atomic_load_n(&bytes_mapped, __ATOMIC_RELAXED);
	*in_use = __atomic_load_n(&bytes_in_use, __ATOMIC_RELAXED);
}

void meta_fail(unsigned long nth)
{
	__atomic_store_n(&meta_calls, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&meta_fail_nth, nth, __ATOMIC_RELAXED);
}

unsigned long meta_calls_since_fail(void)
{
	return __atomic_load_n(&meta_calls, __ATOMIC_RELAXED);
}

void meta_init(void)
{
	spin_lock_init(&meta_lock, LOCK_RANK_META);
}

void meta_fork_lock(void)
{
	spin_lock(&meta_lock);
}

void meta_fork_unlock(bool child)
{
	if (child)
		spin_lock_init(&meta_lock, LOCK_RANK_META);
	else
		spin_unlock(&meta_lock);
}
