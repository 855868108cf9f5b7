/*
 * tool_prog.c - a small program with memory bugs on slab objects, run
 * under ASan and valgrind by tool_test.sh, which checks that the tool
 * reports each at the faulting instruction:
 *   overflow   writes one byte past a kmalloc(24) object
 *   uaf        reads a cache object after freeing it
 *   leak       drops the last pointer to kmalloc and cache objects
 */
#include <stdio.h>
#include <string.h>

#include <uslab.h>

struct conn {
	long id;
	char name[40];
};

#if defined(__clang__)
#define SITE __attribute__((noinline, optnone))
#else
#define SITE __attribute__((noinline, noipa))
#endif

SITE void overflow_site(char *p, size_t n);
SITE long uaf_site(struct conn *c);
SITE void *leak_site(struct kmem_cache *s);
SITE void *leak_kmalloc_site(size_t n);

SITE void overflow_site(char *p, size_t n)
{
	p[n] = 'x';
}

SITE long uaf_site(struct conn *c)
{
	return *(volatile long *)&c->id;
}

SITE void *leak_site(struct kmem_cache *s)
{
	return kmem_cache_alloc(s, GFP_KERNEL);
}

SITE void *leak_kmalloc_site(size_t n)
{
	return kmalloc(n, GFP_KERNEL);
}

/* The pointers die in this frame, not in main's. */
SITE void leak_all(struct kmem_cache *s)
{
	void *volatile keep;

	for (int i = 0; i < 3; i++)
		keep = leak_site(s);
	keep = leak_kmalloc_site(100);
	keep = NULL;
	(void)keep;
}

/* Dead stack below main's frame may still hold a returned pointer, and a
 * conservative leak scan (memcheck's) would call that block reachable. */
SITE void scrub_stack(void)
{
	volatile char junk[64 << 10];

	memset((char *)junk, 0, sizeof(junk));
}

int main(int argc, char **argv)
{
	struct kmem_cache *s = kmem_cache_create("tool_conn", sizeof(struct conn), 0, 0, NULL);
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "overflow")) {
		char *p = kmalloc(24, GFP_KERNEL);

		memset(p, 1, 24);
		overflow_site(p, 24);
		kfree(p);
	} else if (!strcmp(mode, "uaf")) {
		struct conn *c = kmem_cache_alloc(s, GFP_KERNEL);

		c->id = 42;
		kmem_cache_free(s, c);
		printf("%ld\n", uaf_site(c));
	} else if (!strcmp(mode, "leak")) {
		leak_all(s);
		scrub_stack();
	} else {
		fprintf(stderr, "usage: %s overflow|uaf|leak\n", argv[0]);
		return 2;
	}
	printf("tool_prog %s: done\n", mode);
	return 0;
}
