/*
 * suite_driver.c - the benchmark suite: every workload of
 * suite_workloads.c under every contestant, several runs, contestants
 * interleaved and rotated within each run so that drift of the machine
 * hits all alike.  Each cell is a fresh process.
 *
 * Contestants: uslab's kernel API (uslab-suite-kmem: kmem_cache and
 * kmalloc) under each personality, and the one malloc binary
 * (uslab-suite-malloc) under libuslab-malloc (unified, and slub), glibc,
 * and Debian's jemalloc, mimalloc and tcmalloc (LD_PRELOAD).  A peer whose
 * library is not installed is skipped and named.
 *
 * Output: the Markdown table (median, min-max, and uslab's advantage over
 * the best peer) on the given stream and, with an output directory,
 * results.md, runs.csv (every run), summary.csv, the gnuplot data and
 * script, and the plots as SVG and PNG when gnuplot is installed.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "suite.h"

#define MAX_RUNS 15

enum kind { KMEM, UMALLOC, PEER };

struct contestant {
	const char *name;      /* also the gnuplot column title: no spaces */
	enum kind kind;
	const char *lib;       /* preloaded library, NULL for none */
	const char *env;       /* extra environment, or NULL */
	int present;
	char lib_path[PATH_MAX];
};

static struct contestant contestants[] = {
	{ "kmem-slub", KMEM, NULL, "USLAB_ALLOCATOR=slub", 0, "" },
	{ "kmem-unified", KMEM, NULL, "USLAB_ALLOCATOR=unified", 0, "" },
	{ "uslab", UMALLOC, "libuslab-malloc.so", NULL, 0, "" },
	{ "uslab-slub", UMALLOC, "libuslab-malloc.so", "USLAB_ALLOCATOR=slub", 0, "" },
	/* The same as uslab in thread mode: per-thread caches, not per-CPU. */
	{ "uslab-thread", UMALLOC, "libuslab-malloc.so", "USLAB_CPU_MODE=thread", 0, "" },
	{ "glibc", PEER, NULL, NULL, 0, "" },
	{ "jemalloc", PEER, "libjemalloc.so.2", NULL, 0, "" },
	{ "mimalloc", PEER, "libmimalloc.so.2", NULL, 0, "" },
	{ "tcmalloc", PEER, "libtcmalloc_minimal.so.4", NULL, 0, "" },
};
#define NC (sizeof(contestants) / sizeof(contestants[0]))

enum better { LOWER, HIGHER };
enum group { G_TIME, G_TCP, G_MEMORY };
/* A row run on its own, or one that reads another figure off the runs of
 * the row above it: the workload's second number, or its peak RSS. */
enum from { F_RUN, F_EXTRA, F_PEAK_RSS };

struct workload {
	const char *id;        /* short, for files: hot64, tcp_rr4 ... */
	const char *label;
	const char *args[2];
	const char *unit;
	enum better better;
	enum group group;
	int quick;             /* in bench-quick */
	enum from from;
};

