/*
 * sanitizer.c - run-time side of sanitizer.h: whether memcheck is
 * watching, and the uninstrumented word accessors of ASan builds.
 */
#include "sanitizer.h"

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
#endif
