/*
 * symbolize.c - "function+0x1c" for a code address, for the owners and
 * callers in reports, without special linking.
 *
 * dladdr() knows only the dynamic symbols: the functions of a program
 * linked without -rdynamic, and every static function, would read as
 * "prog+0x11ea".  So the object's own symbol table (.symtab, which a
 * program keeps unless it is stripped) is searched first, and dladdr's
 * answer is the fallback.
 *
 * Called while a report is built, perhaps under a node's list_lock: it
 * allocates nothing and takes no lock of uslab.
 *
 * File and line, where the object has debug information, come from
 * elfutils' libdw, opened (dlopen, no link dependency) only once owner
 * tracking is on.  libdw allocates, so it never runs while a report is
 * built: format_address() leaves a marker (\1<address>\2) after the name,
 * and the report layer, delivering the report with no lock held and
 * outside every slow path, has symbolize_lines() replace it by
 * " (file.c:123)", or drop it.  The symbol table of
 * each object is mapped once (read-only, never unmapped) into a small
 * table whose slots are claimed with a compare-and-swap and published
 * with a release store; a slot being filled by another thread is simply
 * not used yet.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/symbolize.h"

#define NR_IMAGES 64

enum { IMAGE_FREE, IMAGE_BUSY, IMAGE_READY, IMAGE_NONE };

struct elf_image {
	int state;
	uintptr_t fbase;            /* dladdr's load address of the object */
	uintptr_t bias;             /* what to subtract from an address */
	const Elf64_Sym *syms;
	size_t nr_syms;
	const char *strtab;
	size_t strtab_size;
	char path[256];
};

static struct elf_image images[NR_IMAGES];

/* The program itself: dladdr names it as it was started (perhaps a
 * relative path, perhaps ""), /proc/self/exe always finds it. */
static const char *object_path(const Dl_info *info)
{
	extern char *program_invocation_name;

	if (!info->dli_fname || !*info->dli_fname ||
	    (program_invocation_name && !strcmp(info->dli_fname, program_invocation_name)))
		return "/proc/self/exe";
	return info->dli_fname;
}

/* Maps the file and finds its .symtab; false when it has none. */
static bool load_image(struct elf_image *im, const char *path, uintptr_t fbase)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return false;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return false;
	eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    !eh->e_shoff || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > (uint64_t)st.st_size)
		goto none;
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *str;

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		str = &sh[sh[i].sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > (uint64_t)st.st_size ||
		    str->sh_offset + str->sh_size > (uint64_t)st.st_size)
			goto none;
		im->syms = (const Elf64_Sym *)((const char *)map + sh[i].sh_offset);
		im->nr_syms = sh[i].sh_size / sizeof(Elf64_Sym);
		im->strtab = (const char *)map + str->sh_offset;
		im->strtab_size = str->sh_size;
		/* A shared object or PIE counts from its load address; a
		 * fixed-address program from 0. */
		im->bias = eh->e_type == ET_DYN ? fbase : 0;
		return true;
	}
none:
	munmap(map, (size_t)st.st_size);
	return false;
}

static struct elf_image *find_image(const Dl_info *info)
{
	uintptr_t fbase = (uintptr_t)info->dli_fbase;
	const char *path = object_path(info);

	for (int i = 0; i < NR_IMAGES; i++) {
		struct elf_image *im = &images[i];
		int state = __atomic_load_n(&im->state, __ATOMIC_ACQUIRE);

		if (state == IMAGE_FREE) {
			if (!__atomic_compare_exchange_n(&im->state, &state, IMAGE_BUSY, false,
							 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				continue;
			im->fbase = fbase;
			snprintf(im->path, sizeof(im->path), "%s", path);
			state = load_image(im, path, fbase) ? IMAGE_READY : IMAGE_NONE;
			__atomic_store_n(&im->state, state, __ATOMIC_RELEASE);
			return state == IMAGE_READY ? im : NULL;
		}
		if (state == IMAGE_BUSY)
			continue;
		if (im->fbase == fbase && !strcmp(im->path, path))
			return state == IMAGE_READY ? im : NULL;
	}
	return NULL;
}

/* The function symbol of im that holds addr, or NULL. */
static const Elf64_Sym *symtab_lookup(const struct elf_image *im, uintptr_t addr)
{
	uintptr_t rel = addr - im->bias;
	const Elf64_Sym *best = NULL;

	for (size_t i = 0; i < im->nr_syms; i++) {
		const Elf64_Sym *sym = &im->syms[i];

		if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC || !sym->st_value ||
		    sym->st_name >= im->strtab_size)
			continue;
		if (rel >= sym->st_value && rel < sym->st_value + (sym->st_size ? sym->st_size : 1))
			if (!best || sym->st_value > best->st_value)
				best = sym;
	}
	return best;
}

/* ------------------------------------------------ file and line (libdw) */

/* The parts of libdwfl's interface used here, as its ABI has them. */
typedef int (*dwfl_find_elf_fn)(void *, void **, const char *, uint64_t, char **, void **);
typedef int (*dwfl_find_debuginfo_fn)(void *, void **, const char *, uint64_t, const char *,
				      const char *, uint32_t, char **);
struct dwfl_callbacks {
	dwfl_find_elf_fn find_elf;
	dwfl_find_debuginfo_fn find_debuginfo;
	void *section_address;
	char **debuginfo_path;
};

static struct {
	void *(*begin)(const struct dwfl_callbacks *);
	int (*proc_report)(void *, pid_t);
	int (*report_end)(void *, void *, void *);
	void (*report_begin_add)(void *);
	void *(*addrmodule)(void *, uint64_t);
	void *(*module_getsrc)(void *, uint64_t);
	const char *(*lineinfo)(void *, uint64_t *, int *, int *, uint64_t *, uint64_t *);
	struct dwfl_callbacks callbacks;
	void *dwfl;
} dw;
static int lines_wanted;       /* libdw is there: format_address leaves markers */
static pthread_mutex_t dw_lock = PTHREAD_MUTEX_INITIALIZER;

static void open_libdw(void)
{
	void *h = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return;
	dw.begin = (void *(*)(const struct dwfl_callbacks *))dlsym(h, "dwfl_begin");
	dw.proc_report = (int (*)(void *, pid_t))dlsym(h, "dwfl_linux_proc_report");
	dw.report_end = (int (*)(void *, void *, void *))dlsym(h, "dwfl_report_end");
	dw.report_begin_add = (void (*)(void *))dlsym(h, "dwfl_report_begin_add");
	dw.addrmodule = (void *(*)(void *, uint64_t))dlsym(h, "dwfl_addrmodule");
	dw.module_getsrc = (void *(*)(void *, uint64_t))dlsym(h, "dwfl_module_getsrc");
	dw.lineinfo = (const char *(*)(void *, uint64_t *, int *, int *, uint64_t *,
				       uint64_t *))dlsym(h, "dwfl_lineinfo");
	dw.callbacks.find_elf = (dwfl_find_elf_fn)dlsym(h, "dwfl_linux_proc_find_elf");
	dw.callbacks.find_debuginfo = (dwfl_find_debuginfo_fn)dlsym(h, "dwfl_standard_find_debuginfo");
	if (dw.begin && dw.proc_report && dw.report_end && dw.report_begin_add && dw.addrmodule &&
	    dw.module_getsrc && dw.lineinfo && dw.callbacks.find_elf && dw.callbacks.find_debuginfo)
		__atomic_store_n(&lines_wanted, 1, __ATOMIC_RELEASE);
}

void symbolize_want_lines(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, open_libdw);
}

