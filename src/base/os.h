/*
 * os.h - everything that talks to the operating system: mappings, giving
 * pages back, NUMA placement, time, thread ids, CPU features, the
 * membarrier fence.
 */
#ifndef USLAB_OS_H
#define USLAB_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

void os_init(void);
/* A mapping of size bytes aligned to align (a power of two >= page),
 * with a page just below it, PROT_NONE with guard (part of the mapping:
 * os_unmap() of the mapping is os_unmap(start - page, size + page)).
 * With reserve, the kernel's overcommit policy judges its size, as for
 * glibc's mappings (a 1 TiB request fails in the default heuristic mode);
 * segments are mapped without, their pages being committed one by one. */
void *os_map_aligned(size_t size, size_t align, bool reserve, bool guard);
/* Makes one page PROT_NONE; false if the kernel refused. */
bool os_guard_page(void *addr);
/* size bytes (page multiple) between two PROT_NONE guard pages. */
void *os_map_guarded(size_t size);
void os_unmap(void *addr, size_t size);
/* A detached thread of uslab's own (the purger, the RCU worker) running
 * fn, named name, with stack bytes of stack and every signal blocked (the
 * program's handlers run on the program's threads).  0 or the error of
 * pthread_create.  It allocates: never from inside uslab. */
int os_start_daemon(void *(*fn)(void *), size_t stack, const char *name);
/* Gives the pages back (MADV_DONTNEED): resident memory drops now.  Its
 * callers hold no lock (huge_cache.c's purge of a live block's spare pages
 * excepted: its hook must not allocate); os_purge_hook (tests) runs first.
 * False when the kernel refused (locked memory): the bytes are still there. */
bool os_purge(void *addr, size_t size);
extern void (*os_purge_hook)(void *addr, size_t size);
/* Places the pages of a new mapping on node (no-op on one node). */
void os_bind_node(void *addr, size_t size, int node);
int os_nr_nodes(void);
int os_nr_cpus(void);
/* Node of the CPU the caller runs on. */
int os_current_node(void);
bool os_node_online(int node);
uint64_t os_now_ms(void);
pid_t os_gettid(void);
/* The asymmetric fence: os_membarrier() makes every thread of the
 * process run a full memory barrier before it returns, so that a thread's
 * plain store and its following load, with only a compiler barrier
 * between them, are ordered against the caller's.  Setup registers for
 * it (MEMBARRIER_CMD_PRIVATE_EXPEDITED); false where the kernel has none. */
bool os_membarrier_setup(void);
/* False if the kernel refused it (a seccomp filter installed since the
 * setup): there is no other fence that the kernel promises. */
bool os_membarrier(void);
bool os_has_cmpxchg16b(void);
long os_rss_bytes(void);

#endif
