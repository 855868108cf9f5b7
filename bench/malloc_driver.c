/*
 * malloc_driver.c - the malloc replacement against the allocators a
 * program could pick instead: the one unmodified binary
 * uslab-malloc-workload, run once per cell under glibc (nothing
 * preloaded), jemalloc, mimalloc, tcmalloc (Debian's libraries, with
 * LD_PRELOAD) and libuslab-malloc, in an order that rotates every run so
 * that drift hits all alike.
 *
 * Reports the median time per operation and the median peak resident
 * memory of each, and uslab's ratio to the best peer (below 1.00x: uslab
 * is faster / smaller).  A peer whose library is not installed is skipped
 * and named.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "workloads.h"

#define MAX_RUNS 15

struct allocator {
	const char *name;
	const char *lib;       /* NULL: glibc, nothing preloaded */
	const char *env;       /* extra environment, or NULL */
	int is_uslab;
	int present;
};

static const char *const libdirs[] = {
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
};

static struct allocator allocators[] = {
	{ "glibc", NULL, NULL, 0, 0 },
	{ "jemalloc", "libjemalloc.so.2", NULL, 0, 0 },
	{ "mimalloc", "libmimalloc.so.2", NULL, 0, 0 },
	{ "tcmalloc", "libtcmalloc_minimal.so.4", NULL, 0, 0 },
	{ "uslab", "libuslab-malloc.so", NULL, 1, 0 },
	{ "uslab-slub", "libuslab-malloc.so", "USLAB_ALLOCATOR=slub", 1, 0 },
};
#define NR_ALLOCATORS (sizeof(allocators) / sizeof(allocators[0]))

struct workload {
	const char *label;
	const char *args[3];
};

static const struct workload workloads[] = {
	{ "hot pair 16 B", { "hot", "16", NULL } },
	{ "hot pair 64 B", { "hot", "64", NULL } },
	{ "hot pair 256 B", { "hot", "256", NULL } },
	{ "hot pair 1024 B", { "hot", "1024", NULL } },
	{ "hot pair 4096 B", { "hot", "4096", NULL } },
	{ "batch: 1000 alloc, 1000 free (64 B)", { "batch", "1000", NULL } },
	{ "producer -> consumer, 2 threads (64 B)", { "prodcons", NULL, NULL } },
	{ "larson-style, 8 threads, 8-1024 B", { "larson", NULL, NULL } },
};
#define NR_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static char lib_paths[NR_ALLOCATORS][PATH_MAX];
static char workload_bin[PATH_MAX];

/* The build directory: where uslab-bench, the workload binary and
 * libuslab-malloc.so are. */
