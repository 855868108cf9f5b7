/*
 * slub.h - the slub personality: its method table, and the calls the
 * cache layer makes directly (bulk frees, the checks of a free);
 * everything else goes through slub_personality.
 */
#ifndef USLAB_SLUB_H
#define USLAB_SLUB_H

#include "core/personality.h"
#include "core/slab.h"

extern const struct personality slub_personality;

void *__slab_alloc(struct kmem_cache *s, gfp_t gfpflags, int node, struct kmem_cache_cpu *c);
/* Frees cnt objects head..tail (linked through their free pointers) that
 * all belong to slab; c is the caller's entry for s or NULL. */
void __slab_free(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
		 unsigned int cnt, struct kmem_cache_cpu *c);
/* Returns the cpu slab and cpu partial slabs of c to the node lists. */
void flush_cpu_slab(struct kmem_cache *s, struct kmem_cache_cpu *c);
/* Frees empty slabs of the node lists; returns slabs left.  Those of a
 * SLAB_TYPESAFE_BY_RCU cache go only when it is being destroyed. */
unsigned long shrink_node_lists(struct kmem_cache *s, bool destroying);
/* Validates a pointer handed to a free: reports and returns false when
 * it is not the start of an object of slab. */
bool check_object_pointer(struct kmem_cache *s, struct slab *slab, const void *object,
			  const char *caller);

#endif
