/*
 * slabinfo_remote.c - slabinfo -p PID: the caches of a running process,
 * read from outside as a debugger reads memory (process_vm_readv), the
 * way illumos's mdb reads libumem's caches.
 *
 * The process needs nothing set beforehand and pays nothing: the library
 * exports a constant anchor (src/introspect/remote.h) whose address the
 * ELF symbol tables of the mapped objects give; from it the cache list
 * and the thread list are walked, and the figures computed as the
 * library's own report computes them (src/core/stats.c), then written as
 * raw report lines (src/introspect/raw_format.h) for the tool to parse.
 * The process runs on meanwhile; its lists may change under the reader,
 * so every walk is bounded, every pointer checked before it is followed,
 * and a read that fails is retried from the start a few times.
 *
 * The kernel lets a process be read by its own user (or root), as
 * ptrace does (PTRACE_MODE_ATTACH_REALCREDS; Yama's ptrace_scope may ask
 * more); a refusal, a process that exits mid-read, and a process without
 * uslab each get their own message.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

#include "introspect/raw_format.h"
#include "introspect/remote.h"
#include "slabinfo_remote.h"

#define MAX_THREADS 65536
#define MAX_REMOTE_CACHES 65536
#define MAX_NODES 64

static pid_t target;

/* -errno of a read of len bytes at addr of the target, or 0. */
static int rread(uintptr_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t n;

	if (!addr)
		return -EFAULT;
	n = process_vm_readv(target, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EFAULT;
}

/* A string of the target, cut at len - 1 bytes (read a byte at a time
 * near the end of a mapping). */
static int rstring(uintptr_t addr, char *buf, size_t len)
{
	int err = rread(addr, buf, len);

	if (err == -EFAULT) {
		size_t i;

		for (i = 0; i + 1 < len; i++) {
			if ((err = rread(addr + i, buf + i, 1)))
				break;
			if (!buf[i])
				return 0;
		}
		if (i == 0)
			return err ? err : -EFAULT;
	} else if (err) {
		return err;
	}
	buf[len - 1] = 0;
	return 0;
}

/* ------------------------------------------------------ the anchor */

static bool within(uint64_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/* The address of a symbol in an ELF file (its own numbering), or 0. */
static uint64_t elf_symbol(const char *path, const char *name, int *type)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	uint64_t found = 0;
	struct stat st;
	void *map;
	/* Whatever a target maps, only a regular file is read: never a
	 * link out of its tree, a device or a FIFO. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !within((uint64_t)st.st_size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		goto out;
	*type = eh->e_type;
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	for (unsigned int i = 0; i < eh->e_shnum && !found; i++) {
		const Elf64_Sym *syms;
		const char *strs;
		size_t n;

		const Elf64_Shdr *str;
		size_t want = strlen(name) + 1;

		if ((sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM) ||
		    sh[i].sh_link >= eh->e_shnum)
			continue;
		str = &sh[sh[i].sh_link];
		if (!within((uint64_t)st.st_size, sh[i].sh_offset, sh[i].sh_size) ||
		    !within((uint64_t)st.st_size, str->sh_offset, str->sh_size))
			continue;
		syms = (const Elf64_Sym *)((const char *)map + sh[i].sh_offset);
		strs = (const char *)map + str->sh_offset;
		n = sh[i].sh_size / sizeof(Elf64_Sym);
		for (size_t k = 0; k < n; k++)
			/* The name compared within the string table only. */
			if (syms[k].st_value && syms[k].st_name < str->sh_size &&
			    str->sh_size - syms[k].st_name >= want &&
			    !memcmp(strs + syms[k].st_name, name, want)) {
				found = syms[k].st_value;
				break;
			}
	}
out:
	munmap(map, (size_t)st.st_size);
	return found;
}

/* Where a mapped object starts in the target: the mapping of its first
 * bytes (file offset 0). */
struct mapped_file {
	char path[4096];
	uintptr_t base;
};

/* The objects worth reading: uslab's libraries, and the program itself
 * (uslab linked statically); files replaced on disk since they were
 * mapped are shown "(deleted)" and cannot be opened by their name. */
