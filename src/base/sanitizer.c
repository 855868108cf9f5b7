/*
 * sanitizer.c - run-time side of sanitizer.h: whether memcheck is
 * watching, and the uninstrumented word accessors of ASan builds.
 */
#include "base/sanitizer.h"

bool uslab_on_valgrind;

void sanitizer_init(void)
{
#ifdef USLAB_VALGRIND
	uslab_on_valgrind = RUNNING_ON_VALGRIND != 0;
#endif
}

#ifdef USLAB_ASAN
__attribute__((no_sanitize_address, noinline)) void *kasan_load_word(const void *addr)
{
	return *(void *const *)addr;
}

__attribute__((no_sanitize_address, noinline)) void kasan_store_word(void *addr, void *value)
{
	*(void **)addr = value;
}

__attribute__((no_sanitize_address, noinline)) void kasan_copy(void *dst, const void *src, size_t n)
{
	/* Byte by byte through volatile: no memcpy() call ASan would check. */
	for (size_t i = 0; i < n; i++)
		((volatile unsigned char *)dst)[i] = ((const volatile unsigned char *)src)[i];
}
#endif
