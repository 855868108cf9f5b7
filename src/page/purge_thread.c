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
 * guards the sleep; it is a leaf lock.
 *
 * Starting the thread allocates (pthread_create), so it is never done
 * inside uslab (a lock held, a slow path in progress: lock.h) nor under
 * purge_lock: a free made there defers the start to when its thread
 * leaves uslab (lock.h's idle work), and purge_starting lets one caller
 * start it.
 */
#include <time.h>

#include "page/page_alloc.h"
#include "base/os.h"
#include "base/report.h"

int purge_pending;
static spinlock_t purge_lock = SPINLOCK_INIT(LOCK_RANK_PURGE);
static pthread_cond_t purge_cond = PTHREAD_COND_INITIALIZER;
static bool purge_started, purge_failed;
static int purge_starting;
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

		spin_lock(&purge_lock);
		while (!__atomic_load_n(&purge_pending, __ATOMIC_ACQUIRE))
			spin_cond_wait(&purge_cond, &purge_lock);
		spin_unlock(&purge_lock);

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

/* Called by the one caller that won purge_starting, with no lock held. */
static void start_purger(void)
{
	int err = os_start_daemon(purge_main, 64 * 1024, "uslab-purge");

	if (err) {
		__atomic_store_n(&purge_failed, true, __ATOMIC_RELEASE);
		uslab_reportf("uslab: cannot start the background purger (error %d); free pages go back at the next allocator call\n",
			      err);
		return;
	}
	__atomic_store_n(&purge_started, true, __ATOMIC_RELEASE);
}

/* The freeing path, possibly inside uslab (a flush under a lock). */
void purge_thread_wake(void)
{
	/* USLAB_PURGE_DELAY_MS=-1: pages stay until asked for. */
	if (uslab_opt(USLAB_OPT_PURGE_DELAY_MS) < 0)
		return;
	if (!__atomic_load_n(&purge_started, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&purge_failed, __ATOMIC_ACQUIRE))
			return;
		if (in_allocator()) {
			lock_defer(IDLE_PURGER);
			return;
		}
		if (__atomic_exchange_n(&purge_starting, 1, __ATOMIC_ACQ_REL))
			return;
		start_purger();
		if (!__atomic_load_n(&purge_started, __ATOMIC_ACQUIRE))
			return;
	}
	if (__atomic_exchange_n(&purge_pending, 1, __ATOMIC_SEQ_CST))
		return;
	spin_lock(&purge_lock);
	pthread_cond_signal(&purge_cond);
	spin_unlock(&purge_lock);
}

void purge_thread_init(void)
{
	lock_set_idle_hook(IDLE_PURGER, purge_thread_wake);
}

USLAB_API unsigned long uslab_background_purge_passes(void)
{
	return __atomic_load_n(&purge_passes, __ATOMIC_RELAXED);
}

void purge_thread_fork_lock(void)
{
	spin_lock(&purge_lock);
}

/* The purger did not follow into the child: the first free after the
 * child's fork handler starts one (pending stays set until then, so that
 * no thread is started from inside the handler). */
void purge_thread_fork_unlock(bool child)
{
	if (!child) {
		spin_unlock(&purge_lock);
		return;
	}
	spin_lock_init(&purge_lock, LOCK_RANK_PURGE);
	pthread_cond_init(&purge_cond, NULL);
	purge_started = false;
	purge_failed = false;
	/* Held until the handler is done: no start from inside it. */
	__atomic_store_n(&purge_starting, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&purge_pending, 0, __ATOMIC_RELAXED);
}

void purge_thread_fork_child_done(void)
{
	__atomic_store_n(&purge_starting, 0, __ATOMIC_RELEASE);
}
