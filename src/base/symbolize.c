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
 * binutils' addr2line, run as a process of its own once owner tracking is
 * on: nothing of a DWARF reader runs in the program, so nothing of it can
 * meet the program's bug (a stray write, a racing double free, a small
 * thread stack), and nothing goes to the network (it gets no
 * DEBUGINFOD_URLS).  It never runs while a report is built:
 * format_address() leaves a marker (\1<slot>:<address>\2) after the name,
 * and the report layer, delivering the report with no lock held and
 * outside every slow path, has symbolize_lines() replace it by
 * " (file.c:123)", or drop it.  The symbol table of
 * each object is mapped once (read-only, never unmapped) into a small
 * table whose slots are claimed with a compare-and-swap and published
 * with a release store; a slot being filled by another thread is simply
 * not used yet.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
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
#include "base/meta.h"
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
	bool is_exe;                /* the program: /proc/<pid>/exe names it */
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

/* [off, off + len) lies in a file of size bytes. */
static bool within(uint64_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/* Maps the file and finds its .symtab; false when it has none.  Only a
 * regular file is opened (never a device or a FIFO a path may name). */
static bool load_image(struct elf_image *im, const char *path, uintptr_t fbase)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return false;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return false;
	eh = map;
	/* Every offset and size checked by subtraction: a file crafted to
	 * wrap an addition around is refused, not followed. */
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    !eh->e_shoff || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !within((uint64_t)st.st_size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		goto none;
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *str;

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		str = &sh[sh[i].sh_link];
		if (!within((uint64_t)st.st_size, sh[i].sh_offset, sh[i].sh_size) ||
		    !within((uint64_t)st.st_size, str->sh_offset, str->sh_size) || !str->sh_size ||
		    ((const char *)map)[str->sh_offset + str->sh_size - 1])
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
			/* Its real name: another process (addr2line) will open it. */
			im->is_exe = !strcmp(path, "/proc/self/exe");
			if (im->is_exe) {
				ssize_t l = readlink(path, im->path, sizeof(im->path) - 1);

				im->path[l > 0 ? l : 0] = 0;
				if (l <= 0)
					snprintf(im->path, sizeof(im->path), "%s", path);
			}
			state = load_image(im, path, fbase) ? IMAGE_READY : IMAGE_NONE;
			__atomic_store_n(&im->state, state, __ATOMIC_RELEASE);
			return state == IMAGE_READY ? im : NULL;
		}
		if (state == IMAGE_BUSY)
			continue;
		if (im->fbase == fbase && (!strcmp(im->path, path) || !strcmp(path, "/proc/self/exe")))
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

/* ---------------------------------------------- file and line (addr2line) */

#define ADDR2LINE "/usr/bin/addr2line"
#define MAX_LOOKUPS 64               /* addresses resolved per report */

static int lines_wanted;             /* addr2line is there: markers are left */

void symbolize_want_lines(void)
{
	if (!access(ADDR2LINE, X_OK))
		__atomic_store_n(&lines_wanted, 1, __ATOMIC_RELEASE);
}

struct lookup {
	int slot;                    /* images[] */
	uintptr_t rel;               /* the address in the object's numbering */
	char where[64];              /* "file.c:123", or "" */
};

/* One addr2line for the addresses of one object: its output, a line per
 * address, into the lookups.  The child gets no environment of the
 * program (no DEBUGINFOD_URLS: nothing goes to the network), its output
 * comes through a pipe, and it is waited for (if the program reaps it
 * first, so be it). */
static bool run_addr2line(const struct elf_image *im, struct lookup *lk, int n, char *buf,
			  size_t cap)
{
	char hex[MAX_LOOKUPS][20], *argv[MAX_LOOKUPS + 5], exe[64];
	char *envp[] = { "LC_ALL=C", NULL };
	posix_spawn_file_actions_t fa;
	int fds[2], argc = 0, status, lines = 0;
	bool ok = false;
	size_t got = 0;
	pid_t pid = -1;

	/* The running program itself, even if its file was replaced since. */
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)getpid());
	argv[argc++] = "addr2line";
	argv[argc++] = "-e";
	argv[argc++] = im->is_exe ? exe : (char *)im->path;
	for (int i = 0; i < n; i++) {
		snprintf(hex[i], sizeof(hex[i]), "0x%lx", (unsigned long)(lk[i].rel - 1));
		argv[argc++] = hex[i];
	}
	argv[argc] = NULL;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK))
		return false;
	if (!posix_spawn_file_actions_init(&fa)) {
		if (!posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO) &&
		    !posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0) &&
		    !posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) &&
		    posix_spawn(&pid, ADDR2LINE, &fa, NULL, argv, envp))
			pid = -1;
		posix_spawn_file_actions_destroy(&fa);
	}
	close(fds[1]);
	/* A line per address, then done: never wait for the pipe's end (a
	 * child another thread forks meanwhile may hold it), and never more
	 * than a few seconds. */
	while (pid > 0 && got + 1 < cap && lines < n) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t r;
		int w = poll(&pfd, 1, 3000);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		r = read(fds[0], buf + got, cap - 1 - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			lines += buf[got + (size_t)i] == '\n';
		got += (size_t)r;
	}
	close(fds[0]);
	if (pid > 0) {
		if (lines < n)
			kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	ok = pid > 0 && lines >= n;
	buf[got] = 0;
	/* "/path/file.c:123 (discriminator 2)" or "??:0", in order. */
	for (int i = 0; i < n && *buf; i++) {
		char *eol = strchr(buf, '\n'), *colon, *name;

		if (eol)
			*eol = 0;
		buf[strcspn(buf, " ")] = 0;
		colon = strrchr(buf, ':');
		name = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
		if (colon && colon > name && colon[1] >= '1' && colon[1] <= '9' && strncmp(buf, "??", 2))
			snprintf(lk[i].where, sizeof(lk[i].where), "%s", name);
		if (!eol)
			break;
		buf = eol + 1;
	}
	return ok;
}

