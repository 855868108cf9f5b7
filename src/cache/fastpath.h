/*
 * fastpath.h - the exported object-cache calls' fast paths: one test of
 * s->flags picks the cache's personality (slub/slub_fastpath.h or
 * unified/unified_fastpath.h); whatever the personality cannot serve goes
 * to the shared slow paths of alloc.c.
 *
 * Everything here inlines into one leaf function per entry point: no
 * register is saved, the miss, the zeroing and the slow paths are tail
 * calls.
 */
#ifndef USLAB_FASTPATH_H
#define USLAB_FASTPATH_H

#include "core/object.h"
#include "slub/slub_fastpath.h"
#include "unified/unified_fastpath.h"
#include "slub/slub_rseq.h"
#include "unified/unified_rseq.h"

/* The slow paths are reached by tail calls from the exported entry points,
 * so their return address is the caller's: the owner that U records. */
void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfpflags, int node, size_t orig_size);
/* The free fast path could not take the object: checks it, then frees. */
void slab_free_slow(struct kmem_cache *s, struct slab *slab, void *object,
		    struct kmem_cache_cpu *c);
/* The same for slab_free_page, whose s and c may be NULL (the thread has
 * no entry of the page's cache in use). */
void slab_free_page_slow(struct kmem_cache *s, struct kmem_cache_cpu *c, void *object,
			 unsigned int order, const char *caller);

/* unified_first: the caller's caches are mostly unified (the malloc
 * replacement); only the branch layout differs.  Otherwise one test
 * sends every cache but plain slub off the straight path. */
static __always_inline void *slab_alloc_node_at(struct kmem_cache *s, struct kmem_cache_cpu *c,
						gfp_t gfpflags, int node, size_t orig_size,
						bool unified_first)
{
	slab_flags_t kind = s->flags & (__SLAB_CHECKED | SLAB_UNIFIED);
	void *object;
	bool hit;

	if (likely(c)) {
		if (unified_first && likely(s->flags & __SLAB_UNIFIED_FAST))
			hit = unified_alloc_fast(s, c, gfpflags, node, orig_size, false, &object);
		else if (likely(!kind))
			hit = slub_alloc_fast(s, c, gfpflags, node, orig_size, false, &object);
		else if (kind & SLAB_UNIFIED)
			hit = unified_alloc_fast(s, c, gfpflags, node, orig_size, true, &object);
		else
			hit = slub_alloc_fast(s, c, gfpflags, node, orig_size, true, &object);
		if (likely(hit))
			return object;
	}
	return slab_alloc_slow(s, gfpflags, node, orig_size);
}

/* What a caller of slab_alloc_percpu knows the cache to be (it has tested
 * the flags): the other personality's section is then not inlined. */
enum percpu_kind {
	PERCPU_ANY,
	PERCPU_UNIFIED_FAST, /* __SLAB_UNIFIED_FAST: unified, unchecked, no debug */
	PERCPU_SLUB_PLAIN,   /* slub, no hardened freelist */
};

/*
 * cpu mode (core/percpu.c): an allocation from s on the entry of the CPU
 * the thread runs on, index idx; false when the thread path must serve
 * it (an index without CPU entries, a thread without rseq).  The caller
 * has seen percpu_fast.enabled set.
 */
static __always_inline bool slab_alloc_percpu(struct kmem_cache *s, unsigned int idx,
					      gfp_t gfpflags, int node, size_t orig_size,
					      enum percpu_kind kind, void **ret)
{
	/* A known kind reads no flags: nothing then waits on that load or
	 * holds it across the section. */
	slab_flags_t flags = kind == PERCPU_ANY ? READ_ONCE(s->flags) : 0;
	bool checked = kind == PERCPU_ANY && (flags & __SLAB_CHECKED);
	enum rseq_result r;
	void *object;

