/*
 * sanitizer.h - telling the tools people already use which slab memory is
 * an object and which is not.
 *
 * AddressSanitizer (uslab built with -fsanitize=address): free objects,
 * red zones and the slack past a kmalloc size are poisoned through ASan's
 * manual-poisoning interface, so ASan stops at the instruction that
 * touches them.  uslab's own reads and writes of free objects (the free
 * pointer) go through helpers ASan does not instrument.  In other builds
 * every hook here is an empty inline: "debug as constants".
 *
 * Valgrind memcheck: detected at run time (RUNNING_ON_VALGRIND, from the
 * header alone); every cache then takes the debug path, which describes
 * each object to memcheck with client requests.
 */
#ifndef USLAB_SANITIZER_H
#define USLAB_SANITIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USLAB_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define USLAB_ASAN 1
#endif

/*
 * ThreadSanitizer: in cpu mode an object passes from the thread that
 * frees it to the one that allocates it through a CPU's sheaf, in an rseq
 * section (assembly it does not see).  The free releases the object and
 * the allocation acquires it, which is the order the section gives.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define USLAB_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define USLAB_TSAN 1
#endif
#ifdef USLAB_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static inline void tsan_handoff_release(void *object)
{
	__tsan_release(object);
}
static inline void tsan_handoff_acquire(void *object)
{
	__tsan_acquire(object);
}
#else
static inline void tsan_handoff_release(void *object)
{
	(void)object;
}
static inline void tsan_handoff_acquire(void *object)
{
	(void)object;
}
#endif

#ifdef USLAB_ASAN
#include <sanitizer/asan_interface.h>
#define __no_sanitize_address __attribute__((no_sanitize_address, noinline))
static inline void kasan_poison(const void *p, size_t n)
{
	__asan_poison_memory_region(p, n);
}
static inline void kasan_unpoison(const void *p, size_t n)
{
	__asan_unpoison_memory_region(p, n);
}
#define kasan_enabled() 1
#else
#define __no_sanitize_address
static inline void kasan_poison(const void *p, size_t n)
{
	(void)p; (void)n;
}
static inline void kasan_unpoison(const void *p, size_t n)
{
	(void)p; (void)n;
}
#define kasan_enabled() 0
#endif

/* Loads and stores of free-object words that ASan must not check. */
#ifdef USLAB_ASAN
void *kasan_load_word(const void *addr);
void kasan_store_word(void *addr, void *value);
/* Reads bytes for a report, poisoned or not. */
void kasan_copy(void *dst, const void *src, size_t n);
#else
static inline void kasan_copy(void *dst, const void *src, size_t n)
{
	__builtin_memcpy(dst, src, n);
}
static inline void *kasan_load_word(const void *addr)
{
	return *(void *const *)addr;
}
static inline void kasan_store_word(void *addr, void *value)
{
	*(void **)addr = value;
}
#endif

/* USLAB_VALGRIND: CMake found valgrind/memcheck.h (CMakeLists.txt). */
#ifdef USLAB_VALGRIND
#include <valgrind/memcheck.h>
#endif

extern bool uslab_on_valgrind;

static inline bool running_on_valgrind(void)
{
	return uslab_on_valgrind;
}

void sanitizer_init(void);

/* memcheck: a block handed out, a block given back, bytes we touch. */
#ifdef USLAB_VALGRIND
#define tool_alloc(p, n, zeroed) VALGRIND_MALLOCLIKE_BLOCK(p, n, 0, zeroed)
#define tool_free(p) VALGRIND_FREELIKE_BLOCK(p, 0)
#define tool_access(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#define tool_noaccess(p, n) VALGRIND_MAKE_MEM_NOACCESS(p, n)
/* uslab's own reads and writes of free objects and metadata: not the
 * program's errors. */
#define tool_quiet_begin() VALGRIND_DISABLE_ERROR_REPORTING
#define tool_quiet_end() VALGRIND_ENABLE_ERROR_REPORTING
#else
#define tool_alloc(p, n, zeroed) ((void)(p), (void)(n), (void)(zeroed))
#define tool_free(p) ((void)(p))
#define tool_access(p, n) ((void)(p), (void)(n))
#define tool_noaccess(p, n) ((void)(p), (void)(n))
#define tool_quiet_begin() ((void)0)
#define tool_quiet_end() ((void)0)
#endif

#endif
