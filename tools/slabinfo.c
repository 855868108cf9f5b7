/*
 * slabinfo.c - the slabinfo tool, as tools/mm/slabinfo is for the kernel.
 *
 * It reads the raw report of a program that uses uslab: from a running
 * process (-p PID, read from outside: slabinfo_remote.c), from a file
 * written with USLAB_STATS=raw USLAB_STATS_FILE=<file>, from standard
 * input, or by running the program itself (slabinfo [options] -- prog
 * args...), and shows the caches the way the kernel's tool does.
 *
 * A stand-alone program: it does not link uslab, it parses text (the
 * public header gives it the counter names); only the remote reader
 * knows the library's structures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uslab.h"
#include "slabinfo_remote.h"

#define MAX_CACHES 4096
#define MAX_ALIASES 4096
#define PAGE_SIZE 4096UL

/* The counter names come from the public header; nothing of uslab is linked. */
static const char *const stat_names[] = {
#define STAT_NAME(name) #name,
	USLAB_STAT_LIST(STAT_NAME)
#undef STAT_NAME
};
#define NR_STATS (sizeof(stat_names) / sizeof(stat_names[0]))

enum {
#define STAT_ENUM(name) name,
	USLAB_STAT_LIST(STAT_ENUM)
#undef STAT_ENUM
};

struct cache {
	char name[128];
	unsigned long object_size, size, align, order, objs_per_slab, objects, total_objs;
	unsigned long slabs, partial, cpu_slabs, cpu_partial, pages, aliases, min_partial;
	unsigned long ctor, destroyed;
	char flags[16];
	unsigned long long stat[NR_STATS];
};

struct alias {
	char name[128], cache[128];
};

static struct cache caches[MAX_CACHES];
static struct alias aliases[MAX_ALIASES];
static int nr_caches, nr_aliases;
static char memory_line[1024];

/* Options, named as the kernel tool's. */
static int show_aliases, show_activity, show_report, show_totals, show_empty, only_empty;
static int sort_size, sort_loss, sort_active, sort_partial, sort_objects, invert, show_bytes;
static int max_lines = -1;

static void decode(char *dst, const char *src, size_t len)
{
	size_t n = 0;

	while (*src && n + 1 < len) {
		if (src[0] == '%' && src[1] && src[2]) {
			char hex[3] = { src[1], src[2], 0 };

			dst[n++] = (char)strtol(hex, NULL, 16);
			src += 3;
		} else {
			dst[n++] = *src++;
		}
	}
	dst[n] = 0;
}

static void parse_cache(char *line)
{
	struct cache *c;
	char *tok, *save;

	if (nr_caches == MAX_CACHES)
		return;
	c = &caches[nr_caches++];
	memset(c, 0, sizeof(*c));
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *eq = strchr(tok, '=');
		unsigned long v;

		if (!eq)
			continue;
		*eq++ = 0;
		if (!strcmp(tok, "name")) {
			decode(c->name, eq, sizeof(c->name));
			continue;
		}
		if (!strcmp(tok, "flags")) {
			snprintf(c->flags, sizeof(c->flags), "%s", strcmp(eq, "-") ? eq : "");
			continue;
		}
		v = strtoul(eq, NULL, 10);
#define FIELD(f) if (!strcmp(tok, #f)) { c->f = v; continue; }
		FIELD(object_size) FIELD(size) FIELD(align) FIELD(order) FIELD(objs_per_slab)
		FIELD(total_objs) FIELD(slabs) FIELD(partial) FIELD(cpu_slabs) FIELD(cpu_partial)
		FIELD(pages) FIELD(aliases) FIELD(min_partial) FIELD(ctor) FIELD(destroyed)
#undef FIELD
		if (!strcmp(tok, "active_objs")) {
			c->objects = v;
			continue;
		}
		for (size_t i = 0; i < NR_STATS; i++)
			if (!strcmp(tok, stat_names[i]))
				c->stat[i] = strtoull(eq, NULL, 10);
	}
}

static void parse_alias(char *line)
{
	char *name = strstr(line, "name="), *cache = strstr(line, " cache=");
	struct alias *a;

	if (!name || !cache || nr_aliases == MAX_ALIASES)
		return;
	a = &aliases[nr_aliases++];
	*cache = 0;
	decode(a->name, name + 5, sizeof(a->name));
	decode(a->cache, cache + 7, sizeof(a->cache));
	a->cache[strcspn(a->cache, "\n")] = 0;
}

