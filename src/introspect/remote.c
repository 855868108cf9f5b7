/*
 * remote.c - the anchor through which slabinfo -p reads this process from
 * outside (remote.h says what it holds and why).  A constant: it costs
 * the program nothing at run time.
 */
#include "core/personality.h"
#include "core/slab.h"
#include "introspect/remote.h"
#include "slub/slub.h"
#include "unified/unified.h"

USLAB_API const struct uslab_remote_anchor uslab_remote_anchor = {
	.magic = USLAB_REMOTE_MAGIC,
	.version = USLAB_VERSION_STRING,
	.layout = USLAB_REMOTE_LAYOUT,
	.size = sizeof(struct uslab_remote_anchor),
	.slab_caches = &slab_caches,
	.thread_list = &thread_list,
	.slub_personality = &slub_personality,
	.unified_personality = &unified_personality,
	.empty_sheaf = &empty_sheaf,
	.cpu_mode = percpu_mode_name,  /* uslab_cpu_mode()'s answer */
};
