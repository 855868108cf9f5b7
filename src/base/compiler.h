/*
 * compiler.h - the few compiler and CPU words uslab uses everywhere:
 * branch hints, relaxed one-word atomics (READ_ONCE/WRITE_ONCE, which also
 * keep ThreadSanitizer informed), bit scans, cpu_relax.
 */
#ifndef USLAB_COMPILER_H
#define USLAB_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#if defined(__has_feature)
#define __has_feature_thread_sanitizer __has_feature(thread_sanitizer)
#else
#define __has_feature_thread_sanitizer 0
#endif

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __noinline __attribute__((noinline))
#define __cold __attribute__((cold))
#define __hidden __attribute__((visibility("hidden")))

#define READ_ONCE(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* A counter only its owner thread increments, read by reporters with
 * READ_ONCE: one increment instruction without lock prefix (the kernel's
 * this_cpu_inc), which a single writer makes safe; under ThreadSanitizer a
 * relaxed load and store, which it can see. */
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !__has_feature_thread_sanitizer
#define COUNTER_INC(x) __asm__("incq %0" : "+m"(x))
#define COUNTER_ADD(x, n) __asm__("addq %1, %0" : "+m"(x) : "er"((uint64_t)(n)))
#else
#define COUNTER_INC(x) WRITE_ONCE(x, READ_ONCE(x) + 1)
#define COUNTER_ADD(x, n) WRITE_ONCE(x, READ_ONCE(x) + (n))
#endif

#define ALIGN(x, a)       (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)  ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)  (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define clamp_t(t, v, lo, hi) min_t(t, max_t(t, v, lo), hi)

static inline int is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* fls: 1-based index of the highest set bit, 0 for 0 (the kernel's). */
static inline unsigned int fls_long(unsigned long x)
{
	return x ? 64 - (unsigned int)__builtin_clzl(x) : 0;
}

/* The smallest power of two >= n (n >= 1, n <= 2^63). */
static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << fls_long(n - 1);
}

static inline unsigned int ilog2_long(unsigned long x)
{
	return fls_long(x) - 1;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* An exported allocation or free call: placed in the section uslab_entry,
 * so that owner tracking (debug/debug_report.c) tells uslab's own frames
 * from the caller's by address, whatever the linking. */
#define USLAB_ENTRY __attribute__((visibility("default"), section("uslab_entry")))

#endif
