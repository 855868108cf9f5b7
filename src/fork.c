/*
 * fork.c - the pthread_atfork handlers: take every lock before fork (in
 * the order fork.h gives), give them back in the parent, make them new in
 * the child, then forget the threads that did not follow into the child
 * (what they cached stays allocated there: thread_fork_child).
 *
 * Registered once at initialisation; prepare handlers run in the reverse
 * order of registration, so other libraries' prepare handlers (which may
 * allocate) run before ours.
 */
#include "fork.h"
#include "lock.h"
#include "report.h"
#include "slab.h"

static void reinit_mutex(pthread_mutex_t *m)
{
	pthread_mutex_init(m, NULL);
}

static void fork_prepare(void)
{
	pthread_mutex_lock(&watch_lock);
	pthread_mutex_lock(&slab_mutex);
	thread_list_lock_acquire();
	caches_fork_lock();
	page_alloc_fork_lock();
	sheaf_fork_lock();
	meta_fork_lock();
	purge_thread_fork_lock();
	pthread_mutex_lock(&tune_lock);
	pthread_mutex_lock(&rules_lock);
	pthread_mutex_lock(&shrinker_lock);
	pthread_mutex_lock(&sink_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&sink_lock);
	pthread_mutex_unlock(&shrinker_lock);
	pthread_mutex_unlock(&rules_lock);
	pthread_mutex_unlock(&tune_lock);
	purge_thread_fork_unlock(false);
	meta_fork_unlock(false);
	sheaf_fork_unlock(false);
	page_alloc_fork_unlock(false);
	caches_fork_unlock(false);
	thread_list_lock_release();
	pthread_mutex_unlock(&slab_mutex);
	pthread_mutex_unlock(&watch_lock);
}

static void fork_child(void)
{
	reinit_mutex(&sink_lock);
	reinit_mutex(&shrinker_lock);
	reinit_mutex(&rules_lock);
	reinit_mutex(&tune_lock);
	purge_thread_fork_unlock(true);
	meta_fork_unlock(true);
	sheaf_fork_unlock(true);
	page_alloc_fork_unlock(true);
	caches_fork_unlock(true);
	current_thread()->in_thread_list_lock = 0;
	reinit_mutex(&thread_list_lock);
	reinit_mutex(&slab_mutex);
	reinit_mutex(&watch_lock);
	pressure_fork_child();
	thread_fork_child();
	purge_thread_fork_child_done();
}

void fork_init(void)
{
	if (pthread_atfork(fork_prepare, fork_parent, fork_child))
		uslab_reportf("uslab: pthread_atfork failed: fork() while other threads allocate may deadlock the child\n");
}