static const struct workload workloads[] = {
	{ "hot16", "hot pair 16 B (ns)", { "hot", "16" }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "hot64", "hot pair 64 B (ns)", { "hot", "64" }, "ns", LOWER, G_TIME, 1, F_RUN },
	{ "hot256", "hot pair 256 B (ns)", { "hot", "256" }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "hot1024", "hot pair 1024 B (ns)", { "hot", "1024" }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "hot4096", "hot pair 4096 B (ns)", { "hot", "4096" }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "hot32768", "hot pair 32 KiB (ns)", { "hot", "32768" }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "batch100", "batch 100 alloc, 100 free (ns)", { "batch", "100" }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "batch1000", "batch 1000 alloc, 1000 free (ns)", { "batch", "1000" }, "ns", LOWER, G_TIME, 1, F_RUN },
	{ "batch100000", "batch 100000 alloc, 100000 free (ns)", { "batch", "100000" }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "prodcons", "producer -> consumer, 2 threads (ns)", { "prodcons", NULL }, "ns", LOWER, G_TIME, 1, F_RUN },
	{ "larson", "larson-style churn, 8 threads, 8-1024 B (ns)", { "larson", "8" }, "ns", LOWER, G_TIME, 1, F_RUN },
	{ "larson32", "larson-style churn, 32 threads, 8-1024 B (ns)", { "larson", "32" }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "crowdhot", "64 threads, hot pair 64 B each (ns)", { "crowd", NULL }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "crowdrss", "64 threads, hot pair: peak RSS (MB)", { "crowd", NULL }, "MB", LOWER, G_MEMORY, 0, F_PEAK_RSS },
	{ "crowdpc", "64 threads, 32 producer -> consumer pairs (ns)", { "crowd", "1" }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "medium", "medium sizes 4 B-32 KiB, 2 threads (ns)", { "medium", NULL }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "mixed", "mixed sizes 16 B-4 KiB, 1 thread (ns)", { "mixed", NULL }, "ns", LOWER, G_TIME, 0, F_RUN },
	{ "bigloop", "large blocks 5-25 MiB replaced, 600 times (s)", { "bigloop", NULL }, "s", LOWER, G_TIME, 0, F_RUN },
	{ "bigfaults", "large blocks: page faults (thousands)", { "bigloop", NULL }, "k", LOWER, G_TIME, 0, F_EXTRA },
	{ "bigrss", "large blocks: peak RSS (MB)", { "bigloop", NULL }, "MB", LOWER, G_MEMORY, 0, F_PEAK_RSS },
	{ "coldfree", "cache-cold free, 256 B (ns)", { "coldfree", NULL }, "ns", LOWER, G_TIME, 1, F_RUN },
	{ "hackbench", "hackbench-like, 10 groups x 5+5 threads (s)", { "hackbench", "10" }, "s", LOWER, G_TIME, 1, F_RUN },
	{ "tcp_rr1", "tcp_rr-like, 1 client (transactions/s)", { "tcp_rr", "1" }, "tps", HIGHER, G_TCP, 0, F_RUN },
	{ "tcp_rr2", "tcp_rr-like, 2 clients (transactions/s)", { "tcp_rr", "2" }, "tps", HIGHER, G_TCP, 0, F_RUN },
	{ "tcp_rr4", "tcp_rr-like, 4 clients (transactions/s)", { "tcp_rr", "4" }, "tps", HIGHER, G_TCP, 1, F_RUN },
	{ "tcp_rr8", "tcp_rr-like, 8 clients (transactions/s)", { "tcp_rr", "8" }, "tps", HIGHER, G_TCP, 0, F_RUN },
	{ "live32", "RSS / ideal, 1M live 32 B objects", { "live", "32" }, "x", LOWER, G_MEMORY, 0, F_RUN },
	{ "live64", "RSS / ideal, 1M live 64 B objects", { "live", "64" }, "x", LOWER, G_MEMORY, 1, F_RUN },
	{ "live192", "RSS / ideal, 1M live 192 B objects", { "live", "192" }, "x", LOWER, G_MEMORY, 0, F_RUN },
	{ "live1024", "RSS / ideal, 1M live 1024 B objects", { "live", "1024" }, "x", LOWER, G_MEMORY, 0, F_RUN },
	{ "frag90", "RSS / live after freeing a random 90%", { "frag90", NULL }, "x", LOWER, G_MEMORY, 0, F_RUN },
	{ "fragphase", "RSS / live after a phase change of sizes", { "fragphase", NULL }, "x", LOWER, G_MEMORY, 0, F_RUN },
	{ "threads64", "RSS of 64 threads holding every kmalloc size (MB)", { "threads64", NULL }, "MB", LOWER, G_MEMORY, 1, F_RUN },
};
#define NW (sizeof(workloads) / sizeof(workloads[0]))

static const char *const libdirs[] = {
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
};

static char bindir[PATH_MAX - 64];

/* Binaries and libuslab-malloc.so sit beside the running program. */
static void find_contestants(void)
{
	ssize_t n = readlink("/proc/self/exe", bindir, sizeof(bindir) - 1);
	char *slash;

	bindir[n > 0 ? n : 0] = 0;
	slash = strrchr(bindir, '/');
	if (slash)
		*slash = 0;
	for (size_t c = 0; c < NC; c++) {
		struct contestant *k = &contestants[c];

		if (!k->lib) {
			k->present = 1;
		} else if (k->kind == UMALLOC) {
			snprintf(k->lib_path, sizeof(k->lib_path), "%s/%s", bindir, k->lib);
			k->present = !access(k->lib_path, R_OK);
		} else {
			for (size_t d = 0; d < sizeof(libdirs) / sizeof(libdirs[0]) && !k->present; d++) {
				snprintf(k->lib_path, sizeof(k->lib_path), "%s/%s", libdirs[d], k->lib);
				k->present = !access(k->lib_path, R_OK);
			}
		}
	}
}

