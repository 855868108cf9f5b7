/*
 * symbolize.h - names for code addresses in reports (symbolize.c).
 */
#ifndef USLAB_SYMBOLIZE_H
#define USLAB_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "func+0x1c" from the object's symbol table or the dynamic symbols,
 * else "object-file+0x1234", else "0x55946c1712a3".  Allocates nothing
 * and takes no lock of uslab (dladdr takes the loader's): callable while
 * a report is built. */
void format_address(char *buf, size_t len, uintptr_t addr);
/* Owner tracking is on: file and line through addr2line, when it is
 * installed. */
void symbolize_want_lines(void);
/* in with format_address()'s markers turned into " (file.c:123)" (with
 * resolve) or dropped, into out.  Resolving runs addr2line and takes
 * metadata: only with no lock held and outside every slow path, as the
 * report layer delivers. */
void symbolize_lines(const char *in, char *out, size_t len, bool resolve);

#endif
