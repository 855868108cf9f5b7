/*
 * raw_format.h - the lines of the raw report (USLAB_STATS=raw), written
 * by the library (introspect/slabinfo.c) and by the slabinfo tool when it
 * reads a running process (tools/slabinfo_remote.c): one definition, so
 * that the tool parses what either wrote alike.
 *
 *   uslab-raw - version: 1
 *   cache name=<name> object_size=... <COUNTER>=<n>...
 *   alias name=<alias> cache=<name>
 *   memory live_bytes=... cpu_mode=...
 */
#ifndef USLAB_RAW_FORMAT_H
#define USLAB_RAW_FORMAT_H

#include <stdint.h>
#include <stdio.h>

#include "uslab.h"

/* Flags in the letters of today's tools/mm/slabinfo (Flg column). */
static inline void tool_flags(const struct uslab_cache_info *ci, char *buf)
{
	char *d = buf;

	if (ci->refcount > 1)
		*d++ = '*';
	if (ci->flags & SLAB_CACHE_DMA)
		*d++ = 'd';
	if (ci->flags & SLAB_HWCACHE_ALIGN)
		*d++ = 'A';
	if (ci->flags & SLAB_POISON)
		*d++ = 'P';
	if (ci->flags & SLAB_RECLAIM_ACCOUNT)
		*d++ = 'a';
	if (ci->flags & SLAB_RED_ZONE)
		*d++ = 'Z';
	if (ci->flags & SLAB_CONSISTENCY_CHECKS)
		*d++ = 'F';
	if (ci->flags & SLAB_STORE_USER)
		*d++ = 'U';
	if (ci->flags & SLAB_TRACE)
		*d++ = 'T';
	*d = 0;
}

/* Cache names in the raw form: no blanks or '=' (percent-encoded). */
static inline void raw_name(FILE *out, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p <= ' ' || *p == '=' || *p == '%' || *p >= 0x7f)
			fprintf(out, "%%%02X", *p);
		else
			fputc(*p, out);
	}
}

/* st: the counters summed over threads; base: their values at the last
 * uslab_cache_stat_clear(). */
static inline void raw_cache_line(FILE *out, const struct uslab_cache_info *ci,
				  const uint64_t st[USLAB_NR_STATS],
				  const uint64_t base[USLAB_NR_STATS])
{
	static const char *const names[] = {
#define RAW_STAT_NAME(name) #name,
		USLAB_STAT_LIST(RAW_STAT_NAME)
#undef RAW_STAT_NAME
	};
	char flags[16];

	tool_flags(ci, flags);
	fputs("cache name=", out);
	raw_name(out, ci->name);
	fprintf(out, " object_size=%u size=%u align=%u order=%u objs_per_slab=%u"
		" active_objs=%lu total_objs=%lu slabs=%lu partial=%lu cpu_slabs=%lu"
		" cpu_partial=%lu pages=%lu aliases=%u min_partial=%lu"
		" cpu_partial_slabs=%u ctor=%d destroyed=%d flags=%s allocator=%s"
		" queued_objs=%lu barn_sheaves=%lu queue_limit=%u batchcount=%u",
		ci->object_size, ci->size, ci->align, ci->order, ci->objs_per_slab,
		ci->active_objs, ci->total_objs, ci->nr_slabs, ci->nr_partial, ci->cpu_slabs,
		ci->cpu_partial, ci->pages, ci->refcount ? ci->refcount - 1 : 0, ci->min_partial,
		ci->cpu_partial_slabs, ci->has_ctor, ci->destroyed, *flags ? flags : "-",
		ci->allocator, ci->queued_objs, ci->barn_sheaves, ci->queue_limit,
		ci->batchcount);
	for (int i = 0; i < USLAB_NR_STATS; i++)
		fprintf(out, " %s=%llu", names[i], (unsigned long long)(st[i] - base[i]));
	fputc('\n', out);
}

static inline void raw_alias_line(FILE *out, const char *alias, const char *cache)
{
	fputs("alias name=", out);
	raw_name(out, alias);
	fputs(" cache=", out);
	raw_name(out, cache);
	fputc('\n', out);
}

#endif
