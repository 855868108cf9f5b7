/*
 * pressure.c - the opt-in watcher that reclaims when the kernel reports
 * memory pressure, through the pressure-stall interface (PSI): a trigger
 * written to /proc/pressure/memory (or a cgroup's memory.pressure) makes
 * the file poll with POLLPRI when tasks stall on memory for longer than
 * asked.  One thread waits in poll(); a quiescent, unpressured process
 * wakes it never.  uslab_pressure_watch_fd() watches any descriptor the
 * same way (an eventfd: tests, other monitors).
 *
 * watch_lock guards starting and stopping; the thread itself only calls
 * uslab_reclaim().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/report.h"
#include "base/start.h"
#include "cache/cache.h"
#include "core/slab.h"

spinlock_t watch_lock = SPINLOCK_INIT(LOCK_RANK_WATCH);
static pthread_t watcher;
static bool watching;
static int watch_fd = -1, stop_pipe[2] = { -1, -1 };
static short watch_events;
static unsigned long pressure_events;

static void *watch_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = watch_fd, .events = watch_events },
			{ .fd = stop_pipe[0], .events = POLLIN },
		};

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents)
			break;
		if (fds[0].revents & (POLLERR | POLLNVAL)) {
			uslab_reportf("uslab: the memory pressure source went away; watcher stops\n");
			break;
		}
		if (fds[0].revents & POLLIN) {
			char buf[64];

			/* An eventfd or pipe: consume what woke us. */
			if (read(watch_fd, buf, sizeof(buf)) < 0 && errno != EAGAIN)
				break;
		}
		if (fds[0].revents & (POLLPRI | POLLIN)) {
			__atomic_add_fetch(&pressure_events, 1, __ATOMIC_RELAXED);
			uslab_reclaim(NULL);
		}
	}
	return NULL;
}

static int start_watcher(int fd, short events)
{
	if (pipe(stop_pipe)) {
		uslab_reportf("uslab: pressure watcher: pipe: %s\n", strerror(errno));
		return -1;
	}
	watch_fd = fd;
	watch_events = events;
	if (pthread_create(&watcher, NULL, watch_main, NULL)) {
		uslab_reportf("uslab: pressure watcher: cannot start its thread\n");
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		return -1;
	}
	watching = true;
	return 0;
}

static int watch_path(const char *path, const char *trigger)
{
	int fd, ret = -1;

	if (!path)
		path = "/proc/pressure/memory";
	if (!trigger)
		trigger = "some 150000 2000000";
	spin_lock(&watch_lock);
	if (watching) {
		uslab_reportf("uslab: a pressure watcher runs already\n");
		goto out;
	}
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		uslab_reportf("uslab: pressure watcher: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (write(fd, trigger, strlen(trigger) + 1) < 0) {
		uslab_reportf("uslab: pressure watcher: trigger \"%s\" refused by %s: %s\n", trigger,
			      path, strerror(errno));
		close(fd);
		goto out;
	}
	ret = start_watcher(fd, POLLPRI);
	if (ret)
		close(fd);
out:
	spin_unlock(&watch_lock);
	return ret;
}

USLAB_API int uslab_pressure_watch(const char *path, const char *trigger)
{
	uslab_ensure_init();
	return watch_path(path, trigger);
}

USLAB_API int uslab_pressure_watch_fd(int fd)
{
	int ret = -1;

	uslab_ensure_init();
	spin_lock(&watch_lock);
	if (watching)
		uslab_reportf("uslab: a pressure watcher runs already\n");
	else if (fd < 0)
		uslab_reportf("uslab: uslab_pressure_watch_fd: bad descriptor %d\n", fd);
	else
		ret = start_watcher(fd, POLLIN | POLLPRI);
	spin_unlock(&watch_lock);
	return ret;
}

USLAB_API void uslab_pressure_stop(void)
{
	spin_lock(&watch_lock);
	if (watching) {
		ssize_t n = write(stop_pipe[1], "x", 1);

		(void)n;
		pthread_join(watcher, NULL);
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		watching = false;
	}
	spin_unlock(&watch_lock);
}

USLAB_API unsigned long uslab_pressure_events(void)
{
	return __atomic_load_n(&pressure_events, __ATOMIC_RELAXED);
}

void pressure_init(void)
{
	const char *env = getenv("USLAB_PRESSURE");

	if (!env || !*env || !strcmp(env, "0"))
		return;
	/* "1": the default trigger; anything else is the trigger itself.
	 * USLAB_PRESSURE_FILE names a cgroup's memory.pressure instead of
	 * the system-wide file. */
	watch_path(getenv("USLAB_PRESSURE_FILE"), strcmp(env, "1") ? env : NULL);
}

/* The watcher thread did not follow into the child: a new watch may start
 * there.  Its descriptors stay the parent's business. */
void pressure_fork_child(void)
{
	watching = false;
}
