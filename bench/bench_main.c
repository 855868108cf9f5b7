/*
 * bench_main.c - uslab-bench: the benchmark suite and the hardening table.
 *
 *   uslab-bench [--quick] [--runs N] [--out DIR] [--only WORKLOAD] [--no-hardening]
 *
 * make bench:        uslab-bench --out bench/results   (full, about 5 minutes on 2 cores)
 * make bench-quick:  uslab-bench --quick               (under a minute; make run shows it)
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"

/* What results.md says about where the numbers come from. */
static void describe_machine(char *buf, size_t len, int argc, char **argv)
{
	char model[256] = "unknown CPU", commit[64] = "unknown", line[512], when[64];
	struct utsname u;
	time_t now = time(NULL);
	FILE *f = fopen("/proc/cpuinfo", "r");
	size_t off;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10)) {
				char *colon = strchr(line, ':');

				if (colon)
					snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		fclose(f);
	}
	f = popen("git rev-parse --short HEAD 2>/dev/null", "r");
	if (f) {
		if (fgets(commit, sizeof(commit), f))
			commit[strcspn(commit, "\n")] = 0;
		pclose(f);
	}
	uname(&u);
	strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&now));
	off = (size_t)snprintf(buf, len, "Machine: %ld CPUs, %s, Linux %s. Commit %s, %s. Command:",
			       sysconf(_SC_NPROCESSORS_ONLN), model, u.release, commit, when);
	for (int i = 0; i < argc && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " %s", argv[i]);
}

#ifdef USLAB_BENCH_RCU
/* The kfree_rcu table, with the machine's header, as DIR/rcu.md. */
static void write_rcu_table(const char *dir, const char *header, const char *text)
{
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/rcu.md", dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "# uslab: kfree_rcu\n\n%s\n%s", header, text);
	fclose(f);
}
#endif

int main(int argc, char **argv)
{
	static char header[1024];
	struct suite_options opt = { .quick = 0, .runs = 5, .only = NULL, .dir = NULL,
				     .header = header, .out = stdout };
	int hardening = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			opt.quick = 1;
			opt.runs = 3;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			opt.runs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			opt.dir = argv[++i];
		} else if (!strcmp(argv[i], "--markdown") && i + 1 < argc) {
			opt.markdown = argv[++i];
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			opt.only = argv[++i];
		} else if (!strcmp(argv[i], "--no-hardening")) {
			hardening = 0;
		} else {
			fprintf(stderr, "usage: %s [--quick] [--runs N] [--out DIR] [--markdown FILE] [--only WORKLOAD]"
				" [--no-hardening]\n", argv[0]);
			return 2;
		}
	}
	if (opt.runs < 1) {
		fprintf(stderr, "uslab-bench: --runs must be at least 1\n");
		return 2;
	}
	describe_machine(header, sizeof(header), argc, argv);
	fprintf(stdout, "%s\n", header);
	bench_suite(&opt);
	if (hardening && !opt.quick && !opt.only)
		bench_hardening(opt.runs, stdout);
#ifdef USLAB_BENCH_RCU
	if (!opt.quick && (!opt.only || !strcmp(opt.only, "rcu"))) {
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);

		if (mem) {
			bench_rcu(opt.runs, mem);
			fclose(mem);
			fputs(text, stdout);
			write_rcu_table(opt.dir, header, text);
			free(text);
		}
	}
#endif
	return 0;
}