	if (idx >= CPU_FAST_ENTRIES)
		return false;
	if (unlikely(node != NUMA_NO_NODE)) {
		*ret = slab_alloc_slow(s, gfpflags, node, orig_size);
		return true;
	}
	if (kind == PERCPU_UNIFIED_FAST || (kind == PERCPU_ANY && likely(flags & SLAB_UNIFIED)))
		r = unified_alloc_rseq(idx, &object);
	else
		r = slub_alloc_rseq(s, idx, checked, &object);
	switch (r) {
	case RSEQ_DONE:
		tsan_handoff_acquire(object);
		tsan_handoff_acquire(s);
		*ret = slab_alloc_hit(s, object, gfpflags, orig_size, checked);
		return true;
	case RSEQ_SLOW:
		*ret = slab_alloc_slow(s, gfpflags, node, orig_size);
		/* It may come from a CPU's cache, or from slabs a flush of
		 * one filled: the free that put it there released it. */
		if (*ret)
			tsan_handoff_acquire(*ret);
		return true;
	default:
		return false;
	}
}

/* ThreadSanitizer cannot see a section's accesses: besides the object's
 * handoff (its free releases it, its allocation acquires it), a CPU's
 * entries of s are one sync object, s, released by each fast free and
 * each unlock and acquired by each fast allocation and each lock taken
 * (core/percpu.c), so that a slow path's reads of free objects (slub's
 * free pointers) come before the fast path that hands one out, and a free
 * before the slow path that reads the object. */

/* The same for a free of object, of s (slab: its slab, or NULL when the
 * caller has not computed it: from order for slub); check_start as for
 * the thread path, order its slab's. */
static __always_inline bool slab_free_percpu(struct kmem_cache *s, struct slab *slab,
					     unsigned int idx, void *object, bool check_start,
					     unsigned int order, enum percpu_kind kind, bool *slow)
{
	slab_flags_t flags = kind == PERCPU_UNIFIED_FAST ? SLAB_UNIFIED : s->flags;
	enum rseq_result r;

	*slow = false;
	if (idx >= CPU_FAST_ENTRIES)
		return false;
	/* Zeroing, and a debug cache's checks (before anything is
	 * poisoned: the pointer may not be an object's), are slow paths.
	 * A fast unified cache has neither, nor a red zone. */
	if (kind == PERCPU_UNIFIED_FAST) {
		if (check_start && unlikely(!object_start_plain(s, order, object))) {
			*slow = true;
			return true;
		}
	} else if ((check_start && unlikely(!object_start_order(s, order, object))) ||
		   unlikely(flags & (__SLAB_INIT_ON_FREE | SLAB_DEBUG_FLAGS))) {
		*slow = true;
		return true;
	}
	kasan_slab_free(s, object);
	tsan_handoff_release(object);
	tsan_handoff_release(s);
	if (kind == PERCPU_UNIFIED_FAST || (kind == PERCPU_ANY && likely(flags & SLAB_UNIFIED)))
		r = unified_free_rseq(s, idx, object);
	else
		r = slub_free_rseq(s, idx, slab ? slab : virt_to_run_head(object, order), object,
				   kind != PERCPU_SLUB_PLAIN && (flags & __SLAB_CHECKED));
	switch (r) {
	case RSEQ_DONE:
		return true;
	case RSEQ_SLOW:
		*slow = true;
		return true;
	default:
		return false;
	}
}

/* malloc() in cpu mode, whose caches are fast unified ones: any other
 * (slub, hardened, zeroing, debug) is out of line, thread path
 * (thread_alloc, the caller's) included, so that the fast path tests one
 * flag, saves no register for the others' operands, and has no call
 * that is not the last. */
static __attribute__((noinline)) void *slab_alloc_percpu_any(struct kmem_cache *s, unsigned int idx,
							     gfp_t gfpflags, size_t orig_size,
							     void *(*thread_alloc)(size_t, gfp_t))
{
	void *object;

	if (slab_alloc_percpu(s, idx, gfpflags, NUMA_NO_NODE, orig_size, PERCPU_ANY, &object))
		return object;
	return thread_alloc(orig_size, gfpflags);
}

