/*
 * malloc_early_lib.c - a library whose constructor allocates: preloaded
 * after libuslab-malloc.so, its constructor runs before uslab's own, so
 * its first malloc is the one that initialises uslab.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((constructor)) static void allocate_early(void)
{
	char *p = malloc(100), *q = strdup("early");
	int *r = calloc(10, sizeof(int)), ok;

	ok = p && q && r && !strcmp(q, "early") && !r[9];
	free(p);
	free(q);
	free(r);
	fprintf(stderr, "early constructor: %s\n", ok ? "ok" : "FAILED");
}
