/*
 * linux/gfp.h - the gfp flags (linux/gfp_types.h) and the kernel's
 * helpers that read them.
 */
#ifndef USLAB_LINUX_GFP_H
#define USLAB_LINUX_GFP_H

#include <stdbool.h>
#include "gfp_types.h"

/* May an allocation with these flags sleep (wait, reclaim directly)? */
static inline bool gfpflags_allow_blocking(const gfp_t gfp_flags)
{
	return !!(gfp_flags & __GFP_DIRECT_RECLAIM);
}

#endif /* USLAB_LINUX_GFP_H */
