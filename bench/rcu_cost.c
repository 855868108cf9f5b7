/*
 * rcu_cost.c - what a free after a grace period costs: kfree_rcu against
 * kfree, and against one liburcu call_rcu per object, 64-byte kmalloc
 * objects, in one process (memb flavour), variants interleaved within
 * each run.  The objects are allocated before the clock starts; a variant
 * is timed from its first free to the moment every object is back in its
 * cache (the barrier included), as wall time and as the process's CPU
 * time (the frees after a grace period run on another thread).
 */
#define _GNU_SOURCE
#include <urcu.h>

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <uslab_rcu.h>

#include "bench_util.h"
#include "suite.h"

#define OBJ_SIZE 64
#define MAX_RUNS 15

struct obj {
	unsigned long payload[6];
	struct rcu_head rh;
};

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static void free_cb(struct rcu_head *head)
{
	kfree(caa_container_of(head, struct obj, rh));
}

enum variant { V_KFREE, V_KFREE_RCU, V_CALL_RCU, NR_V };

static const char *const names[NR_V] = {
	"kfree",
	"kfree_rcu (batched), kvfree_rcu_barrier at the end",
	"call_rcu per object (liburcu), rcu_barrier at the end",
};

/* ns per object: wall time, and CPU time of the whole process. */
static void run(enum variant v, struct obj **objs, long n, double *wall, double *cpu)
{
	double t0, c0;

	for (long i = 0; i < n; i++) {
		objs[i] = kmalloc(sizeof(struct obj), GFP_KERNEL);
		barrier_ptr(objs[i]);
	}
	t0 = now_ns();
	c0 = cpu_ns();
	switch (v) {
	case V_KFREE:
		for (long i = 0; i < n; i++)
			kfree(objs[i]);
		break;
	case V_KFREE_RCU:
		for (long i = 0; i < n; i++)
			kfree_rcu(objs[i], rh);
		kvfree_rcu_barrier();
		break;
	default:
		for (long i = 0; i < n; i++)
			call_rcu(&objs[i]->rh, free_cb);
		rcu_barrier();
		break;
	}
	*wall = (now_ns() - t0) / (double)n;
	*cpu = (cpu_ns() - c0) / (double)n;
}

/* The hot pair: one object allocated and freed, n times, then the
 * barrier: what a steady stream of frees after a grace period costs. */
static void run_pair(enum variant v, long n, double *wall, double *cpu)
{
	double t0 = now_ns(), c0 = cpu_ns();

	for (long i = 0; i < n; i++) {
		struct obj *o = kmalloc(sizeof(struct obj), GFP_KERNEL);

		barrier_ptr(o);
		if (v == V_KFREE)
			kfree(o);
		else if (v == V_KFREE_RCU)
			kfree_rcu(o, rh);
		else
			call_rcu(&o->rh, free_cb);
	}
	if (v == V_KFREE_RCU)
		kvfree_rcu_barrier();
	else if (v == V_CALL_RCU)
		rcu_barrier();
	*wall = (now_ns() - t0) / (double)n;
	*cpu = (cpu_ns() - c0) / (double)n;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

static void row(FILE *out, int v, int runs, double wall[][MAX_RUNS], double cpu[][MAX_RUNS])
{
	double rw[MAX_RUNS], rc[MAX_RUNS], w[MAX_RUNS], c[MAX_RUNS];

	for (int r = 0; r < runs; r++) {
		rw[r] = wall[v][r] / wall[V_KFREE][r];
		rc[r] = cpu[v][r] / cpu[V_KFREE][r];
		w[r] = wall[v][r];
		c[r] = cpu[v][r];
	}
	fprintf(out, "| %.1f (%.2fx) | %.1f (%.2fx) ", median(w, runs), median(rw, runs),
		median(c, runs), median(rc, runs));
}

void bench_rcu(int runs, FILE *out)
{
	static double wall[NR_V][MAX_RUNS], cpu[NR_V][MAX_RUNS];
	static double pwall[NR_V][MAX_RUNS], pcpu[NR_V][MAX_RUNS];
	const long n = 1000000;
	struct obj **objs = malloc((size_t)n * sizeof(*objs));

	if (!objs)
		return;
	if (runs > MAX_RUNS)
		runs = MAX_RUNS;
	uslab_rcu_init();
	rcu_register_thread();
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < NR_V; k++) {
			enum variant v = (enum variant)((k + r) % NR_V);

			run(v, objs, n, &wall[v][r], &cpu[v][r]);
			run_pair(v, 5 * n, &pwall[v][r], &pcpu[v][r]);
		}
	rcu_unregister_thread();
	free(objs);
	fprintf(out, "\n## The cost of a free after an RCU grace period: %d-byte kmalloc objects, median of %d runs, ns per object until every object is freed, the barrier included (x: over kfree, same run)\n\n",
		OBJ_SIZE, runs);
	fprintf(out, "1M objects freed: 1M allocated first, then each freed. Hot pair: one object allocated and freed, 5M times. CPU time: every thread of the process (the frees after a grace period run on uslab's worker or liburcu's call_rcu thread).\n\n");
	fprintf(out, "| free | 1M objects freed: wall | CPU | hot pair: wall | CPU |\n|---|---|---|---|---|\n");
	for (int v = 0; v < NR_V; v++) {
		fprintf(out, "| %s ", names[v]);
		row(out, v, runs, wall, cpu);
		row(out, v, runs, pwall, pcpu);
		fprintf(out, "|\n");
	}
}
