/*
 * unified_rseq.h - the unified fast paths of cpu mode (core/percpu.c): the
 * pop and the push of unified_fastpath.h, on the entry of the CPU the
 * thread runs on, each an rseq critical section (base/rseq.h) whose last
 * instruction, the store of the main sheaf's new size (and count),
 * commits it.
 *
 * In the section: the CPU number (negative: rseq is not registered for
 * this thread, which then takes the thread path), the entry (the CPU's
 * block plus the cache's index), its lock (a slow path holds it: go
 * slow), then the same tests as the thread path.  A preemption, a
 * migration or a signal before the commit restarts the section from the
 * CPU number; the push's store into the sheaf's free slot before the
 * commit is harmless when it is restarted (that slot is above the size).
 * The commit stores the entry's word of size and count (fast_word,
 * types.h): the size one less or one more, the count one more, so the
 * counters stay exact with no store of their own; a count that would
 * reach 2^31 (the word's sign bit) goes to the slow path, which folds it.
 */
#ifndef USLAB_UNIFIED_RSEQ_H
#define USLAB_UNIFIED_RSEQ_H

#include "core/percpu_rseq.h"

#if USLAB_HAVE_RSEQ

#define UNIFIED_RSEQ_OFFSETS                                                        \
	RSEQ_ENTRY_OPERANDS,                                                        \
	[main] "i"(offsetof(struct kmem_cache_cpu, main)),                          \
	[cache] "i"(offsetof(struct kmem_cache_cpu, cache)),                        \
	[objs] "i"(offsetof(struct sheaf, objects)),                                \
	[cap] "i"(offsetof(struct sheaf, capacity))

/* Pops the main sheaf of the current CPU's entry idx (the index is below
 * CPU_FAST_ENTRIES). */
static __always_inline enum rseq_result unified_alloc_rseq(unsigned int idx, void **ret)
{
	char *entries = percpu_entries(idx);
	void *object;

	__asm__ volatile goto(
		RSEQ_ENTRY_OPEN
		"movq %c[word](%%rax), %%rdx\n\t"
		"testl %%edx, %%edx\n\t"
		"jz %l[slow]\n\t"
		"addq %[pop], %%rdx\n\t"
		"js %l[slow]\n\t"
		"movq %c[main](%%rax), %[object]\n\t"
		"movl %%edx, %%ecx\n\t"
		"movq %c[objs](%[object],%%rcx,8), %[object]\n\t"
		"movq %%rdx, %c[word](%%rax)\n"
		".Lpost%=:\n\t"
		: [object] "=&r"(object)
		: [area] "r"(percpu_fast.area), [entries] "r"(entries),
		  [pop] "r"(FAST_WORD_POP), UNIFIED_RSEQ_OFFSETS
		: "rax", "rcx", "rdx", "memory", "cc"
		: slow, no_cpu);
	*ret = object;
	return RSEQ_DONE;
slow:
	return RSEQ_SLOW;
no_cpu:
	return RSEQ_NO_CPU;
}

/* Pushes object, of cache s, onto the main sheaf of the current CPU's
 * entry idx when that entry is s's, unheld, has room, and object is not
 * one of its top two (the thread path's double-free test). */
static __always_inline enum rseq_result unified_free_rseq(struct kmem_cache *s, unsigned int idx,
							  void *object)
{
	char *entries = percpu_entries(idx);
	unsigned long slot;

	__asm__ volatile goto(
		RSEQ_ENTRY_OPEN
		"cmpq %[s], %c[cache](%%rax)\n\t"
		"jne %l[slow]\n\t"
		"movq %c[word](%%rax), %%rdx\n\t"
		"movq %c[main](%%rax), %%rcx\n\t"
		"movl %%edx, %k[slot]\n\t"
		"cmpl %c[cap](%%rcx), %%edx\n\t"
		"jae %l[slow]\n\t"
		"cmpq %[obj], %c[objs]-8(%%rcx,%[slot],8)\n\t"
		"je %l[slow]\n\t"
		"cmpq %[obj], %c[objs]-16(%%rcx,%[slot],8)\n\t"
		"je %l[slow]\n\t"
		"addq %[push], %%rdx\n\t"
		"js %l[slow]\n\t"
		"movq %[obj], %c[objs](%%rcx,%[slot],8)\n\t"
		"movq %%rdx, %c[word](%%rax)\n"
		".Lpost%=:\n\t"
		: [slot] "=&r"(slot)
		: [area] "r"(percpu_fast.area), [entries] "r"(entries), [s] "r"(s),
		  [obj] "r"(object), [push] "r"(FAST_WORD_PUSH), UNIFIED_RSEQ_OFFSETS
		: "rax", "rcx", "rdx", "memory", "cc"
		: slow, no_cpu);
	return RSEQ_DONE;
slow:
	return RSEQ_SLOW;
no_cpu:
	return RSEQ_NO_CPU;
}

#else

static __always_inline enum rseq_result unified_alloc_rseq(unsigned int idx, void **ret)
{
	(void)idx;
	(void)ret;
	return RSEQ_NO_CPU;
}

static __always_inline enum rseq_result unified_free_rseq(struct kmem_cache *s, unsigned int idx,
							  void *object)
{
	(void)s;
	(void)idx;
	(void)object;
	return RSEQ_NO_CPU;
}

#endif
#endif
