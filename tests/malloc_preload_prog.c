/*
 * malloc_preload_prog.c - an ordinary program, linked against nothing of
 * uslab, run with LD_PRELOAD=libuslab-malloc.so: the malloc family it
 * calls (and libc calls for it: strdup, fopen, printf buffers, threads)
 * must be uslab's, and fork with threads must work.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define EXPECT(cond)                                                            \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                             \
		}                                                               \
	} while (0)

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	void *slots[32] = { 0 };

	for (int i = 0; i < 200000; i++) {
		unsigned int k = (unsigned int)rand_r(&seed) % 32;

		free(slots[k]);
		slots[k] = malloc((size_t)rand_r(&seed) % 3000 + 1);
	}
	for (int k = 0; k < 32; k++)
		free(slots[k]);
	return NULL;
}

/* malloc's alignment, whatever the layout (USLAB_DEBUG red zones). */
static void check_alignment(void)
{
	for (size_t n = 9; n < 300000; n += n < 4096 ? 7 : 4093) {
		void *a = NULL, *b = malloc(n);

		EXPECT(b && (uintptr_t)b % 16 == 0);
		free(b);
		EXPECT(posix_memalign(&a, 16, n) == 0 && (uintptr_t)a % 16 == 0);
		free(a);
		if ((uintptr_t)b % 16)
			break;
	}
}

int main(int argc, char **argv)
{
	size_t (*ksize_fn)(const void *) = (size_t (*)(const void *))dlsym(RTLD_DEFAULT, "ksize");
	const char *(*version)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "uslab_version");
	volatile size_t huge = SIZE_MAX / 2;
	pthread_t threads[4];
	char *s, *p;
	void *a = NULL;
	FILE *f;

	EXPECT(version && ksize_fn);
	if (!version || !ksize_fn) {
		fprintf(stderr, "uslab is not loaded: run with LD_PRELOAD=libuslab-malloc.so\n");
		return 1;
	}
	/* Owner tracking switched on for an empty malloc class at run time:
	 * the unwinder it loads allocates (from that class, here), which
	 * must not happen while the cache is half changed. */
	if (argc > 1 && !strcmp(argv[1], "set-debug")) {
		void *(*find)(const char *) = (void *(*)(const char *))dlsym(RTLD_DEFAULT,
									       "uslab_cache_find");
		int (*set_debug)(void *, unsigned int) =
			(int (*)(void *, unsigned int))dlsym(RTLD_DEFAULT, "uslab_cache_set_debug");
		void *cache = find ? find("kmalloc-48") : NULL;

		/* Either on, or refused because the unwinder's own blocks are
		 * there now ("it still has objects"); never a hang. */
		EXPECT(cache && set_debug);
		if (!cache || !set_debug)
			return 1;
		(void)set_debug(cache, 0x00010000u /* SLAB_STORE_USER */);
		p = malloc(40);
		EXPECT(p != NULL);
		free(p);
		/* A class nothing has used: switched on, and used. */
		EXPECT(set_debug(find("kmalloc-3584"), 0x00010000u) == 0);
		p = malloc(3000);
		EXPECT(p != NULL);
		free(p);
		printf("set-debug: %s\n", failures ? "FAILED" : "ok");
		return failures != 0;
	}
	/* USLAB_INIT_ON_ALLOC=1: every class leaves malloc's fast path for
	 * the checked one, which must zero what it hands out, per CPU and
	 * per thread alike. */
	if (argc > 1 && !strcmp(argv[1], "init-on-alloc")) {
		static const size_t sizes[] = { 16, 64, 100, 1024, 3000, 8192, 20000 };

		for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			for (int round = 0; round < 100; round++) {
				unsigned char *q = malloc(sizes[i]);
				size_t nonzero = 0;

				EXPECT(q != NULL);
				if (!q)
					break;
				for (size_t k = 0; k < sizes[i]; k++)
					nonzero += q[k] != 0;
				EXPECT(nonzero == 0);
				memset(q, 0xaa, sizes[i]);
				free(q);
			}
		}
		printf("init-on-alloc: %s\n", failures ? "FAILED" : "ok");
		return failures != 0;
	}
	if (argc > 1 && !strcmp(argv[1], "align")) {
		check_alignment();
		printf("alignment: %s\n", failures ? "FAILED" : "ok");
		return failures != 0;
	}
	/* libc's own allocations come from uslab too. */
	s = strdup("preloaded");
	EXPECT(s && ksize_fn(s) == 16);
	free(s);
	f = fopen("/proc/self/status", "r");
	EXPECT(f != NULL);
	if (f)
		fclose(f);
	p = malloc(100);
	EXPECT(p && malloc_usable_size(p) == 112);   /* kmalloc-112: a malloc class */
	p = realloc(p, 100000);
	EXPECT(p && malloc_usable_size(p) >= 100000);
	free(p);
	EXPECT(posix_memalign(&a, 65536, 10) == 0 && (uintptr_t)a % 65536 == 0);
	free(a);
	check_alignment();
	errno = 0;
	EXPECT(!calloc(huge, 4) && errno == ENOMEM);

	for (int i = 0; i < 4; i++)
		pthread_create(&threads[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	for (int round = 0; round < 50; round++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			pthread_t t;

			free(malloc(1000));
			pthread_create(&t, NULL, worker, (void *)7);
			pthread_join(t, NULL);
			_exit(0);
		}
		EXPECT(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		       WEXITSTATUS(status) == 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	printf("uslab %s preloaded: %s\n", version(), failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