/* A file may hold several reports (USLAB_STATS_FILE appends one per
 * process): the last one is shown, and the reader is told. */
static int read_report(FILE *f)
{
	char *line = NULL, who[160] = "";
	size_t cap = 0;
	int seen_header = 0;

	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "# uslab report at exit of ", 26)) {
			snprintf(who, sizeof(who), "%s", line + 26);
			who[strcspn(who, "\n")] = 0;
		} else if (!strncmp(line, "uslab-raw - version:", 20)) {
			seen_header++;
			nr_caches = nr_aliases = 0;
			memory_line[0] = 0;
		} else if (!strncmp(line, "cache ", 6))
			parse_cache(line + 6);
		else if (!strncmp(line, "alias ", 6))
			parse_alias(line + 6);
		else if (!strncmp(line, "memory ", 7))
			snprintf(memory_line, sizeof(memory_line), "%s", line + 7);
	}
	free(line);
	if (!seen_header) {
		fprintf(stderr, "slabinfo: no uslab raw report found (write one with USLAB_STATS=raw)\n");
		return -1;
	}
	if (seen_header > 1)
		fprintf(stderr, "slabinfo: %d reports in the input; showing the last%s%s\n",
			seen_header, *who ? ", of " : "", who);
	if (nr_caches == MAX_CACHES)
		fprintf(stderr, "slabinfo: more than %d caches; the first %d are shown\n", MAX_CACHES,
			MAX_CACHES);
	return 0;
}

