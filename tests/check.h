/*
 * check.h - the test harness: one small function per behaviour, CHECK
 * macros that say what failed and where, and a report sink that captures
 * uslab's reports so a test can assert the exact lines.
 *
 * A test file defines its tests with TEST(name) { ... } and ends with
 * TEST_MAIN().  Running the binary runs every test in order; a name on the
 * command line runs only that one.  Exit status 0 only if all passed.
 */
#ifndef USLAB_CHECK_H
#define USLAB_CHECK_H

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uslab.h>

/* Under ASan, uslab poisons free objects and kmalloc slack: tests that
 * read them on purpose skip those reads. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#else
#define TEST_ASAN 0
#endif

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define MAX_TESTS 128
static struct test_case test_cases[MAX_TESTS];
static int nr_test_cases;
static int test_failed;

#define TEST(tname)                                                             \
	static void test_##tname(void);                                         \
	__attribute__((constructor)) static void register_##tname(void)        \
	{                                                                       \
		test_cases[nr_test_cases].name = #tname;                        \
		test_cases[nr_test_cases++].fn = test_##tname;                  \
	}                                                                       \
	static void test_##tname(void)

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,  \
				__LINE__, #cond);                               \
			test_failed = 1;                                        \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECK_EQ(a, b)                                                          \
	do {                                                                    \
		long long _a = (long long)(a), _b = (long long)(b);             \
		if (_a != _b) {                                                 \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, #a, #b, _a, _b);            \
			test_failed = 1;                                        \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                         \
	do {                                                                    \
		const char *_h = (hay), *_n = (needle);                         \
		if (!_h || !strstr(_h, _n)) {                                   \
			fprintf(stderr, "%s:%d: expected to find \"%s\" in:\n%s\n", \
				__FILE__, __LINE__, _n, _h ? _h : "(null)");    \
			test_failed = 1;                                        \
			return;                                                 \
		}                                                               \
	} while (0)

/* ---- report capture ---- */
static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static char capture_buf[1 << 16];
static size_t capture_len;
static int capture_reports;

static void capture_sink(void *ctx, const char *text)
{
	size_t n = strlen(text);

	(void)ctx;
	pthread_mutex_lock(&capture_lock);
	if (capture_len + n >= sizeof(capture_buf))
		n = sizeof(capture_buf) - capture_len - 1;
	memcpy(capture_buf + capture_len, text, n);
	capture_len += n;
	capture_buf[capture_len] = 0;
	capture_reports++;
	pthread_mutex_unlock(&capture_lock);
}

static inline void capture_start(void)
{
	pthread_mutex_lock(&capture_lock);
	capture_len = 0;
	capture_buf[0] = 0;
	capture_reports = 0;
	pthread_mutex_unlock(&capture_lock);
	uslab_set_report_sink(capture_sink, NULL, NULL, NULL);
}

/* Stops capturing; returns the text (valid until the next capture_start). */
static inline const char *capture_stop(void)
{
	uslab_set_report_sink(NULL, NULL, NULL, NULL);
	return capture_buf;
}

static inline int capture_count(void)
{
	int n;

	pthread_mutex_lock(&capture_lock);
	n = capture_reports;
	pthread_mutex_unlock(&capture_lock);
	return n;
}

/* Is there a line "BUG <cache> (<state>): <what>" (what: the whole rest
 * of the line, or with prefix only its start)? */
static inline int has_bug_line(const char *text, const char *cache, const char *what, int prefix)
{
	char head[128];
	const char *p = text;

	snprintf(head, sizeof(head), "BUG %s (", cache);
	while (p && (p = strstr(p, head))) {
		const char *eol = strchr(p, '\n'), *t = strstr(p, "): ");

		if (t && eol && t < eol && !strncmp(t + 3, what, strlen(what)) &&
		    (prefix || t + 3 + strlen(what) == eol))
			return 1;
		p += strlen(head);
	}
	return 0;
}

#define CHECK_BUG_LINE(text, cache, what, prefix)                                    \
	do {                                                                         \
		const char *_t = (text);                                             \
		if (!has_bug_line(_t, cache, what, prefix)) {                        \
			fprintf(stderr, "%s:%d: no \"BUG %s (...): %s\" in:\n%s\n",  \
				__FILE__, __LINE__, cache, what, _t);                \
			test_failed = 1;                                             \
			return;                                                      \
		}                                                                    \
	} while (0)
/* The whole BUG line, or a BUG line starting with what. */
#define CHECK_BUG(text, cache, what) CHECK_BUG_LINE(text, cache, what, 0)
#define CHECK_BUG_STARTS(text, cache, what) CHECK_BUG_LINE(text, cache, what, 1)

/* Destroys s with reports captured; returns how many there were (0 for a
 * cache whose every object was freed). */
static inline int destroy_counting_reports(struct kmem_cache *s)
{
	capture_start();
	kmem_cache_destroy(s);
	capture_stop();
	return capture_count();
}

/* Pages the page allocator holds for slabs, large objects and metadata. */
static inline unsigned long pages_in_use(void)
{
	struct uslab_page_stats st;

	uslab_page_stats(&st);
	return st.pages_in_use;
}

/* The unified caches are per CPU (USLAB_CPU_MODE: rseq where it works). */
static inline int cpu_mode(void)
{
	return !strcmp(uslab_cpu_mode(), "cpu");
}

/* Keeps the calling thread on the CPU it runs on now. */
static inline void pin_to_current_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* pin_to_current_cpu() for a stretch that counts fast paths (in cpu mode a
 * migration sends the next call to the slow path of another CPU's entry,
 * as often as the scheduler likes); unpin() gives the old mask back. */
static inline cpu_set_t pin_here(void)
{
	cpu_set_t was;

	sched_getaffinity(0, sizeof(was), &was);
	pin_to_current_cpu();
	return was;
}

static inline void unpin(cpu_set_t was)
{
	sched_setaffinity(0, sizeof(was), &was);
}

static inline struct uslab_cache_info cache_info(struct kmem_cache *s)
{
	struct uslab_cache_info ci;

	uslab_cache_info(s, &ci);
	return ci;
}

/*
 * Runs one test of this binary in a child process, with env ("NAME=value"
 * strings, NULL-terminated) added to its environment: for what is read at
 * start-up.  Its stdout and stderr land in out; returns its exit status,
 * or -1 if it did not exit.
 */
static inline int run_test_child(const char *test, const char *const *env, char *out, size_t len)
{
	int pipefd[2], status;
	size_t total = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		for (; env && *env; env++)
			putenv(strdup(*env));
		execl("/proc/self/exe", test, test, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (total < len - 1 && (n = read(pipefd[0], out + total, len - 1 - total)) > 0)
		total += (size_t)n;
	out[total] = 0;
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define TEST_MAIN()                                                             \
	int main(int argc, char **argv)                                         \
	{                                                                       \
		int failed = 0, ran = 0;                                        \
		for (int i = 0; i < nr_test_cases; i++) {                       \
			if (argc > 1 && strcmp(argv[1], test_cases[i].name))    \
				continue;                                       \
			test_failed = 0;                                        \
			test_cases[i].fn();                                     \
			ran++;                                                  \
			printf("test %-40s %s\n", test_cases[i].name,           \
			       test_failed ? "FAILED" : "ok");                  \
			fflush(stdout);                                         \
			failed += test_failed;                                  \
		}                                                               \
		printf("%d tests, %d failed\n", ran, failed);                   \
		return failed || !ran ? 1 : 0;                                  \
	}

#endif