static int run_cell(const struct contestant *k, const struct workload *w, int quick,
		    double *value, double *extra, double *rss_mb)
{
	char bin[PATH_MAX], buf[512];
	int pipefd[2], status;
	size_t len = 0;
	ssize_t n;
	long kb = -1;
	double mb;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/%s", bindir,
		 k->kind == KMEM ? "uslab-suite-kmem" : "uslab-suite-malloc");
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		const char *argv[5];
		int i = 0;

		dup2(pipefd[1], 1);
		close(pipefd[0]);
		unsetenv("LD_PRELOAD");
		unsetenv("USLAB_ALLOCATOR");
		unsetenv("USLAB_CPU_MODE");
		if (k->lib)
			setenv("LD_PRELOAD", k->lib_path, 1);
		if (k->env)
			putenv((char *)k->env);
		argv[i++] = bin;
		for (int a = 0; a < 2 && w->args[a]; a++)
			argv[i++] = w->args[a];
		if (quick)
			argv[i++] = "--quick";
		argv[i] = NULL;
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < sizeof(buf) - 1 && (n = read(pipefd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || sscanf(buf, "value=%lf unit=%*s mb=%lf peak_rss_kb=%ld", value,
					  &mb, &kb) != 3)
		return -1;
	*rss_mb = (double)kb / 1024.0;
	*extra = mb;
	return 0;
}

struct cell {
	double v[MAX_RUNS], rss[MAX_RUNS];
	int n;
	double med, min, max;
};

static struct cell cells[NW][NC];

static void summarise(struct cell *c)
{
	double tmp[MAX_RUNS];

	if (!c->n) {
		c->med = c->min = c->max = -1;
		return;
	}
	memcpy(tmp, c->v, sizeof(double) * (size_t)c->n);
	qsort(tmp, (size_t)c->n, sizeof(double), cmp_double);
	c->med = tmp[c->n / 2];
	c->min = tmp[0];
	c->max = tmp[c->n - 1];
}

/* Above 1: uslab better than the best peer. */
static double advantage(const struct workload *w, double mine, double best)
{
	if (mine <= 0 || best <= 0)
		return 0;
	return w->better == LOWER ? best / mine : mine / best;
}

static double best_of(size_t w, enum kind kind)
{
	double best = -1;

	for (size_t c = 0; c < NC; c++) {
		double v = cells[w][c].med;

		if (contestants[c].kind != kind || !contestants[c].present || v <= 0)
			continue;
		if (best < 0 || (workloads[w].better == LOWER ? v < best : v > best))
			best = v;
	}
	return best;
}

static void fmt_value(char *buf, size_t len, const char *unit, double v)
{
	if (v < 0)
		snprintf(buf, len, "failed");
	else if (!strcmp(unit, "tps"))
		snprintf(buf, len, "%.0f", v);
	else if (!strcmp(unit, "s") || !strcmp(unit, "x"))
		snprintf(buf, len, "%.3f", v);
	else
		snprintf(buf, len, "%.1f", v);
}

/* A workload's row: in this suite (quick or full), and run at all. */
static bool row_shown(size_t w, int quick)
{
	if (quick && !workloads[w].quick)
		return false;
	for (size_t c = 0; c < NC; c++)
		if (cells[w][c].n > 0)
			return true;
	return false;
}

/* " glibc, jemalloc (not installed: skipped), ...". */
static void print_peers(FILE *out)
{
	for (size_t c = 0, first = 1; c < NC; c++)
		if (contestants[c].kind == PEER) {
			fprintf(out, "%s %s%s", first ? "" : ",", contestants[c].name,
				contestants[c].present ? "" : " (not installed: skipped)");
			first = 0;
		}
	fprintf(out, ".\n");
}

