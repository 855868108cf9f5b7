/* linux/refcount.h (test harness): refcount_t on C11 atomics. */
#ifndef KMOD_SHIM_REFCOUNT_H
#define KMOD_SHIM_REFCOUNT_H

#include <stdbool.h>

typedef struct { int refs; } refcount_t;

static inline void refcount_set(refcount_t *r, int n) { __atomic_store_n(&r->refs, n, __ATOMIC_RELAXED); }
static inline int refcount_read(const refcount_t *r) { return __atomic_load_n(&r->refs, __ATOMIC_RELAXED); }
static inline void refcount_inc(refcount_t *r) { __atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED); }
static inline bool refcount_dec_and_test(refcount_t *r)
{
	return __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0;
}

#endif
