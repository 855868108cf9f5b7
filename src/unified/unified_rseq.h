/*
 * unified_rseq.h - the unified fast paths of cpu mode (core/percpu.c): the
 * pop and the push of unified_fastpath.h, on the entry of the CPU the
 * thread runs on, each an rseq critical section (base/rseq.h) whose last
 * instruction, the store of the main sheaf's new size, commits it.
 *
 * In the section: the CPU number (negative: rseq is not registered for
 * this thread, which then takes the thread path), the entry (the CPU's
 * block plus the cache's index), its lock (a slow path holds it: go
 * slow), then the same tests as the thread path.  A preemption, a
 * migration or a signal before the commit restarts the section from the
 * CPU number; the push's store into the sheaf's free slot before the
 * commit is harmless when it is restarted (that slot is above the size).
 * After the commit a second section adds one to the entry's fast-path
 * counter, on whichever CPU the thread then runs: the counts stay exact.
 */
#ifndef USLAB_UNIFIED_RSEQ_H
#define USLAB_UNIFIED_RSEQ_H

#include <stddef.h>

#include "base/rseq.h"
#include "core/object.h"

enum rseq_result {
	RSEQ_DONE,      /* committed */
	RSEQ_SLOW,      /* the slow path must serve it */
	RSEQ_NO_CPU,    /* rseq is not registered for this thread */
};

#if USLAB_HAVE_RSEQ

#define RSEQ_ENTRY_OFFSETS                                                          \
	[lock] "i"(offsetof(struct kmem_cache_cpu, lock)),                          \
	[size] "i"(offsetof(struct kmem_cache_cpu, main_size)),                     \
	[main] "i"(offsetof(struct kmem_cache_cpu, main)),                          \
	[cache] "i"(offsetof(struct kmem_cache_cpu, cache)),                        \
	[objs] "i"(offsetof(struct sheaf, objects)),                                \
	[cap] "i"(offsetof(struct sheaf, capacity)),                                \
	[shift] "i"(PERCPU_BLOCK_SHIFT)

/* Both sections' descriptors and abort handlers, then the first: the CPU
 * (negative: to no_cpu), the entry in rax, its lock (set: to slow). */
#define RSEQ_ENTRY_OPEN                                                             \
	RSEQ_DESC(".Lcs%=", ".Lstart%=", ".Lpost%=", ".Labort%=")                   \
	RSEQ_DESC(".Lcs2%=", ".Lstart2%=", ".Lpost2%=", ".Labort2%=")               \
	RSEQ_ABORT(".Labort%=", ".Larm%=")                                          \
	RSEQ_ABORT(".Labort2%=", ".Larm2%=")                                        \
	RSEQ_ARM(".Larm%=", ".Lcs%=", "%[area]", "%%rax")                           \
	".Lstart%=:\n\t"                                                            \
	"movslq %%fs:" RSEQ_STR(RSEQ_CPU_ID) "(%[area]), %%rax\n\t"                \
	"testq %%rax, %%rax\n\t"                                                    \
	"js %l[no_cpu]\n\t"                                                         \
	"shl %[shift], %%rax\n\t"                                                   \
	"add %[entries], %%rax\n\t"                                                 \
	"cmpl $0, %c[lock](%%rax)\n\t"                                              \
	"jne %l[slow]\n\t"

/* The counter section, after a commit: entry register rax. */
#define RSEQ_COUNT(stat_off)                                                        \
	RSEQ_ARM(".Larm2%=", ".Lcs2%=", "%[area]", "%%rax")                         \
	".Lstart2%=:\n\t"                                                           \
	"movl %%fs:" RSEQ_STR(RSEQ_CPU_ID_START) "(%[area]), %%eax\n\t"             \
	"shl %[shift], %%rax\n\t"                                                   \
	"add %[entries], %%rax\n\t"                                                 \
	"incq " stat_off "(%%rax)\n"                                                \
	".Lpost2%=:\n\t"

/* Pops the main sheaf of the current CPU's entry idx (the index is below
 * CPU_FAST_ENTRIES). */
static __always_inline enum rseq_result unified_alloc_rseq(unsigned int idx, void **ret)
{
	char *entries = percpu_fast.base + (size_t)idx * sizeof(struct kmem_cache_cpu);
	void *object;

	__asm__ goto(
		RSEQ_ENTRY_OPEN
		"movl %c[size](%%rax), %%edx\n\t"
		"testl %%edx, %%edx\n\t"
		"jz %l[slow]\n\t"
		"movq %c[main](%%rax), %[object]\n\t"
		"subl $1, %%edx\n\t"
		"movq %c[objs](%[object],%%rdx,8), %[object]\n\t"
		"movl %%edx, %c[size](%%rax)\n"
		".Lpost%=:\n\t"
		RSEQ_COUNT("%c[stat]")
		: [object] "=&r"(object)
		: [area] "r"(percpu_fast.area), [entries] "r"(entries),
		  [stat] "i"(offsetof(struct kmem_cache_cpu, stat[ALLOC_FASTPATH])),
		  RSEQ_ENTRY_OFFSETS
		: "rax", "rdx", "memory", "cc"
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
	char *entries = percpu_fast.base + (size_t)idx * sizeof(struct kmem_cache_cpu);

	__asm__ goto(
		RSEQ_ENTRY_OPEN
		"cmpq %[s], %c[cache](%%rax)\n\t"
		"jne %l[slow]\n\t"
		"movl %c[size](%%rax), %%edx\n\t"
		"movq %c[main](%%rax), %%rcx\n\t"
		"cmpl %c[cap](%%rcx), %%edx\n\t"
		"jae %l[slow]\n\t"
		"cmpq %[obj], %c[objs]-8(%%rcx,%%rdx,8)\n\t"
		"je %l[slow]\n\t"
		"cmpq %[obj], %c[objs]-16(%%rcx,%%rdx,8)\n\t"
		"je %l[slow]\n\t"
		"movq %[obj], %c[objs](%%rcx,%%rdx,8)\n\t"
		"addl $1, %%edx\n\t"
		"movl %%edx, %c[size](%%rax)\n"
		".Lpost%=:\n\t"
		RSEQ_COUNT("%c[stat]")
		:
		: [area] "r"(percpu_fast.area), [entries] "r"(entries), [s] "r"(s),
		  [obj] "r"(object),
		  [stat] "i"(offsetof(struct kmem_cache_cpu, stat[FREE_FASTPATH])),
		  RSEQ_ENTRY_OFFSETS
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