static void print_table(FILE *out, int quick, int runs)
{
	fprintf(out, "| workload |");
	for (size_t c = 0; c < NC; c++)
		if (contestants[c].present)
			fprintf(out, " %s |", contestants[c].name);
	fprintf(out, " uslab malloc vs best peer | uslab kmem vs best peer |\n|---|");
	for (size_t c = 0; c < NC; c++)
		if (contestants[c].present)
			fprintf(out, "---|");
	fprintf(out, "---|---|\n");
	for (size_t w = 0; w < NW; w++) {
		const struct workload *wl = &workloads[w];
		double peer = best_of(w, PEER);

		if (!row_shown(w, quick))
			continue;
		fprintf(out, "| %s |", wl->label);
		for (size_t c = 0; c < NC; c++) {
			struct cell *ce = &cells[w][c];
			char med[32], lo[32], hi[32];

			if (!contestants[c].present)
				continue;
			fmt_value(med, sizeof(med), wl->unit, ce->med);
			fmt_value(lo, sizeof(lo), wl->unit, ce->min);
			fmt_value(hi, sizeof(hi), wl->unit, ce->max);
			if (runs > 1 && ce->med >= 0)
				fprintf(out, " %s (%s-%s) |", med, lo, hi);
			else
				fprintf(out, " %s |", med);
		}
		fprintf(out, " %.2fx | %.2fx |\n", advantage(wl, cells[w][2].med, peer),
			advantage(wl, best_of(w, KMEM), peer));
	}
	fprintf(out, "\nMedian (min-max) of %d runs, each cell a fresh process. \"vs best peer\": the best"
		" of glibc, jemalloc, mimalloc and tcmalloc over uslab's (libuslab-malloc as shipped;"
		" kmem: the better personality), above 1.00x meaning uslab is faster or smaller.\n", runs);
	fprintf(out, "Peers:");
	print_peers(out);
}

/* The table for a terminal: medians only, at most 100 columns (the
 * markdown table with the ranges goes to results.md); and a warning when
 * the runs of one cell spread so far that the machine was busy. */
static const char *short_name(const char *name)
{
	if (!strcmp(name, "kmem-slub"))
		return "k-slub";
	if (!strcmp(name, "kmem-unified"))
		return "k-unif";
	if (!strcmp(name, "uslab-slub"))
		return "u-slub";
	if (!strcmp(name, "uslab-thread"))
		return "u-thread";
	return name;
}

static void print_screen_table(FILE *out, int quick, int runs)
{
	double worst = 1;
	const char *worst_w = NULL, *worst_c = NULL;

	fprintf(out, "%-12s", "workload");
	for (size_t c = 0; c < NC; c++)
		if (contestants[c].present)
			fprintf(out, " %8s", short_name(contestants[c].name));
	fprintf(out, " %6s %6s\n", "malloc", "kmem");
	for (size_t w = 0; w < NW; w++) {
		const struct workload *wl = &workloads[w];
		double peer = best_of(w, PEER);

		if (!row_shown(w, quick))
			continue;
		fprintf(out, "%-12s", wl->id);
		for (size_t c = 0; c < NC; c++) {
			struct cell *ce = &cells[w][c];
			char med[32];

			if (!contestants[c].present)
				continue;
			fmt_value(med, sizeof(med), wl->unit, ce->med);
			fprintf(out, " %8.8s", med);
			if (ce->n > 1 && ce->min > 0 && ce->max / ce->min > worst) {
				worst = ce->max / ce->min;
				worst_w = wl->id;
				worst_c = contestants[c].name;
			}
		}
		fprintf(out, " %5.2fx %5.2fx\n", advantage(wl, cells[w][2].med, peer),
			advantage(wl, best_of(w, KMEM), peer));
	}
	fprintf(out, "\nMedians of %d runs. malloc, kmem: uslab (libuslab-malloc as shipped; the\n"
		"better kmem personality) against the best peer, above 1.00x uslab is faster or\n"
		"smaller. u-slub: libuslab-malloc with USLAB_ALLOCATOR=slub; u-thread: with\n"
		"USLAB_CPU_MODE=thread (uslab is per CPU where rseq works); k-slub, k-unif: the\n"
		"kmem_cache/kmalloc API. Units: ns per operation (hot, batch, prodcons, larson,\n"
		"medium, mixed, coldfree), s (hackbench, bigloop), thousands (bigfaults),\n"
		"transactions/s (tcp_rr), resident/ideal (live, frag), MB (bigrss, threads64).\n"
		"Peers:", runs);
	print_peers(out);
	if (worst > 1.25)
		fprintf(out, "\nwarning: the runs of one cell differed by up to %.1fx (%s, %s): the\n"
			"machine was busy while it ran; take the ratios with care, or run again.\n",
			worst, worst_w, worst_c);
}

/* ------------------------------------------------------------- files */

static FILE *open_in(const char *dir, const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "uslab-bench: cannot write %s\n", path);
	return f;
}