static int mapped_files(struct mapped_file *out, int max, const char *exe)
{
	char maps[64], line[4600];
	FILE *f;
	int n = 0;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)target);
	f = fopen(maps, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && n < max) {
		unsigned long start, end, off;
		char perms[8], *path = NULL;
		int pos = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &off, &pos) < 4)
			continue;
		if (pos > 0 && line[pos] == '/')
			path = line + pos;
		if (!path || off != 0)
			continue;
		path[strcspn(path, "\n")] = 0;
		if (!strstr(strrchr(path, '/'), "uslab") && strcmp(path, exe))
			continue;
		snprintf(out[n].path, sizeof(out[n].path), "%s", path);
		out[n].base = start;
		n++;
	}
	fclose(f);
	return n;
}

/* A stripped program linked statically has no symbol left: the anchor
 * is found by its magic in the program's own mappings (8-byte aligned,
 * the layout and size after it checked by the caller). */
static int scan_for_anchor(const char *exe, uintptr_t *addr)
{
	char maps[64], line[4600];
	static char chunk[1 << 16];
	int found = -ENOENT;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)target);
	f = fopen(maps, "r");
	if (!f)
		return -errno;
	while (found && fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &pos) < 3 ||
		    perms[0] != 'r' || pos <= 0)
			continue;
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line + pos, exe))
			continue;
		for (unsigned long at = start; at < end && found; at += sizeof(chunk) - 256) {
			size_t len = end - at < sizeof(chunk) ? end - at : sizeof(chunk);

			if (rread(at, chunk, len))
				break;
			for (size_t o = 0; o + sizeof(struct uslab_remote_anchor) <= len; o += 8) {
				const struct uslab_remote_anchor *a = (const void *)(chunk + o);

				/* The string alone may be anyone's (this very tool's):
				 * the rest must fit too. */
				/* (Version and layout are judged by the caller, which
				 * says so when they differ.) */
				/* A file page can be mapped twice: at the end of
				 * the read-only segment too, its pointers never
				 * relocated.  The real one points at memory. */
				struct list_head probe;

				if (!memcmp(a->magic, USLAB_REMOTE_MAGIC, sizeof(USLAB_REMOTE_MAGIC)) &&
				    a->size == sizeof(*a) && a->slab_caches && a->thread_list &&
				    !rread((uintptr_t)a->slab_caches, &probe, sizeof(probe))) {
					*addr = at + o;
					found = 0;
					break;
				}
			}
		}
	}
	fclose(f);
	return found;
}

/* The anchor's address: the symbol of a mapped uslab library first, then
 * of the program itself (linked statically), then its magic. */
static int find_anchor(uintptr_t *addr)
{
	static struct mapped_file files[512];
	char root[4200], exe_link[64], exe[4096];
	ssize_t len;
	int n;

	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", (int)target);
	len = readlink(exe_link, exe, sizeof(exe) - 1);
	if (len <= 0)	/* a kernel thread, or a zombie: no program */
		return len < 0 && errno != ENOENT ? -errno : -ENOEXEC;
	exe[len] = 0;
	n = mapped_files(files, 512, exe);
	if (n < 0)
		return n;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			const char *base = strrchr(files[i].path, '/');
			bool is_uslab = base && strstr(base, "uslab");
			uint64_t value;
			int type = 0;

			if (pass == 0 ? !is_uslab : is_uslab)
				continue;
			/* The path as the target sees it (its mount namespace). */
			snprintf(root, sizeof(root), "/proc/%d/root%.4000s", (int)target, files[i].path);
			value = elf_symbol(root, "uslab_remote_anchor", &type);
			if (!value)
				continue;
			*addr = type == ET_DYN ? files[i].base + value : value;
			return 0;
		}
	return scan_for_anchor(exe, addr);
}

/* ---------------------------------------------------- the structures */

struct remote {
	struct uslab_remote_anchor anchor;
	struct thread_reg *threads;     /* grown as needed, up to MAX_THREADS */
	int nr_threads, cap_threads;
	bool threads_cut;               /* more threads than are read */
};

