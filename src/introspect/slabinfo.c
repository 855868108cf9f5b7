/*
 * slabinfo.c - reports of every cache: /proc/slabinfo version 2.1, the
 * SLUB announcement's slubinfo 1.0, and a raw key=value form that the
 * slabinfo tool reads; each followed (except raw) by the memory summary
 * that answers "why is my RSS high?": live objects, memory cached in
 * slabs, free pages still resident, pages given back.
 *
 * Takes slab_mutex, then thread_list_lock inside cache_info_locked().
 */
#include <stdio.h>
#include <string.h>

#include "base/os.h"
#include "base/start.h"
#include "core/slab.h"
#include "introspect/raw_format.h"
#include "kmalloc/kmalloc.h"
#include "page/page_alloc.h"

/* Flags in the letters of the SLUB announcement's slubinfo. */
static void slubinfo_flags(const struct uslab_cache_info *ci, char *buf)
{
	char *d = buf;

	if (ci->has_ctor)
		*d++ = 'C';
	if (ci->flags & SLAB_TYPESAFE_BY_RCU)
		*d++ = 'R';
	if (ci->flags & SLAB_MEM_SPREAD)
		*d++ = 'S';
	if (ci->flags & SLAB_CACHE_DMA)
		*d++ = 'd';
	if (ci->flags & SLAB_RECLAIM_ACCOUNT)
		*d++ = 'r';
	if (ci->flags & SLAB_PANIC)
		*d++ = 'P';
	if (ci->flags & SLAB_HWCACHE_ALIGN)
		*d++ = 'a';
	*d = 0;
}

struct memory_totals {
	unsigned long live_bytes;    /* objects in use, bytes asked for */
	unsigned long slab_bytes;    /* pages held by slabs */
	unsigned long rcu_bytes;     /* RCU slabs waiting for a grace period */
	unsigned long rcu_slabs;
	unsigned long caches;
};

static void report_cache(FILE *out, enum uslab_report_format format, struct kmem_cache *s,
			 struct memory_totals *tot)
{
	struct uslab_cache_info ci;
	char flags[16];

	cache_info_locked(s, &ci);
	tot->live_bytes += ci.active_objs * ci.object_size;
	tot->slab_bytes += ci.pages * PAGE_SIZE;
	tot->rcu_bytes += ci.rcu_pages * PAGE_SIZE;
	tot->rcu_slabs += ci.rcu_slabs;
	tot->caches++;

	switch (format) {
	case USLAB_REPORT_SLABINFO:
		fprintf(out, "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu\n",
			ci.name, ci.active_objs, ci.total_objs, ci.size, ci.objs_per_slab,
			1 << ci.order, 0u, 0u, 0u, ci.nr_slabs, ci.nr_slabs, 0UL);
		break;
	case USLAB_REPORT_SLUBINFO: {
		char slabs[48];

		slubinfo_flags(&ci, flags);
		snprintf(slabs, sizeof(slabs), "%lu/%lu/%lu", ci.nr_slabs, ci.nr_partial, ci.cpu_slabs);
		fprintf(out, "%-20s%8lu %u%8u%13s", ci.name, ci.active_objs, ci.order, ci.size,
			slabs);
		if (*flags)
			fprintf(out, " %5s", flags);
		fputc('\n', out);
		break;
	}
	case USLAB_REPORT_RAW: {
		uint64_t st[USLAB_NR_STATS], base[USLAB_NR_STATS];
		struct kmem_cache_alias *alias;

		cache_stats_sum(s, st);
		for (int i = 0; i < USLAB_NR_STATS; i++)
			base[i] = __atomic_load_n(&s->stat_base[i], __ATOMIC_RELAXED);
		raw_cache_line(out, &ci, st, base);
		list_for_each_entry(alias, &s->aliases, list)
			raw_alias_line(out, alias->name, ci.name);
		break;
	}
	}
}

