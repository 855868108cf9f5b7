/*
 * sheaf.h - sheaves and barns of the unified personality (sheaf.c).
 */
#ifndef USLAB_SHEAF_H
#define USLAB_SHEAF_H

#include "unified/unified_fastpath.h"
#include "base/report.h"

#define NR_SHEAF_CLASSES 6
#define MAX_SHEAF_CAPACITY 254

void sheaf_init(void);
/* The capacity a sheaf class really holds (the tunable's upper values). */
unsigned int sheaf_class_capacity(unsigned int capacity);
/* A new empty sheaf for s (counted as SHEAF_ALLOC); NULL without memory. */
struct sheaf *sheaf_alloc(struct kmem_cache *s, unsigned int capacity);
void sheaf_free(struct kmem_cache *s, struct sheaf *sh);

struct sheaf *barn_get_full(struct barn *b);
struct sheaf *barn_get_empty(struct barn *b);
/* Stores a full sheaf (at most max_full of them) or an empty one (at
 * most MAX_BARN_SHEAVES); false when the barn has no room. */
bool barn_put(struct barn *b, struct sheaf *sh, bool full, unsigned int max_full);
/* Moves every sheaf of the barn onto out. */
void barn_take_all(struct barn *b, struct list_head *out);

/* lib/fork.c: around fork(); child: locks made anew. */
void sheaf_fork_lock(void);
void sheaf_fork_unlock(bool child);

#endif
