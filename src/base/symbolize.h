/*
 * symbolize.h - names for code addresses in reports (symbolize.c).
 */
#ifndef USLAB_SYMBOLIZE_H
#define USLAB_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

/* "func+0x1c" from the object's symbol table or the dynamic symbols,
 * else "object-file+0x1234", else "0x55946c1712a3".  Allocates nothing,
 * takes no lock: callable while a report is built. */
void format_address(char *buf, size_t len, uintptr_t addr);

#endif
