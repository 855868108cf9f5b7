/*
 * random.h - a per-thread generator seeded from getrandom(): freelist
 * keys and shuffles, not cryptography.
 */
#ifndef USLAB_RANDOM_H
#define USLAB_RANDOM_H

#include <stdint.h>

uint64_t uslab_random64(void);

#endif
