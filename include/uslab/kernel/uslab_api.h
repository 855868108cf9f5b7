/*
 * uslab_api.h - how uslab's public headers declare functions.
 *
 * Every function with a kernel name (kmalloc, kmem_cache_alloc, mempool_*,
 * shrinker_*) exists twice in the library: as uslab_<name>, always, and
 * under the kernel's name as a weak alias of it, so a program that defines
 * its own kmalloc or kmem_cache_create (a kernel test harness does) keeps
 * its own and reaches uslab's through the prefixed name.  USLAB_KFN
 * declares both; a translation unit that defines USLAB_PREFIXED_ONLY
 * before including a uslab header sees only the uslab_ names (for a file
 * whose own headers declare the kernel names differently).
 */
#ifndef USLAB_KERNEL_API_H
#define USLAB_KERNEL_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define USLAB_API __attribute__((visibility("default")))
#define USLAB_MALLOC_ATTR __attribute__((malloc, warn_unused_result))
#else
#define USLAB_API
#define USLAB_MALLOC_ATTR
#endif

/* USLAB_KFN(type, name, (parameters), attributes...) */
#ifdef USLAB_PREFIXED_ONLY
#define USLAB_KFN(ret, name, params, ...) USLAB_API ret uslab_##name params __VA_ARGS__;
#else
#define USLAB_KFN(ret, name, params, ...)                                              \
	USLAB_API ret uslab_##name params __VA_ARGS__;                                 \
	USLAB_API ret name params __VA_ARGS__;
#endif

#ifdef __cplusplus
#define USLAB_BEGIN_DECLS extern "C" {
#define USLAB_END_DECLS }
#else
#define USLAB_BEGIN_DECLS
#define USLAB_END_DECLS
#endif

#endif /* USLAB_KERNEL_API_H */