static __always_inline void *slab_alloc_percpu_unified(struct kmem_cache *s, unsigned int idx,
							gfp_t gfpflags, size_t orig_size,
							void *(*thread_alloc)(size_t, gfp_t))
{
	void *object;

	if (unlikely(!(READ_ONCE(s->flags) & __SLAB_UNIFIED_FAST)))
		return slab_alloc_percpu_any(s, idx, gfpflags, orig_size, thread_alloc);
	if (slab_alloc_percpu(s, idx, gfpflags, NUMA_NO_NODE, orig_size, PERCPU_UNIFIED_FAST,
			      &object))
		return object;
	return thread_alloc(orig_size, gfpflags);
}

/* The kmem entry points' cpu mode for a cache that is not plain slub (the
 * default): out of line, thread path included, for the reason above. */
static __attribute__((noinline)) void *slab_alloc_node_other(struct kmem_cache *s,
							     gfp_t gfpflags, int node,
							     size_t orig_size)
{
	void *object;

	if (slab_alloc_percpu(s, s->cpu_index, gfpflags, node, orig_size, PERCPU_ANY, &object))
		return object;
	return slab_alloc_node_at(s, this_cpu_slab(s), gfpflags, node, orig_size, false);
}

/* The kmem calls: plain slub (the default) inline, other caches out of
 * line. */
static __always_inline void *slab_alloc_node(struct kmem_cache *s, gfp_t gfpflags, int node,
					     size_t orig_size)
{
	void *object;

	if (likely(READ_ONCE(percpu_fast.enabled))) {
		if (unlikely(s->flags & (SLAB_UNIFIED | __SLAB_CHECKED)))
			return slab_alloc_node_other(s, gfpflags, node, orig_size);
		if (slab_alloc_percpu(s, s->cpu_index, gfpflags, node, orig_size,
				      PERCPU_SLUB_PLAIN, &object))
			return object;
	}
	return slab_alloc_node_at(s, this_cpu_slab(s), gfpflags, node, orig_size, false);
}

/* One of s's personality fast paths, or false.  check_cache, order: see
 * unified_free_fast; slab NULL: the run of 2^order pages holding object
 * (computed for slub only).  unified_first: the malloc replacement's
 * branch order. */
static __always_inline bool slab_free_fast(struct kmem_cache *s, struct slab *slab,
					   struct kmem_cache_cpu *c, void *object,
					   bool check_start, unsigned int order, bool check_cache,
					   bool unified_first)
{
	slab_flags_t kind = s->flags & (__SLAB_CHECKED | SLAB_UNIFIED);

	if (unified_first) {
		if (likely(s->flags & __SLAB_UNIFIED_FAST))
			return unified_free_fast(s, slab, c, object, check_start, order,
						 check_cache, false);
		if (kind & SLAB_UNIFIED)
			return unified_free_fast(s, slab, c, object, check_start, order,
						 check_cache, true);
		return slub_free_fast(s, slab ? slab : virt_to_run_head(object, order), c,
				      object, check_start, order);
	}
	if (likely(!(kind & SLAB_UNIFIED)))
		return slub_free_fast(s, slab ? slab : virt_to_run_head(object, order), c,
				      object, check_start, order);
	return unified_free_fast(s, slab, c, object, check_start, order, check_cache,
				 kind & __SLAB_CHECKED);
}

/* A free of object, of s and slab; percpu: percpu_fast.enabled, read once
 * by the caller (kind, what s is known to be, follows from that read). */
static __always_inline void slab_free_at(struct kmem_cache *s, struct slab *slab, void *object,
					 bool check_start, bool percpu, enum percpu_kind kind)
{
	struct kmem_cache_cpu *c;
	bool slow;

	if (likely(percpu) && likely(slab->slab_cache == s) &&
	    slab_free_percpu(s, slab, s->cpu_index, object, check_start,
			     check_start ? slab->order : 0, kind, &slow)) {
		if (slow)
			slab_free_slow(s, slab, object, NULL);
		return;
	}
	c = this_cpu_slab(s);

	if (likely(c) && likely(slab_free_fast(s, slab, c, object, check_start,
					       check_start ? slab->order : 0, true, false)))
		return;
	slab_free_slow(s, slab, object, c);
}

