/*
 * test_report.c - layer 7 reports: /proc/slabinfo 2.1 lines, the slubinfo
 * form of the SLUB announcement, the raw form, the memory summary, and the
 * report printed at exit with USLAB_STATS.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char *report_text(enum uslab_report_format format)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	uslab_report(f, format);
	fclose(f);
	return text;
}

static const char *find_line(const char *text, const char *prefix)
{
	static char line[4096];
	const char *p = text;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (!strncmp(p, prefix, strlen(prefix)) && n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = 0;
			return line;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

TEST(slabinfo_version_2_1)
{
	struct kmem_cache *s = kmem_cache_create("report-conn", 500, 0, SLAB_NO_MERGE, NULL);
	void *p[10];
	char *text;
	const char *line;
	char name[64];
	unsigned long active, num, objsize, perslab, pages, limit, batch, shared, aslabs, nslabs, savail;

	for (int i = 0; i < 10; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	text = report_text(USLAB_REPORT_SLABINFO);
	const char *head = "slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";
	CHECK(!strncmp(text, head, strlen(head)));
	line = find_line(text, "report-conn ");
	CHECK(line);
	CHECK_EQ(sscanf(line, "%63s %lu %lu %lu %lu %lu : tunables %lu %lu %lu : slabdata %lu %lu %lu",
			name, &active, &num, &objsize, &perslab, &pages, &limit, &batch, &shared,
			&aslabs, &nslabs, &savail), 12);
	CHECK_EQ(active, 10);
	CHECK_EQ(objsize, 504);
	CHECK_EQ(num, perslab * nslabs);
	CHECK_EQ(pages, 1UL << cache_info(s).order);
	CHECK_EQ(aslabs, nslabs);
	/* The exact column layout of /proc/slabinfo. */
	char want[256];
	snprintf(want, sizeof(want),
		 "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu",
		 "report-conn", 10UL, num, 504u, (unsigned)perslab, (int)pages, 0u, 0u, 0u,
		 nslabs, nslabs, 0UL);
	CHECK(!strcmp(line, want));
	CHECK(find_line(text, "kmalloc-96 "));
	CHECK(find_line(text, "kmalloc-8192 "));
	CHECK(find_line(text, "#   live objects in caches"));
	CHECK(find_line(text, "#   free pages, returned"));
	free(text);
	for (int i = 0; i < 10; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
}

static void ctor(void *p)
{
	memset(p, 0, 8);
}

TEST(slubinfo_form)
{
	struct kmem_cache *s = kmem_cache_create("radix_tree_node", 560, 0, SLAB_PANIC | SLAB_SLUB, ctor);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	char *text = report_text(USLAB_REPORT_SLUBINFO);
	const char *line;

	const char *head = "slubinfo - version: 1.0\n# name            <objects> <order> <objsize> <slabs>/<partial>/<cpu> <flags>\n";
	CHECK(!strncmp(text, head, strlen(head)));
	line = find_line(text, "radix_tree_node ");
	CHECK(line);
	/* As in the announcement: "radix_tree_node         5574 0     560      797/0/1    CP" */
	char want[128];
	struct uslab_cache_info ci = cache_info(s);
	snprintf(want, sizeof(want), "%-20s%8lu %u%8u%13s %5s", "radix_tree_node", 1UL, ci.order,
		 ci.size, "1/0/1", "CP");
	CHECK(!strcmp(line, want));
	kmem_cache_free(s, p);
	free(text);
	kmem_cache_destroy(s);
}

TEST(raw_form_has_every_counter)
{
	struct kmem_cache *s = kmem_cache_create("raw-cache", 48, 0, SLAB_NO_MERGE, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	char *text = report_text(USLAB_REPORT_RAW);
	const char *line = find_line(text, "cache name=raw-cache ");

	CHECK(line);
	CHECK_STR_CONTAINS(line, " active_objs=1 ");
	CHECK_STR_CONTAINS(line, " object_size=48 size=48 ");
	{
		struct uslab_cache_info ci;
		char key[64];

		CHECK(uslab_cache_info(s, &ci) == 0);
		snprintf(key, sizeof(key), " allocator=%s queued_objs=", ci.allocator);
		CHECK_STR_CONTAINS(line, key);
	}
	for (int i = 0; i < USLAB_NR_STATS; i++) {
		char key[64];

		snprintf(key, sizeof(key), " %s=", uslab_stat_name((enum uslab_stat_item)i));
		CHECK_STR_CONTAINS(line, key);
	}
	CHECK(find_line(text, "memory live_bytes="));
	free(text);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

/* Run in a child by stats_at_exit: leaves objects so the report has them. */
TEST(stats_child)
{
	struct kmem_cache *s = kmem_cache_create("exit-report", 128, 0, SLAB_NO_MERGE, NULL);

	for (int i = 0; i < 5; i++)
		CHECK(kmem_cache_alloc(s, GFP_KERNEL));
}

TEST(stats_at_exit)
{
	char path[] = "/tmp/uslab-stats-XXXXXX";
	int fd = mkstemp(path);
	pid_t pid;
	int status;
	char buf[16384];
	ssize_t n;

	CHECK(fd >= 0);
	pid = fork();
	if (pid == 0) {
		setenv("USLAB_STATS", "slabinfo", 1);
		setenv("USLAB_STATS_FILE", path, 1);
		execl("/proc/self/exe", "test_report", "stats_child", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	CHECK(n > 0);
	buf[n] = 0;
	CHECK_STR_CONTAINS(buf, "slabinfo - version: 2.1");
	const char *line = find_line(buf, "exit-report ");
	CHECK(line);
	unsigned long active = 0;
	CHECK_EQ(sscanf(line + 17, "%lu", &active), 1);
	CHECK_EQ(active, 5);
}

TEST(bad_environment_is_reported)
{
	static const char *const env[] = { "USLAB_MAX_ORDER=banana", NULL };
	static char out[16384];

	CHECK_EQ(run_test_child("stats_child", env, out, sizeof(out)), 0);
	CHECK_STR_CONTAINS(out, "uslab: USLAB_MAX_ORDER=\"banana\" is not valid");
}

TEST_MAIN()
