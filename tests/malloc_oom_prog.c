/*
 * malloc_oom_prog.c - a plain program that runs its allocator out of
 * address space (RLIMIT_AS, as `ulimit -v`), makes one more request of
 * another size, then frees everything in allocation order and starts
 * again.  glibc, jemalloc, mimalloc and tcmalloc survive it; so must
 * libuslab-malloc (under LD_PRELOAD): the frees after the failure refill
 * and flush per-thread queues while memory is still short.
 *
 *   malloc_oom_prog <limit MiB> <block bytes> <second request bytes>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct block {
	struct block *next;
	unsigned long seq;
};

int main(int argc, char **argv)
{
	size_t limit = (argc > 1 ? strtoul(argv[1], NULL, 0) : 512) << 20;
	size_t size = argc > 2 ? strtoul(argv[2], NULL, 0) : 64;
	size_t other = argc > 3 ? strtoul(argv[3], NULL, 0) : 4096;
	struct rlimit rl = { limit, limit };
	struct block *head = NULL, *tail = NULL, *b;
	unsigned long n = 0, checked = 0;
	void *extra;

	if (setrlimit(RLIMIT_AS, &rl)) {
		perror("setrlimit");
		return 2;
	}
	while ((b = malloc(size))) {
		memset(b, 0x5a, size);
		b->next = NULL;
		b->seq = n++;
		if (tail)
			tail->next = b;
		else
			head = b;
		tail = b;
	}
	extra = malloc(other);
	while (head) {
		b = head;
		head = b->next;
		if (b->seq != checked++) {
			printf("oom: block %lu holds %lu\n", checked - 1, b->seq);
			return 1;
		}
		free(b);
	}
	free(extra);
	/* Everything works again. */
	for (int round = 0; round < 2; round++) {
		void *p[1000];

		for (int i = 0; i < 1000; i++) {
			p[i] = malloc(size + (size_t)i % 200);
			if (!p[i]) {
				printf("oom: no memory after freeing everything\n");
				return 1;
			}
			memset(p[i], i, size);
		}
		for (int i = 0; i < 1000; i++)
			free(p[i]);
	}
	printf("oom: %lu blocks of %zu bytes, ok\n", n, size);
	return 0;
}
