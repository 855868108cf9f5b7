/*
 * purge_thread.c - the background purger: free pages go back to the OS
 * once the purge delay has passed even if the program never calls the
 * allocator again (the page allocator itself purges only when called).
 *
 * One thread, started by the first free of pages after the option is on
 * (the malloc replacement turns it on; a process that frees no pages has
 * none).  Between bursts of frees it sleeps on purge_cond: a quiescent
 * process does no work.
 *
 * purge_pending is the predicate: set (atomically, by the freeing path)
 * when pages were freed and the purger may be asleep; cleared by the
 * purger before each pass, which re-arms it when pages are left for
 * later, so a free that races with the pass is never missed.  purge_lock
 * guards purge_started and the sleep; it is a leaf lock.
 */
#include <signal.h>
#include <time.h>

#include "fork.h"
#include "page_alloc.h"
#include "report.h"
#include "slab.h"

int purge_pending;
static pthread_mutex_t purge_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t purge_cond = PTHREAD_COND_INITIALIZER;
static bool purge_started, purge_failed;
static unsigned long purge_passes;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static void *purge_main(void *arg)
{
	(void)arg;
	for (;;) {
		long delay;

		pthread_mutex_lock(&purge_lock);
		while (!__atomic_load_n(&purge_pending, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&purge_cond, &purge_lock);
		pthread_mutex_unlock(&purge_lock);

		/* Pages freed just now become old enough one delay later. */
		delay = uslab_opt(USLAB_OPT_PURGE_DELAY_MS);
		sleep_ms(delay > 0 ? delay : 0);
		__atomic_store_n(&purge_pending, 0, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&purge_passes, 1, __ATOMIC_RELAXED);
		if (delay >= 0 && page_alloc_purge(false))
			__atomic_store_n(&purge_pending, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* Called with purge_lock held.  The thread blocks every signal: the
 * program's handlers must run on the program's threads. */
static void start_purger(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&tid, &attr, purge_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		purge_failed = true;
		uslab_reportf("uslab: cannot start the background purger (error %d); free pages go back at the next allocator call\n",
			      err);
		return;
	}
	pthread_setname_np(tid, "uslab-purge");
	purge_started = true;
}

/* The freeing path, with no uslab lock held (pthread_create allocates). */
void purge_thread_wake(void)
{
	/* USLAB_PURGE_DELAY_MS=-1: pages stay until asked for. */
	if (uslab_opt(USLAB_OPT_PURGE_DELAY_MS) < 0 ||
	    __atomic_exchange_n(&purge_pending, 1, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&purge_lock);
	if (!purge_started && !purge_failed)
		start_purger();
	pthread_cond_signal(&purge_cond);
	pthread_mutex_unlock(&purge_lock);
}

USLAB_API unsigned long uslab_background_purge_passes(void)
{
	return __atomic_load_n(&purge_passes, __ATOMIC_RELAXED);
}

void purge_thread_fork_lock(void)
{
	pthread_mutex_lock(&purge_lock);
}

/* The purger did not follow into the child: the first free after the
 * child's fork handler starts one (pending stays set until then, so that
 * no thread is started from inside the handler). */
void purge_thread_fork_unlock(bool child)
{
	if (!child) {
		pthread_mutex_unlock(&purge_lock);
		return;
	}
	pthread_mutex_init(&purge_lock, NULL);
	pthread_cond_init(&purge_cond, NULL);
	purge_started = false;
	purge_failed = false;
	__atomic_store_n(&purge_pending, 1, __ATOMIC_RELAXED);
}

void purge_thread_fork_child_done(void)
{
	__atomic_store_n(&purge_pending, 0, __ATOMIC_RELAXED);
}
