/*
 * unified.h - the unified personality: its method table (unified.c).
 * The cache layer reaches it only through that.
 */
#ifndef USLAB_UNIFIED_H
#define USLAB_UNIFIED_H

#include "core/personality.h"

extern const struct personality unified_personality;

/* A unified cache's sheaf capacity (new sheaves), and with it the bound
 * on full sheaves in its barns. */
void unified_set_queue_limit(struct kmem_cache *s, unsigned int limit);

#endif
