/*
 * rseq.h - restartable sequences and the membarrier that aborts them: the
 * kernel's ABI as uslab's per-CPU mode uses it (core/percpu.c).
 *
 * The thread's struct rseq is glibc's (glibc >= 2.35 registers one per
 * thread and exports where it lies, __rseq_offset from the thread
 * pointer); uslab never registers one of its own, which would break
 * glibc and every other user.  The kernel keeps cpu_id current while the
 * thread runs, and when it preempts, migrates or signals a thread whose
 * instruction pointer lies inside the critical section that rseq_cs
 * names, it sends the thread to that section's abort handler instead.
 * So a section that loads the CPU number, reads that CPU's state and
 * ends in one store (the commit) runs as if the CPU were the thread's
 * alone: the kernel's this_cpu operations with preemption off.
 *
 * A section, in an asm statement (x86-64):
 *  - RSEQ_DESC names its start, its end (the first instruction after
 *    the commit) and its abort handler, in a 32-byte aligned descriptor;
 *  - RSEQ_ABORT puts the handler out of line, after the signature the
 *    kernel checks (glibc registers RSEQ_SIG), and jumps back to the arm;
 *  - RSEQ_ARM stores the descriptor's address in rseq_cs (the kernel
 *    clears it on an abort, so every retry arms again), then the section
 *    starts.
 * The area register holds rseq_area_offset; %fs:RSEQ_CPU_ID(area) is the
 * thread's cpu_id, negative while rseq is not registered for it.
 *
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) is the flush IPI: when
 * it returns, every section that was running on the CPUs it names has
 * been aborted, and every section started since sees what the caller
 * wrote before it.
 */
#ifndef USLAB_RSEQ_H
#define USLAB_RSEQ_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"

#if defined(__x86_64__) && defined(__linux__)
#define USLAB_HAVE_RSEQ 1
#else
#define USLAB_HAVE_RSEQ 0
#endif

/* Offsets in struct rseq (the kernel's ABI). */
#define RSEQ_CPU_ID_START 0  /* u32: always a CPU number, 0 when unregistered */
#define RSEQ_CPU_ID       4  /* s32: the CPU, or < 0 when not registered */
#define RSEQ_CS           8  /* u64: the critical section running, or 0 */

/* The signature before every abort handler: the one glibc registers. */
#define RSEQ_SIG 0x53053053

/* The thread pointer plus this is the thread's struct rseq (0 when rseq
 * is not in use: nothing reads it then). */
extern long rseq_area_offset;

#define RSEQ_STR_(x) #x
#define RSEQ_STR(x) RSEQ_STR_(x)

#define RSEQ_DESC(desc, start, post, abort)                                     \
	".pushsection __rseq_cs, \"aw\"\n\t"                                    \
	".balign 32\n"                                                          \
	desc ":\n\t"                                                            \
	".long 0, 0\n\t"                                                        \
	".quad " start ", " post " - " start ", " abort "\n\t"                  \
	".popsection\n\t"

#define RSEQ_ABORT(abort, arm)                                                  \
	".pushsection __rseq_failure, \"ax\"\n\t"                               \
	".long " RSEQ_STR(RSEQ_SIG) "\n"                                        \
	abort ":\n\t"                                                           \
	"jmp " arm "\n\t"                                                       \
	".popsection\n\t"

#define RSEQ_ARM(arm, desc, area, scratch)                                      \
	arm ":\n\t"                                                             \
	"lea " desc "(%%rip), " scratch "\n\t"                                  \
	"mov " scratch ", %%fs:" RSEQ_STR(RSEQ_CS) "(" area ")\n"

/*
 * Is rseq usable (glibc registered it: __rseq_size, this thread's
 * cpu_id), and membarrier's expedited rseq command registered for the
 * process?  On false, *why says what is missing.  Sets rseq_area_offset.
 */
bool rseq_setup(const char **why);
/* The CPU the calling thread runs on, or -1 when rseq is not registered
 * for it (a thread made without glibc, a sandbox that refused it). */
int rseq_current_cpu(void);
/* Aborts the critical sections running on cpu (-1: on every CPU that
 * runs a thread of this process) and orders the caller's earlier stores
 * before every section started after it returns.  False if the kernel
 * refused. */
bool rseq_fence(int cpu);
/* One more than the highest CPU number the kernel may ever report. */
unsigned int rseq_nr_cpu_ids(void);

#endif
