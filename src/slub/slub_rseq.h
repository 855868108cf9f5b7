/*
 * slub_rseq.h - the slub fast paths of cpu mode (core/percpu.c): the pop
 * and the push of slub_fastpath.h on the cpu slab's freelist of the CPU
 * the thread runs on, each an rseq critical section opened as
 * core/percpu_rseq.h says.
 *
 * The commit is one 8-byte store of the entry's freelist word, which
 * carries the count of the fast paths' pops and pushes in its top bits
 * (types.h: SLUB_HEAD_*): the new head and the count together, in the
 * general registers, so the next section's load of the word is forwarded
 * from this store.  A pop or push that would carry a count out goes to
 * the slow path, whose fold empties the counts.  Only this CPU writes the
 * word, and only inside a section or under the entry's lock once the
 * sections are fenced off (percpu.c): one instruction is all the
 * atomicity needed; a racy reader of the counts loads the word alone.
 *
 * Stores before the commit, harmless when the section restarts:
 *  - the push writes the object's free pointer (the object is the
 *    caller's until the commit) and c->second = the current head, which
 *    is then the first object of the freelist: what cpu_freelist_recent
 *    allows c->second to be.
 *
 * checked: the hardened freelist (the pointer read is XOR the cache's key
 * and its byte-swapped slot address; a next pointer outside the cpu slab,
 * the end of the list included, goes to the slow path, which checks it
 * and reports a corrupt one).  Zeroing on free, a debug cache (whose
 * entries never have a freelist or a cpu slab) and a node request go to
 * the slow path before the section.  Free pointers in objects are bare
 * pointers in either form.
 */
#ifndef USLAB_SLUB_RSEQ_H
#define USLAB_SLUB_RSEQ_H

#include "core/percpu_rseq.h"

#if USLAB_HAVE_RSEQ

#define SLUB_RSEQ_OFFSETS                                                           \
	RSEQ_ENTRY_OPERANDS,                                                        \
	[freelist] "i"(offsetof(struct kmem_cache_cpu, freelist)),                  \
	[cslab] "i"(offsetof(struct kmem_cache_cpu, slab)),                         \
	[second] "i"(offsetof(struct kmem_cache_cpu, second)),                      \
	[sshift] "i"(offsetof(struct kmem_cache_cpu, slab_shift)),                  \
	[key] "i"(offsetof(struct kmem_cache, fp_key)),                             \
	[mix] "i"(offsetof(struct kmem_cache, fp_mix)),                             \
	[ptr] "r"(SLUB_HEAD_PTR)

/* The commit: the freelist word = rdx. */
#define SLUB_RSEQ_COMMIT                                                            \
	"movq %%rdx, %c[freelist](%%rax)\n"                                         \
	".Lpost%=:\n\t"

/* rdx = the word (its count and head), [object] = its head; empty: slow.
 * rdx then becomes the count one pop on, its head bits cleared. */
#define SLUB_RSEQ_POP_HEAD                                                          \
	"movq %c[freelist](%%rax), %%rdx\n\t"                                      \
	"movq %[ptr], %[object]\n\t"                                                \
	"andq %%rdx, %[object]\n\t"                                                 \
	"jz %l[slow]\n\t"                                                           \
	"addq %[pop], %%rdx\n\t"                                                    \
	"jc %l[slow]\n\t"                                                           \
	"xorq %[object], %%rdx\n\t"

/* For a push of [obj] onto the cpu slab [slab]: rcx = the head, rdx =
 * the count one push on, its head bits cleared; the cpu slab another, obj
 * the head or c->second (a double free, perhaps), or the count full: slow. */
#define SLUB_RSEQ_PUSH_HEAD                                                         \
	"cmpq %[slab], %c[cslab](%%rax)\n\t"                                        \
	"jne %l[slow]\n\t"                                                          \
	"movq %c[freelist](%%rax), %%rdx\n\t"                                      \
	"movq %[ptr], %%rcx\n\t"                                                    \
	"andq %%rdx, %%rcx\n\t"                                                     \
	"cmpq %[obj], %%rcx\n\t"                                                    \
	"je %l[slow]\n\t"                                                           \
	"cmpq %[obj], %c[second](%%rax)\n\t"                                        \
	"je %l[slow]\n\t"                                                           \
	"addq %[push], %%rdx\n\t"                                                   \
	"btq %[guard], %%rdx\n\t"                                                   \
	"jc %l[slow]\n\t"                                                           \
	"xorq %%rcx, %%rdx\n\t"

/* Pops the freelist of the current CPU's entry idx of s (the index is
 * below CPU_FAST_ENTRIES): false with RSEQ_SLOW when it is empty, held,
 * or (checked) its next pointer leaves the cpu slab. */