static void write_csv(const char *dir, int runs)
{
	FILE *raw = open_in(dir, "runs.csv"), *sum = open_in(dir, "summary.csv");

	if (raw) {
		fprintf(raw, "workload,contestant,run,value,unit,peak_rss_mb\n");
		for (size_t w = 0; w < NW; w++)
			for (size_t c = 0; c < NC; c++)
				for (int r = 0; r < cells[w][c].n && r < runs; r++)
					fprintf(raw, "%s,%s,%d,%.6g,%s,%.3f\n", workloads[w].id,
						contestants[c].name, r, cells[w][c].v[r], workloads[w].unit,
						cells[w][c].rss[r]);
		fclose(raw);
	}
	if (sum) {
		fprintf(sum, "workload,contestant,median,min,max,unit,runs\n");
		for (size_t w = 0; w < NW; w++)
			for (size_t c = 0; c < NC; c++)
				if (cells[w][c].n)
					fprintf(sum, "%s,%s,%.6g,%.6g,%.6g,%s,%d\n", workloads[w].id,
						contestants[c].name, cells[w][c].med, cells[w][c].min,
						cells[w][c].max, workloads[w].unit, cells[w][c].n);
		fclose(sum);
	}
}

/* One data file per plot: a row per workload, a column per contestant. */
/* unit: only the workloads of this unit (NULL: all of the group), so that
 * ratios and megabytes never share an axis. */
static void write_dat(const char *dir, const char *name, enum group g, int relative,
		      const char *unit, int unit_only)
{
	FILE *f = open_in(dir, name);

	if (!f)
		return;
	fprintf(f, "workload");
	for (size_t c = 0; c < NC; c++)
		if (contestants[c].present)
			fprintf(f, " %s", contestants[c].name);
	fprintf(f, "\n");
	for (size_t w = 0; w < NW; w++) {
		double peer = best_of(w, PEER);

		if (workloads[w].group != g || cells[w][0].n == 0)
			continue;
		if (unit && (strcmp(workloads[w].unit, unit) == 0) != unit_only)
			continue;
		fprintf(f, "%s", g == G_TCP ? workloads[w].args[1] : workloads[w].id);
		for (size_t c = 0; c < NC; c++) {
			double v = cells[w][c].med;

			if (!contestants[c].present)
				continue;
			if (relative)
				v = v > 0 && peer > 0 ? v / peer : 0;
			fprintf(f, " %.4g", v);
		}
		fprintf(f, "\n");
	}
	fclose(f);
}

