/*
 * init.c - library start: once, on the first call into uslab or at load
 * (constructor), in layer order: options, OS facts, page allocator, thread
 * state, the cache of caches, kmalloc caches; and the report at exit
 * (USLAB_STATS).
 *
 * Code that runs during init must not call the exported entry points that
 * initialise (kmem_cache_create, kmalloc of a size class not yet created):
 * it uses create_cache() directly.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/meta.h"
#include "base/options.h"
#include "base/os.h"
#include "base/report.h"
#include "base/sanitizer.h"
#include "base/start.h"
#include "cache/cache.h"
#include "core/slab.h"
#include "debug/debug.h"
#include "kmalloc/kmalloc.h"
#include "lib/fork.h"
#include "introspect/exit_report.h"
#include "page/page_alloc.h"
#include "unified/sheaf.h"

int uslab_initialised;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* The malloc replacement's defaults (background purge, personality),
 * applied between reading the options and building the caches; it also
 * sets malloc_replacement. */
void malloc_layer_options(void) __attribute__((weak));

static void do_init(void)
{
	/* An allocation made by what init calls (the unwinder's dlopen,
	 * atexit, pthread_create) finds this and takes the bootstrap path. */
	current_thread()->in_init = 1;
	lockdep_enabled = getenv("USLAB_LOCKDEP") && atoi(getenv("USLAB_LOCKDEP")) > 0;
	report_init_hooks();
	purge_thread_init();
	options_init();
	if (malloc_layer_options)
		malloc_layer_options();
	sanitizer_init();
	debug_options_init();
	os_init();
	meta_init();
	page_alloc_init();
	thread_init();
	sheaf_init();
	kmalloc_init();
	rcu_defer_init();
	kfree_rcu_init();
	tunables_init();
	pressure_init();
	fork_init();
	exit_report_init();
	__atomic_store_n(&uslab_initialised, 1, __ATOMIC_RELEASE);
	current_thread()->in_init = 0;
}

void uslab_init_slow(void)
{
	pthread_once(&init_once, do_init);
}

USLAB_API void uslab_init(void)
{
	uslab_ensure_init();
}

USLAB_API const char *uslab_version(void)
{
	return USLAB_VERSION_STRING;
}

__attribute__((constructor)) static void uslab_load(void)
{
	uslab_ensure_init();
}
