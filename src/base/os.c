/*
 * os.c - the only file that calls mmap, munmap, madvise and mbind, and
 * that reads the machine's shape (CPUs, NUMA nodes, cmpxchg16b); and the
 * start of uslab's own background threads.
 *
 * os_init() runs once under uslab's init; afterwards the tables here are
 * read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "base/compiler.h"
#include "base/os.h"
#include "base/types.h"

#define MAX_CPUS 4096

static int nr_nodes = 1;
static int nr_cpus = 1;
static uint64_t node_online_mask = 1;  /* bit per node < MAX_NUMNODES */
static uint8_t cpu_to_node[MAX_CPUS];

/* Reads a kernel list like "0-3,8,10-11" into a callback per number. */
static void parse_list(const char *s, void (*fn)(int, void *), void *arg)
{
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s)
			break;
		b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long i = a; i <= b; i++)
			fn((int)i, arg);
		s = end;
		while (*s == ',' || *s == '\n' || *s == ' ')
			s++;
	}
}

static bool read_small_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

static void mark_node(int node, void *arg)
{
	(void)arg;
	if (node >= 0 && node < MAX_NUMNODES) {
		node_online_mask |= 1ULL << node;
		if (node + 1 > nr_nodes)
			nr_nodes = node + 1;
	}
}

static void mark_cpu(int cpu, void *arg)
{
	if (cpu >= 0 && cpu < MAX_CPUS)
		cpu_to_node[cpu] = (uint8_t)(intptr_t)arg;
}

void os_init(void)
{
	char buf[4096];
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	nr_cpus = n > 0 ? (int)n : 1;
	if (read_small_file("/sys/devices/system/node/online", buf, sizeof(buf))) {
		node_online_mask = 0;
		nr_nodes = 1;
		parse_list(buf, mark_node, NULL);
		if (!node_online_mask)
			node_online_mask = 1;
	}
	if (nr_nodes > 1) {
		for (int node = 0; node < nr_nodes; node++) {
			char path[96];

			if (!(node_online_mask & (1ULL << node)))
				continue;
			snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
			if (read_small_file(path, buf, sizeof(buf)))
				parse_list(buf, mark_cpu, (void *)(intptr_t)node);
		}
	}
}

void *os_map_aligned(size_t size, size_t align, bool reserve, bool guard)
{
	size_t span = size + align + PAGE_SIZE;
	char *p;
	char *start;

	if (span < size)
		return NULL;
	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | (reserve ? 0 : MAP_NORESERVE), -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* The page below start stays mapped, PROT_NONE: whatever lies below
	 * (another segment's last object) cannot run into this one. */
	start = (char *)ALIGN((uintptr_t)p + PAGE_SIZE, align);
	if (start - PAGE_SIZE > p)
		munmap(p, (size_t)(start - PAGE_SIZE - p));
	if (start + size < p + span)
		munmap(start + size, (size_t)(p + span - (start + size)));
	if (guard && mprotect(start - PAGE_SIZE, PAGE_SIZE, PROT_NONE)) {
		munmap(start - PAGE_SIZE, size + PAGE_SIZE);
		return NULL;
	}
	return start;
}

bool os_guard_page(void *addr)
{
	return mprotect(addr, PAGE_SIZE, PROT_NONE) == 0;
}

void *os_map_guarded(size_t size)
{
	size_t span = size + 2 * PAGE_SIZE;
	char *p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + PAGE_SIZE, size, PROT_READ | PROT_WRITE)) {
		munmap(p, span);
		return NULL;
	}
	return p + PAGE_SIZE;
}

int os_start_daemon(void *(*fn)(void *), size_t stack, const char *name)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, stack);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&tid, &attr, fn, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (!err)
		pthread_setname_np(tid, name);
	return err;
}

void os_unmap(void *addr, size_t size)
{
	munmap(addr, size);
}

void (*os_purge_hook)(void *addr, size_t size);

bool os_purge(void *addr, size_t size)
{
	if (unlikely(os_purge_hook))
		os_purge_hook(addr, size);
	/* Fails on locked memory (mlockall): the pages keep their bytes. */
	return madvise(addr, size, MADV_DONTNEED) == 0;
}

void os_bind_node(void *addr, size_t size, int node)
{
#ifdef SYS_mbind
	unsigned long mask;

	if (nr_nodes <= 1 || node < 0 || node >= 64)
		return;
	mask = 1UL << node;
	/* MPOL_PREFERRED = 1: the node if it has memory, else elsewhere. */
	syscall(SYS_mbind, addr, size, 1, &mask, 65UL, 0U);
#else
	(void)addr; (void)size; (void)node;
#endif
}

int os_nr_nodes(void)
{
	return nr_nodes;
}

int os_nr_cpus(void)
{
	return nr_cpus;
}

bool os_node_online(int node)
{
	return node >= 0 && node < nr_nodes && (node_online_mask & (1ULL << node));
}

int os_current_node(void)
{
	int cpu;

	if (nr_nodes <= 1)
		return 0;
	cpu = sched_getcpu();
	return (cpu >= 0 && cpu < MAX_CPUS) ? cpu_to_node[cpu] : 0;
}

uint64_t os_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

pid_t os_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static bool membarrier_refused;   /* tests: as if a filter came later */

bool os_membarrier_setup(void)
{
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	membarrier_refused = getenv("USLAB_TEST_MEMBARRIER_REFUSED") != NULL;
	return cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	       !syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
}

bool os_membarrier(void)
{
	/* Registered, the kernel refuses only bad arguments; a seccomp
	 * filter installed since may refuse it all the same. */
	return !membarrier_refused &&
	       !syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

bool os_has_cmpxchg16b(void)
{
#if defined(__x86_64__)
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	return (c & bit_CMPXCHG16B) != 0;
#else
	return false;
#endif
}

long os_rss_bytes(void)
{
	char buf[256];
	long size = 0, resident = 0;

	if (!read_small_file("/proc/self/statm", buf, sizeof(buf)))
		return -1;
	if (sscanf(buf, "%ld %ld", &size, &resident) != 2)
		return -1;
	return resident * sysconf(_SC_PAGESIZE);
}
