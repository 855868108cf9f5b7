/*
 * percpu_rseq.h - what the cpu-mode fast paths of both personalities
 * (slub/slub_rseq.h, unified/unified_rseq.h) share: the opening of a
 * critical section on the entry of the CPU the thread runs on, and the
 * constants that count a pop or a push in a unified entry's fast_word.
 *
 * The opening, from the first instruction of the section: the CPU number
 * (negative: rseq is not registered for this thread, which then takes
 * the thread path), the entry (the CPU's block plus the cache's index:
 * core/percpu.c), its lock (a slow path holds it: go slow).  A
 * preemption, a migration or a signal before the commit restarts the
 * section from the CPU number.  Every store before the commit must be
 * harmless when the section restarts; the commit is the last instruction
 * and includes the count, so the counters stay exact with no store of
 * their own.  A count that would overflow (unified: reach 2^31, the
 * word's sign bit; slub: carry out of its 8 bits, base/types.h) goes to
 * the slow path, which folds it.
 */
#ifndef USLAB_PERCPU_RSEQ_H
#define USLAB_PERCPU_RSEQ_H

#include <stddef.h>

#include "base/rseq.h"
#include "core/object.h"

enum rseq_result {
	RSEQ_DONE,      /* committed */
	RSEQ_SLOW,      /* the slow path must serve it */
	RSEQ_NO_CPU,    /* rseq is not registered for this thread */
};

/* What one pop and one push add to fast_word: main_size -1 or +1, fast_ops
 * +1 (types.h: cpu_entry_unfolded). */
#define FAST_WORD_POP  ((1ULL << 32) - 1)
#define FAST_WORD_PUSH ((1ULL << 32) + 1)

#if USLAB_HAVE_RSEQ

/* The operands every section names: the entry's fields it reads. */
#define RSEQ_ENTRY_OPERANDS                                                         \
	[lock] "i"(offsetof(struct kmem_cache_cpu, lock)),                          \
	[word] "i"(offsetof(struct kmem_cache_cpu, fast_word)),                     \
	[shift] "i"(PERCPU_BLOCK_SHIFT)

/* The section's descriptor and abort handler, then its start: the CPU
 * (negative: to no_cpu), the entry in rax (entries: the address of index
 * idx in CPU 0's block), its lock (set: to slow). */
#define RSEQ_ENTRY_OPEN                                                             \
	RSEQ_DESC(".Lcs%=", ".Lstart%=", ".Lpost%=", ".Labort%=")                   \
	RSEQ_ABORT(".Labort%=", ".Larm%=")                                          \
	RSEQ_ARM(".Larm%=", ".Lcs%=", "%[area]", "%%rax")                           \
	".Lstart%=:\n\t"                                                            \
	"movslq %%fs:" RSEQ_STR(RSEQ_CPU_ID) "(%[area]), %%rax\n\t"                \
	"testq %%rax, %%rax\n\t"                                                    \
	"js %l[no_cpu]\n\t"                                                         \
	"shl %[shift], %%rax\n\t"                                                   \
	"add %[entries], %%rax\n\t"                                                 \
	"cmpl $0, %c[lock](%%rax)\n\t"                                              \
	"jne %l[slow]\n\t"

#endif

/* Entry idx of CPU 0, from which the section finds the current CPU's. */
static __always_inline char *percpu_entries(unsigned int idx)
{
	return percpu_fast.base + (size_t)idx * sizeof(struct kmem_cache_cpu);
}

#endif
