/*
 * exit_report.c - the report of every cache at exit (USLAB_STATS), and
 * where it goes.
 *
 *  - To standard error: fd 2 if it is still open at exit, else a
 *    duplicate of it taken at start (coreutils, through gnulib's
 *    close_stdout, close stderr in an atexit handler that runs before
 *    ours), if that duplicate still is what fd 2 was; a child that does
 *    not exec forgets the duplicate.
 *  - Or to USLAB_STATS_FILE, where %p is the pid and %e the program's
 *    name (as ASan's log_path and the kernel's core_pattern): a file is
 *    opened for appending and the whole report is one write() (up to
 *    1 MiB), so that the processes of a pipeline writing to one file each
 *    add theirs, whole, and none truncates another's.
 *  - Each report's first line names the process.  A report that cannot
 *    be written (a full disk, /dev/full, a bad path) is said on the saved
 *    standard error, never lost silently.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/options.h"
#include "introspect/exit_report.h"

static int saved_stderr = -1;
static dev_t saved_dev;          /* what fd 2 was at start, to know the */
static ino_t saved_ino;          /* duplicate is still that at exit */

static const char *program_name(void)
{
	extern char *program_invocation_short_name;

	return program_invocation_short_name && *program_invocation_short_name ?
		       program_invocation_short_name : "?";
}

/* Writes all of buf to fd; false on an error (errno says which). */
static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Standard error as a new descriptor: fd 2 while it is open (wherever
 * the program pointed it), else the duplicate taken at start if it still
 * is what fd 2 was then (not a file the program opened since under the
 * same number); -1 when there is none. */
static int stderr_now(void)
{
	struct stat st;

	if (fcntl(STDERR_FILENO, F_GETFD) >= 0)
		return fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved_stderr < 0 || fstat(saved_stderr, &st) || st.st_dev != saved_dev ||
	    st.st_ino != saved_ino)
		return -1;
	return fcntl(saved_stderr, F_DUPFD_CLOEXEC, 3);
}

static void say(const char *fmt, const char *a, const char *b)
{
	char line[512];
	int n = snprintf(line, sizeof(line), fmt, a, b);
	int fd = stderr_now();

	if (n > 0 && fd >= 0)
		write_all(fd, line, strnlen(line, sizeof(line)));
	if (fd >= 0)
		close(fd);
}

/* USLAB_STATS_FILE with %p and %e expanded (%% is a %). */
bool exit_report_path(const char *pattern, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = pattern; *p; p++) {
		char piece[32];
		const char *add = piece;

		if (*p == '%' && p[1] == 'p') {
			snprintf(piece, sizeof(piece), "%d", (int)getpid());
			p++;
		} else if (*p == '%' && p[1] == 'e') {
			add = program_name();
			p++;
		} else if (*p == '%' && p[1] == '%') {
			strcpy(piece, "%");
			p++;
		} else {
			piece[0] = *p;
			piece[1] = 0;
		}
		for (; *add; add++) {
			if (o + 1 >= len)
				return false;
			/* A program name never makes a path climb elsewhere. */
			out[o++] = (add != piece && *add == '/') ? '_' : *add;
		}
	}
	if (!o)
		return false;
	out[o] = 0;
	return true;
}

/* The report is written through a buffer of its own, so that stdio
 * allocates nothing while uslab_report() holds uslab's locks (in
 * libuslab-malloc that would be a malloc under slab_mutex), and reaches
 * the file in one write() unless it is larger than the buffer. */
#define REPORT_BUFFER (1UL << 20)

static void report_at_exit(void)
{
	long format = uslab_opt(USLAB_OPT_STATS);
	/* Not from the environment of a set-user-id program's caller. */
	const char *pattern = secure_getenv("USLAB_STATS_FILE");
	char path[4096] = "standard error";
	int fd = -1;
	FILE *out;
	char *buf;

	if (!format)
		return;
	if (pattern && *pattern) {
		if (!exit_report_path(pattern, path, sizeof(path))) {
			say("uslab: USLAB_STATS_FILE=%s is too long or empty%s; the report goes to standard error\n",
			    pattern, "");
			strcpy(path, "standard error");
		} else {
			struct stat st;

			/* O_NONBLOCK: a FIFO without a reader must not hold the
			 * exit; only files and devices take a report. */
			fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
				  0644);
			if (fd >= 0 && (fstat(fd, &st) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
				close(fd);
				fd = -1;
				errno = EINVAL;
			}
			if (fd >= 0)
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			if (fd < 0) {
				say("uslab: USLAB_STATS_FILE %s: %s; the report goes to standard error\n",
				    path, errno == EINVAL ? "not a file" : strerror(errno));
				strcpy(path, "standard error");
			}
		}
	}
	if (fd < 0)
		fd = stderr_now();
	if (fd < 0)
		return;		/* no standard error to say it on either */
	out = fdopen(fd, "a");
	buf = mmap(NULL, REPORT_BUFFER, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!out || buf == MAP_FAILED) {
		say("uslab: no memory for the report at exit (%s%s)\n", path, "");
		if (out)
			fclose(out);
		else
			close(fd);
		if (buf != MAP_FAILED)
			munmap(buf, REPORT_BUFFER);
		return;
	}
	setvbuf(out, buf, _IOFBF, REPORT_BUFFER);
	fprintf(out, "# uslab report at exit of pid %d (%s)\n", (int)getpid(), program_name());
	uslab_report(out, (enum uslab_report_format)format);
	if (fflush(out) || ferror(out))
		say("uslab: the report at exit could not be written to %s: %s\n", path,
		    strerror(errno ? errno : EIO));
	fclose(out);
	munmap(buf, REPORT_BUFFER);
}

/* A child that does not exec (a daemon) must not keep the parent's
 * stderr open behind its back: a shell waiting for that pipe's end would
 * wait for the daemon. */
static void forget_saved_stderr(void)
{
	struct stat st;

	/* Only if the number is still ours: the program may have closed it
	 * and got it back for a file or a socket of its own. */
	if (saved_stderr >= 0 && (fcntl(saved_stderr, F_GETFD) & FD_CLOEXEC) &&
	    !fstat(saved_stderr, &st) && st.st_dev == saved_dev && st.st_ino == saved_ino)
		close(saved_stderr);
	saved_stderr = -1;
}

void exit_report_init(void)
{
	struct stat st;

	if (!uslab_opt(USLAB_OPT_STATS))
		return;
	/* Above the descriptors a program numbers itself (shells use 10). */
	if (!fstat(STDERR_FILENO, &st)) {
		saved_dev = st.st_dev;
		saved_ino = st.st_ino;
		saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 64);
		if (saved_stderr < 0)
			saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	}
	pthread_atfork(NULL, NULL, forget_saved_stderr);
	atexit(report_at_exit);
}
