/*
 * random.c - a small per-thread generator (xorshift64*) seeded from the
 * kernel's getrandom(): keys of hardened freelists and the shuffles of
 * random freelists.  Unpredictable to an attacker who cannot read memory,
 * which is what those defences ask; not for cryptography.
 */
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/random.h"

static __thread uint64_t rng_state;

static uint64_t seed(void)
{
	uint64_t x = 0;
	struct timespec ts;

	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) == (ssize_t)sizeof(x) && x)
		return x;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)&x ^
	    ((uint64_t)getpid() << 17);
	return x ? x : 0x9e3779b97f4a7c15ULL;
}

uint64_t uslab_random64(void)
{
	uint64_t x = rng_state;

	if (unlikely(!x))
		x = seed();
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}