static int read_threads(struct remote *rm)
{
	uintptr_t head = (uintptr_t)rm->anchor.thread_list, next;
	struct list_head h;
	int err = rread(head, &h, sizeof(h));

	rm->nr_threads = 0;
	rm->threads_cut = false;
	if (err)
		return err;
	for (next = (uintptr_t)h.next; next != head; ) {
		struct thread_reg *r;

		if (rm->nr_threads == rm->cap_threads) {
			int cap = rm->cap_threads ? 2 * rm->cap_threads : 256;
			struct thread_reg *more;

			if (cap > MAX_THREADS || !(more = realloc(rm->threads, (size_t)cap * sizeof(*more)))) {
				rm->threads_cut = true;
				break;
			}
			rm->threads = more;
			rm->cap_threads = cap;
		}
		r = &rm->threads[rm->nr_threads];
		if ((next & 7) || (err = rread(next - offsetof(struct thread_reg, list), r, sizeof(*r))))
			return err ? err : -EFAULT;
		rm->nr_threads++;
		next = (uintptr_t)r->list.next;
	}
	return 0;
}

/* thread_cpu_entry() of base/types.h, on the target's memory. */
static uintptr_t remote_entry(const struct thread_reg *r, unsigned int idx)
{
	uintptr_t page;

	if (idx < CPU_FAST_ENTRIES)
		return idx < r->nr_cpu_slab ?
			       (uintptr_t)r->cpu_slab + idx * sizeof(struct kmem_cache_cpu) : 0;
	idx -= CPU_FAST_ENTRIES;
	if (!r->cpu_dir || idx / CPU_ENTRIES_STEP >= r->nr_dir_pages)
		return 0;
	if (rread((uintptr_t)r->cpu_dir + (idx / CPU_ENTRIES_STEP) * sizeof(void *), &page,
		  sizeof(page)) || !page)
		return 0;
	return page + (idx % CPU_ENTRIES_STEP) * sizeof(struct kmem_cache_cpu);
}

static unsigned int sheaf_size(uintptr_t sheaf)
{
	struct sheaf sh;

	return rread(sheaf, &sh, sizeof(sh)) ? 0 : sh.size;
}

