/*
 * rseq.c - finding glibc's rseq registration, registering for
 * membarrier's expedited rseq command, and the fence built on it.
 *
 * glibc exports __rseq_offset and __rseq_size (2.35 and later); the size
 * is 0 where rseq is not registered (an old kernel, or
 * GLIBC_TUNABLES=glibc.pthread.rseq=0).  The symbols are weak here, so a
 * glibc without them leaves uslab in thread mode instead of failing to
 * load.
 */
#include <fcntl.h>
#include <linux/membarrier.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/rseq.h"

long rseq_area_offset;

#if USLAB_HAVE_RSEQ
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

int rseq_current_cpu(void)
{
	int cpu;

	if (!rseq_area_offset)
		return -1;
	__asm__ volatile("movl %%fs:" RSEQ_STR(RSEQ_CPU_ID) "(%1), %0"
			 : "=r"(cpu)
			 : "r"(rseq_area_offset));
	return cpu;
}

bool rseq_setup(const char **why)
{
	long cmds;

	if (!&__rseq_size || !&__rseq_offset) {
		*why = "glibc does not export its rseq area (glibc before 2.35)";
		return false;
	}
	if (__rseq_size < 20) {
		*why = "glibc did not register rseq (kernel without it, or glibc.pthread.rseq=0)";
		return false;
	}
	rseq_area_offset = (long)__rseq_offset;
	if (rseq_current_cpu() < 0) {
		rseq_area_offset = 0;
		*why = "rseq is not registered for this thread";
		return false;
	}
	cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) ||
	    syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0)) {
		rseq_area_offset = 0;
		*why = "the kernel lacks membarrier's expedited rseq command";
		return false;
	}
	/* Targeting one CPU came with Linux 5.10; drains need it. */
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		    MEMBARRIER_CMD_FLAG_CPU, 0)) {
		rseq_area_offset = 0;
		*why = "membarrier cannot target one CPU (Linux before 5.10)";
		return false;
	}
	*why = "rseq registered by glibc, membarrier expedited rseq";
	return true;
}

bool rseq_fence(int cpu)
{
	if (cpu < 0)
		return !syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0);
	return !syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
			MEMBARRIER_CMD_FLAG_CPU, cpu);
}
#else
int rseq_current_cpu(void)
{
	return -1;
}

bool rseq_setup(const char **why)
{
	*why = "no restartable sequences on this architecture";
	return false;
}

bool rseq_fence(int cpu)
{
	(void)cpu;
	return false;
}
#endif

/* The highest number in /sys/devices/system/cpu/possible ("0-3,8-11"),
 * read without stdio: this runs in the library's start, where malloc may
 * be uslab's own. */
unsigned int rseq_nr_cpu_ids(void)
{
	char buf[256];
	unsigned int max = 0, v = 0;
	bool digits = false;
	long n, conf;
	int fd;

	fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		for (long i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				v = v * 10 + (unsigned int)(buf[i] - '0');
				digits = true;
				continue;
			}
			if (digits && v > max)
				max = v;
			v = 0;
			digits = false;
		}
		if (digits && v > max)
			max = v;
		if (n > 0)
			return max + 1;
	}
	conf = sysconf(_SC_NPROCESSORS_CONF);
	return conf > 0 ? (unsigned int)conf : 1;
}