static void write_plots(const char *dir)
{
	int ncol = 0;
	FILE *gp;
	char cmd[PATH_MAX + 64];

	for (size_t c = 0; c < NC; c++)
		ncol += contestants[c].present;
	write_dat(dir, "time.dat", G_TIME, 1, NULL, 0);
	write_dat(dir, "tcp_rr.dat", G_TCP, 0, NULL, 0);
	write_dat(dir, "memory.dat", G_MEMORY, 0, "MB", 0);
	write_dat(dir, "memory_mb.dat", G_MEMORY, 0, "MB", 1);
	gp = open_in(dir, "plots.gp");
	if (!gp)
		return;
	fprintf(gp,
		"# Made by uslab-bench: gnuplot plots.gp in this directory.\n"
		"set datafile separator whitespace\n"

		"set key outside right top\n"
		"set grid ytics\n"
		"set style data histogram\n"
		"set style histogram clustered gap 1\n"
		"set style fill solid 0.8 border -1\n"
		"set xtics rotate by -35\n"
		"do for [fmt in \"svg png\"] {\n"
		/* noenhanced after set terminal, which resets it: "tcp_rr" is
		 * not "tcp" with a subscript r. */
		"  if (fmt eq \"svg\") { set terminal svg size 1100,520 dynamic font \"sans,11\" } else {"
		" set terminal pngcairo size 1100,520 font \"sans,10\" }\n"
		"  set termoption noenhanced\n"
		"  set output \"time.\".fmt\n"
		"  set title \"Time relative to the best peer (1 = best of glibc, jemalloc, mimalloc,"
		" tcmalloc; lower is better)\"\n"
		"  set logscale y 2\n"
		"  set ylabel \"time / best peer\"\n"
		"  plot for [i=2:%d] \"time.dat\" using i:xtic(1) title columnheader(i)\n"
		"  unset logscale y\n"
		"  set output \"memory.\".fmt\n"
		"  set title \"Memory: resident / ideal (live*, frag*); lower is better\"\n"
		"  set ylabel \"resident / ideal\"\n"
		"  set logscale y 2\n"
		"  plot for [i=2:%d] \"memory.dat\" using i:xtic(1) title columnheader(i)\n"
		"  unset logscale y\n"
		"  set output \"memory_mb.\".fmt\n"
		"  set title \"Memory: MB above the baseline (threads64: 64 threads holding every kmalloc"
		" size); lower is better\"\n"
		"  set ylabel \"MB\"\n"
		"  plot for [i=2:%d] \"memory_mb.dat\" using i:xtic(1) title columnheader(i)\n"
		"  set output \"tcp_rr.\".fmt\n"
		"  set style data linespoints\n"
		"  set title \"tcp_rr-like on loopback: transactions per second by client threads"
		" (higher is better)\"\n"
		"  set ylabel \"transactions/s\"\n"
		"  set xlabel \"client threads\"\n"
		"  set xtics norotate\n"
		"  plot for [i=2:%d] \"tcp_rr.dat\" using 1:i title columnheader(i)\n"
		"  unset xlabel\n"
		"  set xtics rotate by -35\n"
		"  set style data histogram\n"
		"}\n", ncol + 1, ncol + 1, ncol + 1, ncol + 1);
	fclose(gp);
	if (system("command -v gnuplot >/dev/null 2>&1")) {
		fprintf(stderr, "uslab-bench: gnuplot not installed: plots.gp and the .dat files are"
			" written, no SVG/PNG\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot plots.gp", dir);
	if (system(cmd))
		fprintf(stderr, "uslab-bench: gnuplot failed (%s)\n", cmd);
}

void bench_suite(const struct suite_options *opt)
{
	int runs = opt->runs > MAX_RUNS ? MAX_RUNS : opt->runs, failed = 0;
	double t0 = now_ns();

	find_contestants();
	memset(cells, 0, sizeof(cells));
	for (int r = 0; r < runs; r++)
		for (size_t w = 0; w < NW; w++) {
			if ((opt->quick && !workloads[w].quick) ||
			    (opt->only && strncmp(workloads[w].id, opt->only, strlen(opt->only))))
				continue;
			for (size_t i = 0; i < NC; i++) {
				size_t c = (i + (size_t)r + w) % NC;
				struct cell *ce = &cells[w][c];

				if (!contestants[c].present)
					continue;
				double extra;

				if (workloads[w].from != F_RUN)
					continue;
				if (run_cell(&contestants[c], &workloads[w], opt->quick, &ce->v[ce->n],
					     &extra, &ce->rss[ce->n]) == 0) {
					/* The rows that read this run's other figures. */
					for (size_t d = w + 1; d < NW && workloads[d].from != F_RUN; d++) {
						struct cell *de = &cells[d][c];

						de->v[de->n] = workloads[d].from == F_EXTRA ?
							extra / 1000.0 : ce->rss[ce->n];
						de->rss[de->n] = ce->rss[ce->n];
						de->n++;
					}
					ce->n++;
				} else {
					failed++;
				}
			}
		}
	for (size_t w = 0; w < NW; w++)
		for (size_t c = 0; c < NC; c++)
			summarise(&cells[w][c]);

	fprintf(opt->out, "\n## uslab against the allocators a program could pick (%s, %d runs, %.0f s)\n\n",
		opt->quick ? "bench-quick" : "full suite", runs, (now_ns() - t0) / 1e9);
	print_screen_table(opt->out, opt->quick, runs);
	if (failed)
		fprintf(opt->out, "%d cells failed (not counted).\n", failed);
	if (opt->markdown) {
		FILE *md = fopen(opt->markdown, "w");

		if (md) {
			if (opt->header)
				fprintf(md, "%s\n\n", opt->header);
			print_table(md, opt->quick, runs);
			fclose(md);
			fprintf(opt->out, "The table in markdown, with the ranges: %s\n", opt->markdown);
		} else {
			fprintf(stderr, "uslab-bench: cannot write %s\n", opt->markdown);
		}
	}
	if (opt->dir) {
		FILE *md;

		mkdir(opt->dir, 0755);
		md = open_in(opt->dir, "results.md");
		if (md) {
			fprintf(md, "# uslab benchmark results\n\n%s\n\n", opt->header ? opt->header : "");
			print_table(md, opt->quick, runs);
			fclose(md);
		}
		write_csv(opt->dir, runs);
		write_plots(opt->dir);
	}
}
