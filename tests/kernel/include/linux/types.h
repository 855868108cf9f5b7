/* linux/types.h (test harness): the kernel's u8..u64 and bool, over the
 * system's uapi types. */
#ifndef KMOD_SHIM_TYPES_H
#define KMOD_SHIM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#endif