/* What addr2line said of each call site (an empty answer too): reports of
 * one bug, and traces (T), name the same sites again and again, and each
 * new site costs a process.  Outside uslab's locks: a mutex of its own. */
#define MEMO_SIZE 1024

static struct memo {
	int slot;                    /* -1: unused */
	uintptr_t rel;
	char where[64];
} memo[MEMO_SIZE];
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static int memo_ready;

static struct memo *memo_slot(int slot, uintptr_t rel)
{
	return &memo[(rel * 31 + (uintptr_t)slot) % MEMO_SIZE];
}

static bool memo_get(struct lookup *lk)
{
	bool hit = false;
	struct memo *m;

	/* Busy (or held by a thread that did not follow into a fork child):
	 * no memo this time. */
	if (pthread_mutex_trylock(&memo_lock))
		return false;
	if (!memo_ready) {
		for (int i = 0; i < MEMO_SIZE; i++)
			memo[i].slot = -1;
		memo_ready = 1;
	}
	m = memo_slot(lk->slot, lk->rel);
	if (m->slot == lk->slot && m->rel == lk->rel) {
		memcpy(lk->where, m->where, sizeof(lk->where));
		hit = true;
	}
	pthread_mutex_unlock(&memo_lock);
	return hit;
}

static void memo_put(const struct lookup *lk)
{
	struct memo *m;

	if (pthread_mutex_trylock(&memo_lock))
		return;
	m = memo_slot(lk->slot, lk->rel);
	m->slot = lk->slot;
	m->rel = lk->rel;
	memcpy(m->where, lk->where, sizeof(m->where));
	pthread_mutex_unlock(&memo_lock);
}

/* in into out: each marker \1slot:address\2 becomes " (file.c:123)" when
 * resolve and addr2line know it, else nothing.  Its memory is metadata,
 * not the stack (a program's thread may have a small one) nor the
 * program's heap. */
void symbolize_lines(const char *in, char *out, size_t len, bool resolve)
{
	struct scratch {
		struct lookup lk[MAX_LOOKUPS];
		char output[8192];
	} *sc = NULL;
	int nr = 0;
	size_t o = 0;

	if (!len)
		return;
	if (resolve && __atomic_load_n(&lines_wanted, __ATOMIC_ACQUIRE) && strchr(in, '\1'))
		sc = meta_alloc(sizeof(*sc));
	/* The addresses, and one addr2line per object. */
	for (const char *p = in; sc && (p = strchr(p, '\1')) && nr < MAX_LOOKUPS; p++) {
		char *end;
		long slot = strtol(p + 1, &end, 10);

		if (*end != ':' || slot < 0 || slot >= NR_IMAGES ||
		    __atomic_load_n(&images[slot].state, __ATOMIC_ACQUIRE) != IMAGE_READY)
			continue;
		sc->lk[nr].slot = (int)slot;
		sc->lk[nr].rel = (uintptr_t)strtoull(end + 1, NULL, 16);
		sc->lk[nr].where[0] = 0;
		nr++;
	}
	/* Call sites seen before are answered from the memo; the rest are
	 * moved to the front, grouped by object, for addr2line. */
	{
		int misses = 0;

		for (int i = 0; sc && i < nr; i++)
			if (!memo_get(&sc->lk[i])) {
				struct lookup tmp = sc->lk[misses];

				sc->lk[misses] = sc->lk[i];
				sc->lk[i] = tmp;
				misses++;
			}
		for (int i = 0; sc && i < misses; ) {
			int k = i;

			while (k < misses && sc->lk[k].slot == sc->lk[i].slot)
				k++;
			/* Only a whole answer is kept: a failed run is tried
			 * again at the next report. */
			if (run_addr2line(&images[sc->lk[i].slot], &sc->lk[i], k - i, sc->output,
					  sizeof(sc->output)))
				for (int m = i; m < k; m++)
					memo_put(&sc->lk[m]);
			i = k;
		}
	}
	for (const char *p = in; *p && o + 1 < len; p++) {
		const char *end;

		if (*p != '\1') {
			out[o++] = *p;
			continue;
		}
		/* A marker cut off by a full report is dropped whole. */
		if (!(end = strchr(p, '\2')))
			break;
		for (int i = 0; sc && i < nr; i++) {
			char *colon;
			long slot = strtol(p + 1, &colon, 10);

			if (slot == sc->lk[i].slot && *colon == ':' &&
			    (uintptr_t)strtoull(colon + 1, NULL, 16) == sc->lk[i].rel &&
			    sc->lk[i].where[0]) {
				int n = snprintf(out + o, len - o, " (%s)", sc->lk[i].where);

				o = n > 0 && (size_t)n < len - o ? o + (size_t)n : len - 1;
				break;
			}
		}
		p = end;
	}
	if (o && out[o - 1] != '\n' && o + 1 < len)
		out[o++] = '\n';
	out[o] = 0;
	if (sc)
		meta_free(sc, sizeof(*sc));
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
	/* The marker symbolize_lines() turns into " (file.c:123)": the
	 * object's slot and the address in the object's numbering. */
	if (im && __atomic_load_n(&lines_wanted, __ATOMIC_ACQUIRE) && n > 0 && (size_t)n + 24 < len)
		snprintf(buf + n, len - (size_t)n, "\1%d:%lx\2", (int)(im - images),
			 (unsigned long)(addr - im->bias));
}
