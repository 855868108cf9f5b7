/*
 * start.h - the library's start (lib/init.c), which every exported entry
 * point makes sure of before anything else, in whatever layer it lives.
 *
 * This is the one call that goes up the layers without a hook: the start
 * builds every layer in order, once, and an entry point may be the first
 * call a program makes.  It is made at the entry, never from a slow path
 * or under a lock.
 */
#ifndef USLAB_START_H
#define USLAB_START_H

#include "base/compiler.h"

extern int uslab_initialised;
void uslab_init_slow(void);

static inline void uslab_ensure_init(void)
{
	if (unlikely(!__atomic_load_n(&uslab_initialised, __ATOMIC_ACQUIRE)))
		uslab_init_slow();
}

#endif
