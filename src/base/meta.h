/*
 * meta.h - the allocator of uslab's own metadata (meta.c): mappings of
 * their own, fenced by guard pages, never beside an object.
 */
#ifndef USLAB_META_H
#define USLAB_META_H

#include <stdbool.h>
#include <stddef.h>

/* The largest block: a thread's block of entries (1024 x 512 bytes). */
#define META_MAX (512UL << 10)

void meta_init(void);
/* size bytes of zeroed metadata (cache-line aligned, page aligned from a
 * page up); NULL when the OS has no memory left. */
void *meta_alloc(size_t size);
/* Gives back a block of meta_alloc(size), size as it was asked for. */
void meta_free(void *p, size_t size);
/* A copy of a name, as metadata; freed by meta_strfree(). */
char *meta_strdup(const char *str);
void meta_strfree(const char *str);
/* Bytes of metadata mappings, and of blocks handed out. */
void meta_stats(unsigned long *mapped, unsigned long *in_use);
/* Tests: the nth metadata allocation from now fails (0: none), and how
 * many were asked for since. */
void meta_fail(unsigned long nth);
unsigned long meta_calls_since_fail(void);
void meta_fork_lock(void);
void meta_fork_unlock(bool child);

#endif