static __always_inline enum rseq_result slub_alloc_rseq(struct kmem_cache *s, unsigned int idx,
							bool checked, void **ret)
{
	char *entries = percpu_entries(idx);
	uintptr_t off = s->offset;
	void *object;

	if (!checked) {
		__asm__ volatile goto(
			RSEQ_ENTRY_OPEN
			SLUB_RSEQ_POP_HEAD
			/* A next pointer with bits of the count (a write
			 * after free) would change it: the slow path checks. */
			"movq (%[object],%[off]), %%rcx\n\t"
			"cmpq %[ptr], %%rcx\n\t"
			"ja %l[slow]\n\t"
			"orq %%rcx, %%rdx\n\t"
			SLUB_RSEQ_COMMIT
			: [object] "=&r"(object)
			: [area] "r"(percpu_fast.area), [entries] "r"(entries), [off] "r"(off),
			  [pop] "r"(SLUB_HEAD_POP), SLUB_RSEQ_OFFSETS
			: "rax", "rcx", "rdx", "memory", "cc"
			: slow, no_cpu);
	} else {
		__asm__ volatile goto(
			RSEQ_ENTRY_OPEN
			SLUB_RSEQ_POP_HEAD
			/* r8 = the slot, r9 = the stored pointer decoded */
			"leaq (%[object],%[off]), %%r8\n\t"
			"movq (%%r8), %%r9\n\t"
			"bswapq %%r8\n\t"
			"andq %c[mix](%[s]), %%r8\n\t"
			"xorq %%r8, %%r9\n\t"
			"xorq %c[key](%[s]), %%r9\n\t"
			/* It must share the object's bits above slab_shift
			 * (never 0 while the freelist is not empty). */
			"movl %c[sshift](%%rax), %%ecx\n\t"
			"movq %%r9, %%r8\n\t"
			"xorq %[object], %%r8\n\t"
			"shrq %%cl, %%r8\n\t"
			"jnz %l[slow]\n\t"
			"orq %%r9, %%rdx\n\t"
			SLUB_RSEQ_COMMIT
			: [object] "=&r"(object)
			: [area] "r"(percpu_fast.area), [entries] "r"(entries), [off] "r"(off),
			  [s] "r"(s), [pop] "r"(SLUB_HEAD_POP), SLUB_RSEQ_OFFSETS
			: "rax", "rcx", "rdx", "r8", "r9", "memory", "cc"
			: slow, no_cpu);
	}
	*ret = object;
	return RSEQ_DONE;
slow:
	return RSEQ_SLOW;
no_cpu:
	return RSEQ_NO_CPU;
}

/* Pushes object, of slab, onto the freelist of the current CPU's entry
 * idx of s when slab is that entry's cpu slab, the entry is unheld, and
 * object is neither the head nor c->second (the thread path's
 * double-free test). */
static __always_inline enum rseq_result slub_free_rseq(struct kmem_cache *s, unsigned int idx,
						       struct slab *slab, void *object,
						       bool checked)
{
	char *entries = percpu_entries(idx);
	uintptr_t off = s->offset;

	if (!checked) {
		__asm__ volatile goto(
			RSEQ_ENTRY_OPEN
			SLUB_RSEQ_PUSH_HEAD
			"movq %%rcx, (%[obj],%[off])\n\t"
			"movq %%rcx, %c[second](%%rax)\n\t"
			"orq %[obj], %%rdx\n\t"
			SLUB_RSEQ_COMMIT
			:
			: [area] "r"(percpu_fast.area), [entries] "r"(entries), [off] "r"(off),
			  [slab] "r"(slab), [obj] "r"(object), [push] "r"(SLUB_HEAD_PUSH),
			  [guard] "i"(SLUB_HEAD_GUARD), SLUB_RSEQ_OFFSETS
			: "rax", "rcx", "rdx", "memory", "cc"
			: slow, no_cpu);
	} else {
		__asm__ volatile goto(
			RSEQ_ENTRY_OPEN
			SLUB_RSEQ_PUSH_HEAD
			/* *slot = head ^ key ^ (bswap(slot) & mix) */
			"leaq (%[obj],%[off]), %%r8\n\t"
			"movq %%r8, %%r9\n\t"
			"bswapq %%r9\n\t"
			"andq %c[mix](%[s]), %%r9\n\t"
			"xorq %%rcx, %%r9\n\t"
			"xorq %c[key](%[s]), %%r9\n\t"
			"movq %%r9, (%%r8)\n\t"
			"movq %%rcx, %c[second](%%rax)\n\t"
			"orq %[obj], %%rdx\n\t"
			SLUB_RSEQ_COMMIT
			:
			: [area] "r"(percpu_fast.area), [entries] "r"(entries), [off] "r"(off),
			  [s] "r"(s), [slab] "r"(slab), [obj] "r"(object),
			  [push] "r"(SLUB_HEAD_PUSH), [guard] "i"(SLUB_HEAD_GUARD),
			  SLUB_RSEQ_OFFSETS
			: "rax", "rcx", "rdx", "r8", "r9", "memory", "cc"
			: slow, no_cpu);
	}
	return RSEQ_DONE;
slow:
	return RSEQ_SLOW;
no_cpu:
	return RSEQ_NO_CPU;
}

#else

static __always_inline enum rseq_result slub_alloc_rseq(struct kmem_cache *s, unsigned int idx,
							bool checked, void **ret)
{
	(void)s;
	(void)idx;
	(void)checked;
	(void)ret;
	return RSEQ_NO_CPU;
}

static __always_inline enum rseq_result slub_free_rseq(struct kmem_cache *s, unsigned int idx,
						       struct slab *slab, void *object,
						       bool checked)
{
	(void)s;
	(void)idx;
	(void)slab;
	(void)object;
	(void)checked;
	return RSEQ_NO_CPU;
}

#endif
#endif
