/*
 * remote_prog OUT - a program that slabinfo -p reads from outside: it
 * builds known caches (one with an alias, one unified), allocates known
 * numbers of objects on two threads, writes its own raw report to OUT,
 * says "ready" on stdout and waits for a line on stdin (or its end),
 * then exits.  Nothing is set in its environment for slabinfo.
 *
 * Linked with libuslab-malloc, stdio's own allocations count too: it
 * makes none after its report (no buffers for stdin and stdout, a static
 * one for the report, whose FILE stays open), so that the process stays
 * as it described itself.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uslab.h>

static struct kmem_cache *conn, *req;
static void *held[3000];

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 1000; i < 1500; i++)
		held[i] = kmem_cache_alloc(conn, GFP_KERNEL);
	return NULL;
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	char line[16];
	pthread_t t;
	FILE *out;

	if (argc < 2)
		return 2;
	setvbuf(stdin, NULL, _IONBF, 0);
	setvbuf(stdout, NULL, _IONBF, 0);
	conn = kmem_cache_create("remote_conn", 120, 0, SLAB_NO_MERGE, NULL);
	req = kmem_cache_create("remote_req", 40, 0, SLAB_UNIFIED, NULL);
	/* Merged into an existing cache: an alias of it. */
	kmem_cache_create("remote_alias", 64, 0, 0, NULL);
	for (int i = 0; i < 1000; i++)
		held[i] = kmem_cache_alloc(conn, GFP_KERNEL);
	for (int i = 0; i < 700; i++)
		held[2000 + i] = kmem_cache_alloc(req, GFP_KERNEL);
	for (int i = 0; i < 300; i++)
		kmem_cache_free(req, held[2000 + i]);
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	out = fopen(argv[1], "w");
	if (!out)
		return 1;
	setvbuf(out, buf, _IOFBF, sizeof(buf));
	uslab_report(out, USLAB_REPORT_RAW);
	fflush(out);
	printf("ready\n");
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	return 0;
}
