/*
 * remote.h - what a reader outside the process (slabinfo -p PID) needs to
 * find uslab's structures in it: the anchor, an exported constant of the
 * library (uslab_remote_anchor), and a number that changes whenever the
 * layout of the structures it reads changes.
 *
 * The reader (tools/slabinfo_remote.c) is built from this tree: it reads
 * the structures of base/types.h with process_vm_readv() and refuses a
 * process whose anchor has another version or layout.  The program pays
 * nothing: no thread, no signal handler, nothing on any path; reading
 * never stops it.
 */
#ifndef USLAB_REMOTE_H
#define USLAB_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "base/types.h"

#define USLAB_REMOTE_MAGIC "uslab-remote-v1"

/* Sizes, and the offsets of every field the reader reads, folded into one
 * number (a weighted sum: a reordering of these fields changes it). */
#define USLAB_REMOTE_LAYOUT                                                                 \
	((uint32_t)(sizeof(struct kmem_cache) * 1u + sizeof(struct kmem_cache_node) * 3u +   \
		    sizeof(struct kmem_cache_cpu) * 5u + sizeof(struct thread_reg) * 7u +    \
		    sizeof(struct sheaf) * 11u + sizeof(struct kmem_cache_alias) * 13u +     \
		    USLAB_NR_STATS * 17u + CPU_FAST_ENTRIES * 19u + CPU_ENTRIES_STEP * 23u +   \
		    offsetof(struct kmem_cache, list) * 29u +                                 \
		    offsetof(struct kmem_cache, stat_total) * 31u +                           \
		    offsetof(struct kmem_cache, cpu_index) * 37u +                            \
		    offsetof(struct kmem_cache, node) * 41u +                                 \
		    offsetof(struct kmem_cache_node, nr_slabs) * 43u +                        \
		    offsetof(struct kmem_cache_node, barn) * 47u +                            \
		    offsetof(struct kmem_cache_cpu, stat) * 53u +                             \
		    offsetof(struct kmem_cache_cpu, cache) * 59u +                            \
		    offsetof(struct kmem_cache_cpu, spare) * 61u +                            \
		    offsetof(struct kmem_cache_cpu, main_size) * 179u +                       \
		    offsetof(struct thread_reg, cpu_dir) * 67u +                              \
		    offsetof(struct kmem_cache, name) * 71u + offsetof(struct kmem_cache, ops) * 73u + \
		    offsetof(struct kmem_cache, object_size) * 79u +                          \
		    offsetof(struct kmem_cache, size) * 83u +                                 \
		    offsetof(struct kmem_cache, refcount) * 89u +                             \
		    offsetof(struct kmem_cache, oo) * 97u + offsetof(struct kmem_cache, flags) * 101u + \
		    offsetof(struct kmem_cache, aliases) * 103u +                             \
		    offsetof(struct kmem_cache, nr_nodes) * 107u +                            \
		    offsetof(struct kmem_cache, stat_base) * 109u +                           \
		    offsetof(struct kmem_cache, dead) * 113u +                                \
		    offsetof(struct kmem_cache_node, nr_partial) * 127u +                     \
		    offsetof(struct kmem_cache_node, total_objects) * 131u +                  \
		    offsetof(struct kmem_cache_node, nr_pages) * 137u +                       \
		    offsetof(struct kmem_cache_cpu, slab) * 139u +                            \
		    offsetof(struct kmem_cache_cpu, main) * 149u +                            \
		    offsetof(struct kmem_cache_cpu, nr_partial) * 151u +                      \
		    offsetof(struct thread_reg, cpu_slab) * 157u +                            \
		    offsetof(struct thread_reg, nr_cpu_slab) * 163u +                         \
		    offsetof(struct thread_reg, nr_dir_pages) * 167u +                        \
		    offsetof(struct kmem_cache_alias, name) * 173u))

struct uslab_remote_anchor {
	char magic[16];                 /* USLAB_REMOTE_MAGIC */
	char version[16];               /* USLAB_VERSION_STRING */
	uint32_t layout;                /* USLAB_REMOTE_LAYOUT */
	uint32_t size;                  /* sizeof(struct uslab_remote_anchor) */
	/* Addresses in the process: */
	const void *slab_caches;        /* struct list_head, of struct kmem_cache */
	const void *thread_list;        /* struct list_head, of struct thread_reg */
	const void *slub_personality;   /* s->ops of a slub cache */
	const void *unified_personality;
	const void *empty_sheaf;        /* an unused entry's sheaves */
	const void *cpu_mode;           /* const char *: uslab_cpu_mode() */
};

#endif