static int run_program(char **argv)
{
	char path[] = "/tmp/slabinfo-XXXXXX";
	int fd = mkstemp(path), status, ret;
	pid_t pid;
	FILE *f;

	if (fd < 0) {
		perror("slabinfo: mkstemp");
		return -1;
	}
	close(fd);
	pid = fork();
	if (pid < 0) {
		perror("slabinfo: fork");
		unlink(path);
		return -1;
	}
	if (pid == 0) {
		setenv("USLAB_STATS", "raw", 1);
		setenv("USLAB_STATS_FILE", path, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "slabinfo: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	waitpid(pid, &status, 0);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "slabinfo: %s wrote no report\n", argv[0]);
		unlink(path);
		return -1;
	}
	ret = read_report(f);
	fclose(f);
	unlink(path);
	if (ret == 0 && WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "slabinfo: %s exited with status %d\n", argv[0], WEXITSTATUS(status));
	return ret;
}

/* 12345678 -> "11.7M", as the kernel tool prints sizes. */
static void store_size(char *buf, size_t len, unsigned long long value)
{
	const char *units = "KMGTP";
	double v = (double)value;
	int u = -1;

	if (show_bytes || value < 1024) {
		snprintf(buf, len, "%llu", value);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static unsigned long slab_bytes(const struct cache *c)
{
	return c->pages * PAGE_SIZE;
}

static unsigned long loss(const struct cache *c)
{
	unsigned long used = c->objects * c->object_size;

	return slab_bytes(c) > used ? slab_bytes(c) - used : 0;
}

static unsigned long long activity(const struct cache *c)
{
	return c->stat[ALLOC_FASTPATH] + c->stat[ALLOC_SLOWPATH] + c->stat[FREE_FASTPATH] +
	       c->stat[FREE_SLOWPATH];
}

static int compare(const void *a, const void *b)
{
	const struct cache *x = a, *y = b;
	long long d;

	if (sort_size)
		d = (long long)slab_bytes(y) - (long long)slab_bytes(x);
	else if (sort_loss)
		d = (long long)loss(y) - (long long)loss(x);
	else if (sort_active)
		d = (long long)(activity(y) - activity(x));
	else if (sort_partial)
		d = (long long)y->partial - (long long)x->partial;
	else if (sort_objects)
		d = (long long)y->objects - (long long)x->objects;
	else
		d = strcmp(x->name, y->name);
	if (invert)
		d = -d;
	return d < 0 ? -1 : d > 0;
}

static int shown(const struct cache *c)
{
	if (only_empty)
		return c->objects == 0;
	/* A report is about counters: a cache that was used and has given
	 * all its memory back by the time of the report still has them. */
	if (show_report && c->stat[ALLOC_FASTPATH] + c->stat[ALLOC_SLOWPATH])
		return 1;
	return show_empty || c->slabs || c->objects;
}

static void print_listing(void)
{
	int lines = 0;

	if (show_activity)
		printf("Name                   Objects      Alloc       Free   %%Fast Fallb O CmpX   UL\n");
	else
		printf("Name                   Objects Objsize           Space Slabs/Part/Cpu  O/S O %%Fr %%Ef Flg\n");
	for (int i = 0; i < nr_caches; i++) {
		const struct cache *c = &caches[i];
		char space[32], dist[48], flags[24];

		if (!shown(c) || (max_lines >= 0 && lines >= max_lines))
			continue;
		lines++;
		if (show_activity) {
			unsigned long long a = c->stat[ALLOC_FASTPATH] + c->stat[ALLOC_SLOWPATH];
			unsigned long long f = c->stat[FREE_FASTPATH] + c->stat[FREE_SLOWPATH];

			printf("%-21s %8lu %10llu %10llu %3llu %3llu %5llu %1lu %4llu %4llu\n", c->name,
			       c->objects, a, f, a ? c->stat[ALLOC_FASTPATH] * 100 / a : 0,
			       f ? c->stat[FREE_FASTPATH] * 100 / f : 0, c->stat[ORDER_FALLBACK],
			       c->order, c->stat[CMPXCHG_DOUBLE_FAIL], c->stat[CMPXCHG_DOUBLE_CPU_FAIL]);
			continue;
		}
		store_size(space, sizeof(space), slab_bytes(c));
		snprintf(dist, sizeof(dist), "%lu/%lu/%lu",
			 c->slabs > c->cpu_slabs ? c->slabs - c->cpu_slabs : 0, c->partial, c->cpu_slabs);
		snprintf(flags, sizeof(flags), "%s%s", c->flags, c->destroyed ? "!" : "");
		printf("%-21s %8lu %7lu %15s %14s %4lu %1lu %3lu %3lu %s\n", c->name, c->objects,
		       c->object_size, space, dist, c->objs_per_slab, c->order,
		       c->slabs ? c->partial * 100 / c->slabs : 100,
		       slab_bytes(c) ? c->objects * c->object_size * 100 / slab_bytes(c) : 100, flags);
	}
}

static void print_aliases(void)
{
	printf("%-21s -> %s\n", "Alias", "Cache");
	for (int i = 0; i < nr_aliases; i++)
		printf("%-21s -> %s\n", aliases[i].name, aliases[i].cache);
}

static void print_report(void)
{
	for (int i = 0; i < nr_caches; i++) {
		const struct cache *c = &caches[i];
		unsigned long long a = c->stat[ALLOC_FASTPATH] + c->stat[ALLOC_SLOWPATH];
		unsigned long long f = c->stat[FREE_FASTPATH] + c->stat[FREE_SLOWPATH];
		char b1[32], b2[32];

		if (!shown(c))
			continue;
		printf("\nSlabcache: %-15s Aliases: %2lu Order : %2lu Objects: %lu%s\n", c->name,
		       c->aliases, c->order, c->objects, c->destroyed ? " (destroyed, objects left)" : "");
		printf("Sizes (bytes)     Slabs              Debug                Memory\n");
		printf("------------------------------------------------------------------------\n");
		store_size(b1, sizeof(b1), slab_bytes(c));
		store_size(b2, sizeof(b2), loss(c));
		printf("Object : %7lu  Total  : %7lu   Sanity Checks : %s  Total: %7s\n",
		       c->object_size, c->slabs, strchr(c->flags, 'F') ? "On " : "Off", b1);
		printf("SlabObj: %7lu  Full   : %7lu   Redzoning     : %s  Loss : %7s\n", c->size,
		       c->slabs > c->partial + c->cpu_slabs ? c->slabs - c->partial - c->cpu_slabs : 0,
		       strchr(c->flags, 'Z') ? "On " : "Off", b2);
		printf("SlabSiz: %7lu  Partial: %7lu   Poisoning     : %s\n", PAGE_SIZE << c->order,
		       c->partial, strchr(c->flags, 'P') ? "On " : "Off");
		printf("Align  : %7lu  CpuSlab: %7lu   Tracking      : %s\n", c->align, c->cpu_slabs,
		       strchr(c->flags, 'U') ? "On " : "Off");
		printf("Objs/sl: %7lu  CpuPart: %7lu   min_partial   : %lu\n", c->objs_per_slab,
		       c->cpu_partial, c->min_partial);
		printf("\nSlab Perf Counter       Alloc     Free %%Al %%Fr\n");
		printf("--------------------------------------------------\n");
		printf("Fastpath             %8llu %8llu %3llu %3llu\n", c->stat[ALLOC_FASTPATH],
		       c->stat[FREE_FASTPATH], a ? c->stat[ALLOC_FASTPATH] * 100 / a : 0,
		       f ? c->stat[FREE_FASTPATH] * 100 / f : 0);
		printf("Slowpath             %8llu %8llu %3llu %3llu\n", c->stat[ALLOC_SLOWPATH],
		       c->stat[FREE_SLOWPATH], a ? c->stat[ALLOC_SLOWPATH] * 100 / a : 0,
		       f ? c->stat[FREE_SLOWPATH] * 100 / f : 0);
		printf("Page Alloc           %8llu %8llu\n", c->stat[ALLOC_SLAB], c->stat[FREE_SLAB]);
		printf("Add partial          %8llu %8llu\n", c->stat[DEACTIVATE_TO_HEAD] + c->stat[DEACTIVATE_TO_TAIL],
		       c->stat[FREE_ADD_PARTIAL]);
		printf("Remove partial       %8llu %8llu\n", c->stat[ALLOC_FROM_PARTIAL],
		       c->stat[FREE_REMOVE_PARTIAL]);
		printf("Cpu partial list     %8llu %8llu\n", c->stat[CPU_PARTIAL_ALLOC], c->stat[CPU_PARTIAL_FREE]);
		printf("RemoteObj/SlabFrozen %8llu %8llu\n", c->stat[DEACTIVATE_REMOTE_FREES], c->stat[FREE_FROZEN]);
		printf("Total                %8llu %8llu\n\n", a, f);
		printf("Flushes %llu Refill %llu\n", c->stat[CPUSLAB_FLUSH], c->stat[ALLOC_REFILL]);
		printf("Deactivate Full=%llu Empty=%llu ToHead=%llu ToTail=%llu Bypass=%llu\n",
		       c->stat[DEACTIVATE_FULL], c->stat[DEACTIVATE_EMPTY], c->stat[DEACTIVATE_TO_HEAD],
		       c->stat[DEACTIVATE_TO_TAIL], c->stat[DEACTIVATE_BYPASS]);
		printf("Cmpxchg_double Looping Cpu_Slab=%llu Slab=%llu  Order fallback=%llu\n",
		       c->stat[CMPXCHG_DOUBLE_CPU_FAIL], c->stat[CMPXCHG_DOUBLE_FAIL],
		       c->stat[ORDER_FALLBACK]);
		if (c->stat[SHEAF_ALLOC] || c->stat[SHEAF_FREE] || c->stat[SHEAF_REFILL])
			printf("Sheaves Alloc=%llu Free=%llu Refill=%llu Flush=%llu  "
			       "Barn Get=%llu/%llu Put=%llu/%llu (ok/fail)\n",
			       c->stat[SHEAF_ALLOC], c->stat[SHEAF_FREE], c->stat[SHEAF_REFILL],
			       c->stat[SHEAF_FLUSH], c->stat[BARN_GET], c->stat[BARN_GET_FAIL],
			       c->stat[BARN_PUT], c->stat[BARN_PUT_FAIL]);
	}
}

static void print_totals(void)
{
	unsigned long long objects = 0, space = 0, used = 0, slabs = 0, partial = 0;
	char b1[32], b2[32], b3[32];

	for (int i = 0; i < nr_caches; i++) {
		objects += caches[i].objects;
		space += slab_bytes(&caches[i]);
		used += (unsigned long long)caches[i].objects * caches[i].object_size;
		slabs += caches[i].slabs;
		partial += caches[i].partial;
	}
	store_size(b1, sizeof(b1), space);
	store_size(b2, sizeof(b2), used);
	store_size(b3, sizeof(b3), space > used ? space - used : 0);
	printf("Slabcache Totals\n----------------\n");
	printf("Slabcaches : %4d      Aliases  : %4d      Active:  %4d\n", nr_caches, nr_aliases,
	       nr_caches);
	printf("Memory used: %6s   # Loss   : %6s   MRatio:%4llu%%\n", b1, b3,
	       used ? (space - used) * 100 / used : 0);
	printf("# Objects  : %6llu   # PartObj: %6llu   ORatio:%4llu%%\n", objects, partial,
	       slabs ? partial * 100 / slabs : 0);
	printf("Objects in use: %s\n", b2);
	if (*memory_line)
		printf("\nProcess memory: %s", memory_line);
}

static void usage(void)
{
	printf("slabinfo - show the slab caches of a program that uses uslab\n\n"
	       "usage: slabinfo [options] -p <pid> [--watch[=seconds]]\n"
	       "       slabinfo [options] -f <raw report file>\n"
	       "       slabinfo [options] < <raw report>\n"
	       "       slabinfo [options] -- <program> [args...]\n\n"
	       "-p reads a running process from outside (its own user or root):\n"
	       "nothing needs to be set in it beforehand and it is never stopped.\n"
	       "A raw report is what a program writes at exit with\n"
	       "USLAB_STATS=raw USLAB_STATS_FILE=<file>; with '--' slabinfo runs the\n"
	       "program that way itself.\n\n"
	       "-a  show aliases              -A  sort by activity\n"
	       "-B  sizes in bytes            -D  activity columns\n"
	       "-e  only empty caches         -h  this help\n"
	       "-i  inverted sort order       -l  the listing (default)\n"
	       "-L  sort by loss              -N n  show the first n caches\n"
	       "-o f  write the listing to f (with --: stderr by default)\n"
	       "-O  sort by objects           -p pid  read a running process\n"
	       "-P  sort by partial slabs     -r  report per cache\n"
	       "-R  with -p: the raw report   -S  sort by size (memory)\n"
	       "-T  totals                    -z  include empty caches\n"
	       "--watch[=s]  with -p: refresh every s seconds (default 2); with -D\n"
	       "             the activity columns count what happened since the last\n");
}

/* Reads the report into the tables; raw: print it as it is instead. */
static int load(const char *file, char **prog, pid_t pid, bool raw)
{
	FILE *f;
	int ret;

	nr_caches = nr_aliases = 0;
	memory_line[0] = 0;
	if (pid > 0) {
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);

		if (!mem)
			return -1;
		ret = remote_report(pid, mem);
		fclose(mem);
		if (!ret && raw)
			fwrite(text, 1, len, stdout);
		else if (!ret && (f = fmemopen(text, len, "r"))) {
			ret = read_report(f);
			fclose(f);
		}
		free(text);
		return ret;
	}
	if (prog)
		return run_program(prog);
	if (file) {
		f = fopen(file, "r");
		if (!f) {
			fprintf(stderr, "slabinfo: %s: %s\n", file, strerror(errno));
			return -1;
		}
		ret = read_report(f);
		fclose(f);
		return ret;
	}
	return read_report(stdin);
}

static void show(void)
{
	qsort(caches, (size_t)nr_caches, sizeof(caches[0]), compare);
	if (show_aliases)
		print_aliases();
	else if (show_report)
		print_report();
	else if (show_totals)
		print_totals();
	else
		print_listing();
}

/* --watch: the counters of the caches as they were at the last refresh,
 * so that activity is what happened since. */
static struct cache previous[MAX_CACHES];
static int nr_previous;

static void subtract_previous(void)
{
	static struct cache now[MAX_CACHES];

	memcpy(now, caches, sizeof(caches[0]) * (size_t)nr_caches);
	for (int i = 0; i < nr_caches; i++)
		for (int k = 0; k < nr_previous; k++)
			if (!strcmp(previous[k].name, caches[i].name)) {
				for (size_t s = 0; s < NR_STATS; s++)
					caches[i].stat[s] -= caches[i].stat[s] >= previous[k].stat[s] ?
								     previous[k].stat[s] : caches[i].stat[s];
				break;
			}
	memcpy(previous, now, sizeof(caches[0]) * (size_t)nr_caches);
	nr_previous = nr_caches;
}

static int watch(pid_t pid, double seconds)
{
	bool tty = isatty(STDOUT_FILENO);

	for (int round = 0;; round++) {
		time_t now = time(NULL);
		char when[32];

		if (load(NULL, NULL, pid, false)) {
			if (round && kill(pid, 0) && errno == ESRCH) {
				printf("slabinfo: process %d has exited\n", (int)pid);
				return 0;
			}
			return 1;
		}
		if (show_activity)
			subtract_previous();
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
		if (tty)
			fputs("\033[H\033[2J", stdout);
		printf("slabinfo -p %d at %s, every %gs%s (Ctrl-C ends)\n\n", (int)pid, when, seconds,
		       show_activity ? (round ? ", activity since the last" : ", activity so far") : "");
		show();
		fflush(stdout);
		usleep((useconds_t)(seconds * 1e6));
	}
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "watch", optional_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *output = NULL;
	char **prog = NULL;
	double interval = 0;
	bool raw = false;
	pid_t pid = 0;
	int opt;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			prog = argv + i + 1;
			argc = i;
			break;
		}
	while ((opt = getopt_long(argc, argv, "aABDef:hilLN:o:Op:PrRSTz", long_options, NULL)) != -1) {
		switch (opt) {
		case 'a': show_aliases = 1; break;
		case 'A': sort_active = 1; show_activity = 1; break;
		case 'B': show_bytes = 1; break;
		case 'D': show_activity = 1; break;
		case 'e': only_empty = 1; break;
		case 'f': file = optarg; break;
		case 'h': usage(); return 0;
		case 'i': invert = 1; break;
		case 'l': break;
		case 'L': sort_loss = 1; break;
		case 'N': max_lines = atoi(optarg); break;
		case 'o': output = optarg; break;
		case 'O': sort_objects = 1; break;
		case 'p': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v <= 0 || v > 4194304) {
				fprintf(stderr, "slabinfo: -p %s: not a process id\n", optarg);
				return 2;
			}
			pid = (pid_t)v;
			break;
		}
		case 'P': sort_partial = 1; break;
		case 'r': show_report = 1; break;
		case 'R': raw = true; break;
		case 'S': sort_size = 1; break;
		case 'T': show_totals = 1; break;
		case 'W': {
			char *end = NULL;

			interval = optarg ? strtod(optarg, &end) : 2;
			if ((optarg && (end == optarg || *end)) || !(interval >= 0.1 && interval <= 3600)) {
				fprintf(stderr, "slabinfo: --watch=%s: seconds between 0.1 and 3600\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'z': show_empty = 1; break;
		default: usage(); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "slabinfo: unexpected argument %s (a program to run goes after --)\n",
			argv[optind]);
		return 2;
	}
	if (pid < 0 || (pid == 0 && interval) || (pid && (prog || file))) {
		fprintf(stderr, pid == 0 && interval ? "slabinfo: --watch needs -p <pid>\n"
			: "slabinfo: -p takes a pid of a running process, alone (not with -f or --)\n");
		return 2;
	}
	if (raw && (interval || !pid)) {
		fprintf(stderr, "slabinfo: -R prints what -p read, once\n");
		return 2;
	}
	/* Nothing to read but a terminal: the user wants to know how. */
	if (!pid && !prog && !file && isatty(STDIN_FILENO)) {
		usage();
		return 2;
	}
	if (prog && !*prog) {
		fprintf(stderr, "slabinfo: nothing to run after --\n");
		return 2;
	}
	/* -o before --watch and -p; after a program run, so that the
	 * program's own output keeps stdout. */
	if (output && !prog && !freopen(output, "w", stdout)) {
		fprintf(stderr, "slabinfo: %s: %s\n", output, strerror(errno));
		return 1;
	}
	if (interval)
		return watch(pid, interval);
	if (load(file, prog, pid, raw))
		return 1;
	if (raw)
		return 0;
	/* After running a program, the listing goes to stderr (the
	 * program's own output had stdout), unless -o says otherwise. */
	if (prog && output) {
		fflush(stdout);
		if (!freopen(output, "w", stdout)) {
			fprintf(stderr, "slabinfo: %s: %s\n", output, strerror(errno));
			return 1;
		}
	} else if (prog) {
		fflush(stdout);
		dup2(STDERR_FILENO, STDOUT_FILENO);
	}
	show();
	return 0;
}
