/*
 * suite.h - what uslab-bench and the demo call: the benchmark suite
 * (suite_driver.c, running the workloads of suite_workloads.c under every
 * contestant), the table of hardening costs (hardening.c, in-process) and
 * that of kfree_rcu (rcu_cost.c, in-process).
 */
#ifndef USLAB_BENCH_SUITE_H
#define USLAB_BENCH_SUITE_H

#include <stdio.h>

struct suite_options {
	int quick;             /* bench-quick: fewer workloads, shorter runs */
	int runs;              /* runs per cell; the median is reported */
	const char *only;      /* run only workloads whose id starts so */
	const char *dir;       /* results.md, CSVs, plots; NULL: table only */
	const char *header;    /* machine, commit, command: for results.md */
	const char *markdown;  /* the markdown table alone to this file, or NULL */
	FILE *out;
};

void bench_suite(const struct suite_options *opt);
/* kmem_cache, 64-byte objects, each hardening option against plain. */
void bench_hardening(int runs, FILE *out);
/* kfree_rcu against kfree and call_rcu (rcu_cost.c, built with liburcu). */
void bench_rcu(int runs, FILE *out);

#endif