static void report_memory(FILE *out, enum uslab_report_format format,
			  const struct memory_totals *tot)
{
	struct uslab_page_stats ps;
	unsigned long large_allocs, large_frees, large_bytes;
	long rss = os_rss_bytes();

	page_alloc_stats(&ps);
	kmalloc_large_counts(&large_allocs, &large_frees, &large_bytes);
	if (format == USLAB_REPORT_RAW) {
		fprintf(out, "memory live_bytes=%lu slab_bytes=%lu caches=%lu segments=%lu"
			" huge_mappings=%lu bytes_mapped=%lu pages_in_use=%lu"
			" pages_free_cached=%lu pages_free_clean=%lu large_objects=%lu rss=%ld"
			" cpu_mode=%s rcu_bytes=%lu rcu_flavour=%s\n",
			tot->live_bytes, tot->slab_bytes, tot->caches, ps.segments, ps.huge_mappings,
			ps.bytes_mapped, ps.pages_in_use, ps.pages_free_cached, ps.pages_free_clean,
			large_allocs - large_frees, rss, uslab_cpu_mode(), tot->rcu_bytes,
			uslab_rcu_flavour_name() ? uslab_rcu_flavour_name() : "none");
		return;
	}
	fprintf(out, "\n# uslab memory (bytes)\n");
	fprintf(out, "#   live objects in caches  %14lu  (allocated, not freed: sizes asked for)\n",
		tot->live_bytes);
	fprintf(out, "#   held by slabs           %14lu  (%lu caches; the rest is free objects and padding)\n",
		tot->slab_bytes, tot->caches);
	if (tot->rcu_slabs || uslab_rcu_flavour_name())
		fprintf(out, "#   waiting for RCU         %14lu  (%lu empty slabs of SLAB_TYPESAFE_BY_RCU caches, until a %s grace period)\n",
			tot->rcu_bytes, tot->rcu_slabs,
			uslab_rcu_flavour_name() ? uslab_rcu_flavour_name() : "(no flavour registered)");
	fprintf(out, "#   large kmalloc objects   %14lu  (%lu objects above %s, each its own pages)\n",
		large_bytes, large_allocs - large_frees,
		malloc_replacement ? "256 KiB from malloc, 8 KiB from kmalloc" : "8 KiB");
	fprintf(out, "#   pages in use            %14lu  (slabs, large objects, per-thread arrays)\n",
		ps.pages_in_use * PAGE_SIZE);
	fprintf(out, "#   free pages, cached      %14lu  (resident until %ld ms free)\n",
		ps.pages_free_cached * PAGE_SIZE, uslab_option_get(USLAB_OPT_PURGE_DELAY_MS));
	fprintf(out, "#   free pages, returned    %14lu  (given back with madvise or never touched)\n",
		ps.pages_free_clean * PAGE_SIZE);
	fprintf(out, "#   mapped                  %14lu  (%lu segments of 4 MiB, %lu own mappings)\n",
		ps.bytes_mapped, ps.segments, ps.huge_mappings);
	fprintf(out, "#   process RSS             %14ld\n", rss);
	fprintf(out, "#   cpu mode                %14s  (%s)\n", uslab_cpu_mode(),
		uslab_cpu_mode_reason());
}

USLAB_API void uslab_live(struct uslab_live *live)
{
	unsigned long large_allocs, large_frees, large_bytes;
	struct kmem_cache *s;

	if (!live)
		return;
	memset(live, 0, sizeof(*live));
	uslab_ensure_init();
	slab_mutex_lock();
	list_for_each_entry(s, &slab_caches, list) {
		long n = uslab_cache_live(s);

		if (n > 0) {
			live->cache_objects += (unsigned long)n;
			live->cache_bytes += (unsigned long)n * s->object_size;
		}
	}
	slab_mutex_unlock();
	kmalloc_large_counts(&large_allocs, &large_frees, &large_bytes);
	live->large_objects = large_allocs - large_frees;
	live->large_bytes = large_bytes;
	live->objects = live->cache_objects + live->large_objects;
	live->bytes = live->cache_bytes + live->large_bytes;
}

USLAB_API int uslab_report(FILE *out, enum uslab_report_format format)
{
	struct memory_totals tot = { 0, 0, 0, 0, 0 };
	struct kmem_cache *s;

	if (!out)
		return -1;
	if (format != USLAB_REPORT_SLABINFO && format != USLAB_REPORT_SLUBINFO &&
	    format != USLAB_REPORT_RAW)
		return -1;
	uslab_ensure_init();
	if (format == USLAB_REPORT_SLABINFO) {
		fprintf(out, "slabinfo - version: 2.1\n");
		fprintf(out, "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	} else if (format == USLAB_REPORT_SLUBINFO) {
		fprintf(out, "slubinfo - version: 1.0\n");
		fprintf(out, "# name            <objects> <order> <objsize> <slabs>/<partial>/<cpu> <flags>\n");
	} else {
		fprintf(out, "uslab-raw - version: 1\n");
	}
	slab_mutex_lock();
	list_for_each_entry(s, &slab_caches, list)
		report_cache(out, format, s, &tot);
	slab_mutex_unlock();
	report_memory(out, format, &tot);
	fflush(out);
	return 0;
}