/* "file.c:123" of addr (a return address: the call is just before), or
 * false; dw_lock held. */
static bool source_line(uintptr_t addr, char *buf, size_t len)
{
	uint64_t at = addr - 1;
	const char *file;
	void *mod, *line;
	int lineno = 0;

	if (!dw.dwfl) {
		dw.dwfl = dw.begin(&dw.callbacks);
		if (!dw.dwfl)
			return false;
		dw.proc_report(dw.dwfl, getpid());
		dw.report_end(dw.dwfl, NULL, NULL);
	}
	mod = dw.addrmodule(dw.dwfl, at);
	if (!mod) {
		/* Loaded since: the process's mappings again. */
		dw.report_begin_add(dw.dwfl);
		dw.proc_report(dw.dwfl, getpid());
		dw.report_end(dw.dwfl, NULL, NULL);
		mod = dw.addrmodule(dw.dwfl, at);
	}
	line = mod ? dw.module_getsrc(mod, at) : NULL;
	file = line ? dw.lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	if (!file || lineno <= 0)
		return false;
	if (strrchr(file, '/'))
		file = strrchr(file, '/') + 1;
	snprintf(buf, len, "%s:%d", file, lineno);
	return true;
}

void symbolize_lines(const char *in, char *out, size_t len, bool resolve)
{
	size_t o = 0;
	bool locked;

	if (!len)
		return;
	/* A report made while libdw runs (its allocation found something
	 * wrong) gets no lines rather than waiting on itself. */
	locked = resolve && __atomic_load_n(&lines_wanted, __ATOMIC_ACQUIRE) &&
		 !pthread_mutex_trylock(&dw_lock);
	for (const char *p = in; *p && o + 1 < len; p++) {
		const char *end;
		char where[256];

		if (*p != '\1' || !(end = strchr(p, '\2'))) {
			out[o++] = *p;
			continue;
		}
		if (locked && source_line((uintptr_t)strtoull(p + 1, NULL, 16), where, sizeof(where))) {
			int n = snprintf(out + o, len - o, " (%s)", where);

			o = n > 0 && (size_t)n < len - o ? o + (size_t)n : len - 1;
		}
		p = end;
	}
	out[o] = 0;
	if (locked)
		pthread_mutex_unlock(&dw_lock);
}

void format_address(char *buf, size_t len, uintptr_t addr)
{
	const struct elf_image *im;
	const Elf64_Sym *sym;
	const char *file;
	Dl_info info;
	int n;

	if (!dladdr((void *)addr, &info)) {
		snprintf(buf, len, "0x%lx", (unsigned long)addr);
		return;
	}
	im = find_image(&info);
	sym = im ? symtab_lookup(im, addr) : NULL;
	if (sym) {
		n = snprintf(buf, len, "%s+0x%lx", im->strtab + sym->st_name,
			     (unsigned long)(addr - im->bias - sym->st_value));
	} else if (info.dli_sname && info.dli_saddr) {
		n = snprintf(buf, len, "%s+0x%lx", info.dli_sname,
			     (unsigned long)(addr - (uintptr_t)info.dli_saddr));
	} else {
		file = info.dli_fname ? strrchr(info.dli_fname, '/') : NULL;
		n = snprintf(buf, len, "%s+0x%lx",
			     file ? file + 1 : (info.dli_fname && *info.dli_fname ? info.dli_fname : "?"),
			     (unsigned long)(addr - (uintptr_t)info.dli_fbase));
	}
	/* The marker symbolize_lines() turns into " (file.c:123)". */
	if (__atomic_load_n(&lines_wanted, __ATOMIC_ACQUIRE) && n > 0 && (size_t)n + 20 < len)
		snprintf(buf + n, len - (size_t)n, "\1%lx\2", (unsigned long)addr);
}