/* cache_info_locked() and cache_stats_sum() of core/stats.c, outside. */
static int remote_cache(struct remote *rm, uintptr_t addr, FILE *out, unsigned long *live,
			unsigned long *slab_bytes)
{
	static struct kmem_cache_node nodes[MAX_NODES];
	uint64_t st[USLAB_NR_STATS], base[USLAB_NR_STATS];
	bool unified, slub;
	struct uslab_cache_info ci;
	struct kmem_cache s;
	char name[128];
	long active;
	int err;

	if ((err = rread(addr, &s, sizeof(s))))
		return err;
	if (s.nr_nodes == 0 || s.nr_nodes > MAX_NODES)
		return -EFAULT;
	if ((err = rread(addr + offsetof(struct kmem_cache, node), nodes,
			 s.nr_nodes * sizeof(nodes[0]))) ||
	    (err = rstring((uintptr_t)s.name, name, sizeof(name))))
		return err;
	slub = s.ops == rm->anchor.slub_personality;
	unified = s.ops == rm->anchor.unified_personality;
	if (!slub && !unified)
		return -EFAULT;
	memset(&ci, 0, sizeof(ci));
	ci.name = name;
	ci.object_size = s.object_size;
	ci.size = s.size;
	ci.align = s.align;
	ci.order = s.oo.order;
	ci.objs_per_slab = s.oo.objects;
	ci.refcount = (unsigned int)(s.refcount > 0 ? s.refcount : 0);
	ci.min_partial = s.min_partial;
	ci.cpu_partial_slabs = s.cpu_partial_slabs;
	ci.flags = s.flags;
	ci.has_ctor = s.ctor != NULL;
	ci.destroyed = s.dead;
	ci.allocator = slub ? "slub" : "unified";
	ci.queue_limit = s.queue_limit;
	ci.batchcount = s.batchcount;
	for (unsigned int i = 0; i < s.nr_nodes; i++) {
		ci.nr_slabs += nodes[i].nr_slabs;
		ci.total_objs += nodes[i].total_objects;
		ci.nr_partial += nodes[i].nr_partial;
		ci.pages += nodes[i].nr_pages;
		ci.barn_sheaves += nodes[i].barn.nr_full + nodes[i].barn.nr_empty;
	}
	for (int i = 0; i < USLAB_NR_STATS; i++) {
		st[i] = s.stat_total[i];
		base[i] = s.stat_base[i];
	}
	for (int t = 0; t < rm->nr_threads; t++) {
		uintptr_t entry = remote_entry(&rm->threads[t], s.cpu_index);
		struct kmem_cache_cpu c;

		if (!entry || rread(entry, &c, sizeof(c)) || (uintptr_t)c.cache != addr)
			continue;
		for (int i = 0; i < USLAB_NR_STATS; i++)
			st[i] += c.stat[i];
		if (rm->threads[t].is_cpu) {
			uint64_t allocs, frees;

			/* A CPU's entry: the fast paths' count not folded yet. */
			if (slub)
				slub_head_unfolded((uintptr_t)c.freelist, &allocs, &frees);
			else
				cpu_entry_unfolded(c.fast_ops, c.main_size, c.fold_size, &allocs,
						   &frees);
			st[USLAB_STAT_ALLOC_FASTPATH] += allocs;
			st[USLAB_STAT_FREE_FASTPATH] += frees;
		}
		if (slub) {
			if (c.slab)
				ci.cpu_slabs++;
			ci.cpu_partial += c.nr_partial;
		} else {
			if (c.main != rm->anchor.empty_sheaf || c.spare != rm->anchor.empty_sheaf)
				ci.cpu_slabs++;
			/* The main sheaf's size is the entry's (unified.c). */
			ci.queued_objs += c.main_size + sheaf_size((uintptr_t)c.spare);
		}
	}
	active = (long)(st[USLAB_STAT_ALLOC_FASTPATH] + st[USLAB_STAT_ALLOC_SLOWPATH]) -
		 (long)(st[USLAB_STAT_FREE_FASTPATH] + st[USLAB_STAT_FREE_SLOWPATH]);
	ci.active_objs = active > 0 ? (unsigned long)active : 0;
	if (ci.active_objs > ci.total_objs)
		ci.active_objs = ci.total_objs;
	if (ci.queued_objs > ci.total_objs)
		ci.queued_objs = ci.total_objs;
	*live += ci.active_objs * ci.object_size;
	*slab_bytes += ci.pages * PAGE_SIZE;
	raw_cache_line(out, &ci, st, base);

	/* The names merged into it. */
	uintptr_t head = addr + offsetof(struct kmem_cache, aliases), next = (uintptr_t)s.aliases.next;
	for (int n = 0; next != head && n < 4096; n++) {
		struct kmem_cache_alias alias;
		char alias_name[128];

		if ((next & 7) || rread(next - offsetof(struct kmem_cache_alias, list), &alias,
					sizeof(alias)) ||
		    rstring((uintptr_t)alias.name, alias_name, sizeof(alias_name)))
			return -EFAULT;
		raw_alias_line(out, alias_name, name);
		next = (uintptr_t)alias.list.next;
	}
	return 0;
}

static long target_rss(void)
{
	char path[64];
	long pages = -1, rss = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)target);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = -1;
		fclose(f);
	}
	return rss < 0 ? -1 : rss * (long)PAGE_SIZE;
}