/* A cache that is not plain slub, in cpu mode: out of line (as
 * slab_alloc_node_other). */
static __attribute__((noinline)) void slab_free_other(struct kmem_cache *s, struct slab *slab,
						      void *object, bool check_start)
{
	slab_free_at(s, slab, object, check_start, true, PERCPU_ANY);
}

/* kmem_cache_free() and the bulk frees: s is the caller's (checked
 * against the slab's by the fast path or the slow one). */
static __always_inline void slab_free(struct kmem_cache *s, struct slab *slab, void *object,
				      bool check_start)
{
	bool percpu = READ_ONCE(percpu_fast.enabled);

	/* Read once: the mode may be switched on meanwhile (the option),
	 * and a plain slub section must never run on another cache. */
	if (likely(percpu) && unlikely(s->flags & (SLAB_UNIFIED | __SLAB_CHECKED))) {
		slab_free_other(s, slab, object, check_start);
		return;
	}
	slab_free_at(s, slab, object, check_start, percpu, PERCPU_SLUB_PLAIN);
}

static __attribute__((noinline)) void slab_free_page_percpu_any(void *object, uint32_t info,
								const char *caller,
								void (*thread_free)(void *, uint32_t));

/* kfree() and free() in cpu mode: the cache from percpu_caches[]; false
 * when the thread path (below) must take it.  The caller has seen
 * percpu_fast.enabled set; each entry point calls the two from separate
 * functions, so that neither saves registers for the other.  thread_free:
 * NULL for kfree(); free()'s thread path, whose caches are fast unified
 * ones: any other cache's free then goes out of line, thread path
 * included, so that it is free()'s last call and the fast path saves no
 * register for it. */
static __always_inline bool slab_free_page_percpu(void *object, uint32_t info,
						  const char *caller,
						  void (*thread_free)(void *, uint32_t))
{
	unsigned int order = page_info_order(info), idx = page_info_cpu_index(info);
	struct kmem_cache *s;
	bool slow;

	if (idx >= CPU_FAST_ENTRIES || !(s = READ_ONCE(percpu_caches[idx])))
		return false;
	if (thread_free && unlikely(!(READ_ONCE(s->flags) & __SLAB_UNIFIED_FAST))) {
		slab_free_page_percpu_any(object, info, caller, thread_free);
		return true;
	}
	if (!slab_free_percpu(s, NULL, idx, object, true, order,
			      thread_free ? PERCPU_UNIFIED_FAST : PERCPU_ANY, &slow))
		return false;
	if (slow)
		slab_free_page_slow(s, NULL, object, order, caller);
	return true;
}

static __attribute__((noinline)) void slab_free_page_percpu_any(void *object, uint32_t info,
								const char *caller,
								void (*thread_free)(void *, uint32_t))
{
	if (!slab_free_page_percpu(object, info, caller, NULL))
		thread_free(object, info);
}

/*
 * kfree() and free(), the thread path, of an object in a mapped segment
 * whose page has the info word info (non-zero: a slab's page).  The word
 * names the cache's cpu_index, so the thread's entry is found without a
 * load of the page's
 * descriptor (one cache line per page) or of the head's; the cache is the
 * entry's (an index names one cache while that cache exists: cache.c),
 * the slab's head is computed from the order.  The object is checked to
 * be an object start.  Whatever the fast path does not take goes to
 * slab_free_page_slow (a tail call: nothing is kept across a call).
 */
static __always_inline void slab_free_page_thread(void *object, uint32_t info,
						  bool unified_first, const char *caller)
{
	unsigned int order = page_info_order(info), idx = page_info_cpu_index(info);
	struct kmem_cache_cpu *c = this_cpu_slab_at(idx);
	struct kmem_cache *s;

	if (unlikely(!c)) {
		slab_free_page_slow(NULL, NULL, object, order, caller);
		return;
	}
	s = READ_ONCE(c->cache);
	if (likely(s) && likely(slab_free_fast(s, NULL, c, object, true, order, false,
					       unified_first)))
		return;
	slab_free_page_slow(s, c, object, order, caller);
}

#endif
