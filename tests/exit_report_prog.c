/* exit_report_prog [close-stderr] - allocates once; with close-stderr it
 * closes stderr in an atexit handler registered after uslab started, as
 * coreutils' close_stdout does (it runs before uslab's report). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uslab.h>

static void close_stderr(void)
{
	close(STDERR_FILENO);
}

int main(int argc, char **argv)
{
	void *p = kmalloc(100, GFP_KERNEL);

	kfree(p);
	if (argc > 1 && !strcmp(argv[1], "close-stderr"))
		atexit(close_stderr);
	return p ? 0 : 1;
}