/* One pass over the caches; -EAGAIN when a list changed under it. */
static int read_once(struct remote *rm, FILE *out)
{
	uintptr_t head = (uintptr_t)rm->anchor.slab_caches, next;
	unsigned long live = 0, slab_bytes = 0, nr = 0;
	struct list_head h;
	char mode[32] = "thread";
	int err;

	if ((err = read_threads(rm)) || (err = rread(head, &h, sizeof(h))))
		return err == -EFAULT ? -EAGAIN : err;
	rstring((uintptr_t)rm->anchor.cpu_mode, mode, sizeof(mode));
	fprintf(out, "uslab-raw - version: 1\n");
	for (next = (uintptr_t)h.next; next != head; nr++) {
		uintptr_t s = next - offsetof(struct kmem_cache, list);
		struct list_head l;

		if (nr == MAX_REMOTE_CACHES || (next & 7))
			return -EAGAIN;
		if ((err = remote_cache(rm, s, out, &live, &slab_bytes)))
			return err == -EFAULT ? -EAGAIN : err;
		if ((err = rread(next, &l, sizeof(l))))
			return err == -EFAULT ? -EAGAIN : err;
		next = (uintptr_t)l.next;
	}
	fprintf(out, "memory live_bytes=%lu slab_bytes=%lu caches=%lu rss=%ld cpu_mode=%s"
		" threads=%d%s read_from=pid-%d\n", live, slab_bytes, nr, target_rss(), mode,
		rm->nr_threads, rm->threads_cut ? "+" : "", (int)target);
	return 0;
}

static const char *why(int err)
{
	switch (-err) {
	case ESRCH:
		return "it exited while it was read";
	case EPERM:
	case EACCES:
		return "permission denied (only its own user or root may read a process;"
		       " see also /proc/sys/kernel/yama/ptrace_scope)";
	case ENOENT:
		return "it does not use uslab (no uslab_remote_anchor in its objects)";
	case ENOSYS:
		return "this kernel has no process_vm_readv";
	case ENOEXEC:
		return "it runs no program (a kernel thread, or it has exited and waits for its parent)";
	default:
		return strerror(-err);
	}
}

int remote_report(pid_t pid, FILE *out)
{
	static struct remote rm;
	uintptr_t anchor;
	int err;

	target = pid;
	if (kill(pid, 0) && errno == ESRCH) {
		fprintf(stderr, "slabinfo: no process %d\n", (int)pid);
		return -1;
	}
	if ((err = find_anchor(&anchor)) ||
	    (err = rread(anchor, &rm.anchor, sizeof(rm.anchor)))) {
		fprintf(stderr, "slabinfo: cannot read process %d: %s\n", (int)pid, why(err));
		return -1;
	}
	if (memcmp(rm.anchor.magic, USLAB_REMOTE_MAGIC, sizeof(USLAB_REMOTE_MAGIC)) ||
	    rm.anchor.size != sizeof(rm.anchor) ||
	    strncmp(rm.anchor.version, USLAB_VERSION_STRING, sizeof(rm.anchor.version)) ||
	    rm.anchor.layout != USLAB_REMOTE_LAYOUT) {
		rm.anchor.version[sizeof(rm.anchor.version) - 1] = 0;
		fprintf(stderr, "slabinfo: process %d uses uslab %.16s, which this slabinfo (%s) "
			"cannot read: use the slabinfo of that version\n", (int)pid,
			memcmp(rm.anchor.magic, USLAB_REMOTE_MAGIC, sizeof(USLAB_REMOTE_MAGIC)) ?
				"(unknown)" : rm.anchor.version,
			USLAB_VERSION_STRING);
		return -1;
	}
	/* The lists may change while they are walked: a few tries. */
	for (int attempt = 0; attempt < 20; attempt++) {
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);

		if (!mem)
			return -1;
		err = read_once(&rm, mem);
		fclose(mem);
		if (!err)
			fwrite(text, 1, len, out);
		free(text);
		if (err != -EAGAIN)
			break;
	}
	if (err) {
		fprintf(stderr, "slabinfo: cannot read process %d: %s\n", (int)pid,
			err == -EAGAIN ? "its caches kept changing under the reader" : why(err));
		return -1;
	}
	if (rm.threads_cut)
		fprintf(stderr, "slabinfo: process %d has more than %d threads: the figures count"
			" the first %d\n", (int)pid, MAX_THREADS, rm.nr_threads);
	return 0;
}
