/*
 * bench_main.c - uslab-bench: the first benchmark table (see workloads.c).
 *
 *   uslab-bench [--quick] [--runs N] [--size BYTES] [--only personalities|malloc]
 */
#include <stdlib.h>
#include <string.h>

#include "workloads.h"

int main(int argc, char **argv)
{
	struct bench_options opt = { .quick = 0, .runs = 7, .size = 64, .out = stdout };
	int only_personalities = 0, only_malloc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			opt.quick = 1;
			opt.runs = 3;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			opt.runs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc &&
			   !strcmp(argv[i + 1], "personalities")) {
			only_personalities = 1;
			i++;
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc &&
			   !strcmp(argv[i + 1], "malloc")) {
			only_malloc = 1;
			i++;
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			opt.size = (size_t)atol(argv[++i]);
		} else {
			fprintf(stderr, "usage: %s [--quick] [--runs N] [--size BYTES] [--only personalities|malloc]\n",
				argv[0]);
			return 2;
		}
	}
	if (opt.runs < 1 || opt.size < 1 || opt.size > 8192) {
		fprintf(stderr, "uslab-bench: --runs must be >= 1 and --size 1..8192\n");
		return 2;
	}
	if (only_personalities) {
		bench_personalities(&opt);
		return 0;
	}
	if (only_malloc) {
		bench_malloc(&opt);
		return 0;
	}
	bench_run(&opt);
	if (!opt.quick)
		bench_personalities(&opt);
	bench_malloc(&opt);
	return 0;
}
