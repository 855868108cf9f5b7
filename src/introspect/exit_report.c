/*
 * exit_report.c - the report of every cache at exit (USLAB_STATS), and
 * where it goes.
 *
 *  - To standard error as it was when uslab started: a duplicate of fd 2
 *    is taken then, because programs (coreutils, through gnulib's
 *    close_stdout) close stderr in an atexit handler that runs before
 *    ours.
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
#include <sys/mman.h>
#include <unistd.h>

#include "base/options.h"
#include "introspect/exit_report.h"

static int saved_stderr = -1;

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

static void say(const char *fmt, const char *a, const char *b)
{
	char line[512];
	int n = snprintf(line, sizeof(line), fmt, a, b);

	if (n > 0 && saved_stderr >= 0)
		write_all(saved_stderr, line, strnlen(line, sizeof(line)));
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
	const char *pattern = getenv("USLAB_STATS_FILE");
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
			fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (fd < 0) {
				say("uslab: USLAB_STATS_FILE %s: %s; the report goes to standard error\n",
				    path, strerror(errno));
				strcpy(path, "standard error");
			}
		}
	}
	if (fd < 0 && saved_stderr >= 0)
		fd = fcntl(saved_stderr, F_DUPFD_CLOEXEC, 3);
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

void exit_report_init(void)
{
	if (!uslab_opt(USLAB_OPT_STATS))
		return;
	/* Above the descriptors a program numbers itself (shells use 10). */
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 64);
	if (saved_stderr < 0)
		saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	atexit(report_at_exit);
}