static void find_binaries(void)
{
	char self[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	self[n > 0 ? n : 0] = 0;
	slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(workload_bin, sizeof(workload_bin), "%s/uslab-malloc-workload", self);
	for (size_t a = 0; a < NR_ALLOCATORS; a++) {
		struct allocator *al = &allocators[a];

		if (!al->lib) {
			al->present = 1;
			continue;
		}
		if (al->is_uslab) {
			snprintf(lib_paths[a], PATH_MAX, "%s/%s", self, al->lib);
			al->present = !access(lib_paths[a], R_OK);
			continue;
		}
		for (size_t d = 0; d < sizeof(libdirs) / sizeof(libdirs[0]) && !al->present; d++) {
			snprintf(lib_paths[a], PATH_MAX, "%s/%s", libdirs[d], al->lib);
			al->present = !access(lib_paths[a], R_OK);
		}
	}
}

/* Runs the workload under one allocator; 0 on success. */
static int run_one(size_t a, const struct workload *w, int quick, double *ns, double *rss_mb)
{
	int pipefd[2], status;
	char buf[256];
	size_t len = 0;
	ssize_t n;
	long kb = -1;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		const char *argv[6];
		int i = 0;

		dup2(pipefd[1], 1);
		close(pipefd[0]);
		unsetenv("LD_PRELOAD");
		if (allocators[a].lib)
			setenv("LD_PRELOAD", lib_paths[a], 1);
		if (allocators[a].env)
			putenv((char *)allocators[a].env);
		argv[i++] = workload_bin;
		for (int k = 0; k < 2 && w->args[k]; k++)
			argv[i++] = w->args[k];
		if (quick)
			argv[i++] = "--quick";
		argv[i] = NULL;
		execv(workload_bin, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < sizeof(buf) - 1 && (n = read(pipefd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || sscanf(buf, "ns_per_op=%lf peak_rss_kb=%ld", ns, &kb) != 2)
		return -1;
	*rss_mb = (double)kb / 1024.0;
	return 0;
}

static double median_of(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

void bench_malloc(const struct bench_options *opt)
{
	static double ns[NR_WORKLOADS][NR_ALLOCATORS][MAX_RUNS];
	static double rss[NR_WORKLOADS][NR_ALLOCATORS][MAX_RUNS];
	static double med_ns[NR_WORKLOADS][NR_ALLOCATORS], med_rss[NR_WORKLOADS][NR_ALLOCATORS];
	int runs = opt->runs > MAX_RUNS ? MAX_RUNS : opt->runs, failed = 0;
	FILE *out = opt->out;

	find_binaries();
	if (access(workload_bin, X_OK)) {
		fprintf(out, "\n(malloc replacement: %s not built; skipped)\n", workload_bin);
		return;
	}
	for (int r = 0; r < runs; r++)
		for (size_t w = 0; w < NR_WORKLOADS; w++)
			for (size_t k = 0; k < NR_ALLOCATORS; k++) {
				size_t a = (k + (size_t)r + w) % NR_ALLOCATORS;

				if (!allocators[a].present)
					continue;
				if (run_one(a, &workloads[w], opt->quick, &ns[w][a][r], &rss[w][a][r])) {
					ns[w][a][r] = rss[w][a][r] = -1;
					failed++;
				}
			}
	for (size_t w = 0; w < NR_WORKLOADS; w++)
		for (size_t a = 0; a < NR_ALLOCATORS; a++) {
			med_ns[w][a] = median_of(ns[w][a], runs);
			med_rss[w][a] = median_of(rss[w][a], runs);
		}

	fprintf(out, "\n## malloc replacement: one binary under each allocator (LD_PRELOAD), %d runs, median\n\n",
		runs);
	for (int table = 0; table < 2; table++) {
		fprintf(out, table == 0 ? "time per malloc+free (ns), lower is better\n\n" :
			"\npeak resident memory (MiB), lower is better\n\n");
		fprintf(out, "| workload |");
		for (size_t a = 0; a < NR_ALLOCATORS; a++)
			if (allocators[a].present)
				fprintf(out, " %s |", allocators[a].name);
		fprintf(out, " uslab / best peer |\n|---|");
		for (size_t a = 0; a < NR_ALLOCATORS; a++)
			if (allocators[a].present)
				fprintf(out, "---|");
		fprintf(out, "---|\n");
		for (size_t w = 0; w < NR_WORKLOADS; w++) {
			double best = 0, mine = 0;

			fprintf(out, "| %s |", workloads[w].label);
			for (size_t a = 0; a < NR_ALLOCATORS; a++) {
				double v = table == 0 ? med_ns[w][a] : med_rss[w][a];

				if (!allocators[a].present)
					continue;
				fprintf(out, table == 0 ? " %.1f |" : " %.2f |", v);
				if (!allocators[a].is_uslab && v > 0 && (best == 0 || v < best))
					best = v;
				if (allocators[a].is_uslab && !allocators[a].env)
					mine = v;
			}
			fprintf(out, " %.2fx |\n", best > 0 ? mine / best : 0.0);
		}
	}
	fprintf(out, "\nuslab: libuslab-malloc.so as shipped (unified caches); uslab-slub: the same with"
		" USLAB_ALLOCATOR=slub.\nPeers:");
	for (size_t a = 0, first = 1; a < NR_ALLOCATORS; a++)
		if (!allocators[a].is_uslab) {
			fprintf(out, "%s %s%s", first ? "" : ",", allocators[a].name,
				allocators[a].present ? "" : " (not installed: skipped)");
			first = 0;
		}
	fprintf(out, ".  Best peer: the fastest (smallest) of glibc, jemalloc, mimalloc, tcmalloc in"
		" the same run.\n");
	if (failed)
		fprintf(out, "%d runs failed and count as -1.\n", failed);
}
