/*
 * options.h - uslab's options: one table (name, environment variable,
 * default, range, description) in options.c; the code asks uslab_opt().
 *
 * Values are read once from the environment at init; uslab_option_set()
 * changes them later.  Readers use relaxed loads: a change affects caches
 * and page allocator calls that happen after it.
 */
#ifndef USLAB_OPTIONS_H
#define USLAB_OPTIONS_H

#include "base/types.h"

extern long uslab_options[USLAB_OPT_COUNT];

static inline long uslab_opt(enum uslab_option o)
{
	return READ_ONCE(uslab_options[o]);
}

void options_init(void);
/* apply runs when uslab_option_set() changes opt, before the store; its
 * non-zero return refuses the change. */
void options_set_apply(enum uslab_option opt, int (*apply)(long value));

/* Set before the caches are built when this is libuslab-malloc: its
 * kmalloc caches get finer size classes (kmalloc.c), larger sheaves and
 * small first refills (unified.c). */
extern bool malloc_replacement;

#endif
