/*
 * types.h - every data structure of uslab, with a comment on each field.
 *
 * Reading this file, core/slab.h and the two personalities' fast paths
 * (slub/slub_fastpath.h, unified/unified_fastpath.h) is enough to
 * understand the allocator.
 *
 * Layers (docs/DESIGN.md): the page allocator hands out runs of pages from
 * segments; each page has a descriptor, struct slab, in the header of its
 * segment.  A cache (struct kmem_cache) carves runs into objects; each
 * thread keeps one struct kmem_cache_cpu per cache (its "cpu slab"), and
 * each NUMA node one struct kmem_cache_node (the partial list).
 *
 * States of a slab of objects (the SLUB states):
 *   cpu slab     frozen; its objects are on the owner thread's private
 *                c->freelist, so slab->freelist only holds objects freed
 *                since by other threads.  Only the owner takes
 *                slab->freelist.
 *   cpu partial  frozen; on some thread's c->partial list, free objects on
 *                slab->freelist.  Only that thread unfreezes it.
 *   partial      not frozen; on its node's partial list (on_partial = 1).
 *   full         not frozen; on no list (debug caches: on node->full);
 *                freelist empty.
 * Who may change what:
 *   slab->freelist and slab->counters change together, only through
 *   slab_update_freelist() (double-word cmpxchg, or the slab lock where
 *   the CPU lacks it), by any thread;
 *   slab_list and on_partial only under node->list_lock;
 *   next / slabs (cpu partial list) only by the thread that froze it;
 *   kind / order / head_offset only under the page allocator's node lock,
 *   while the run is not in use as a slab.
 */
#ifndef USLAB_TYPES_H
#define USLAB_TYPES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "uslab.h"
#include "base/compiler.h"
#include "base/list.h"
#include "base/lock.h"

struct personality;

/* ---------------------------------------------------------------- sizes */

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)
#define SEGMENT_SHIFT   22                    /* 4 MiB segments */
#define SEGMENT_SIZE    (1UL << SEGMENT_SHIFT)
#define SEGMENT_MASK    (SEGMENT_SIZE - 1)
#define SEGMENT_PAGES   (SEGMENT_SIZE >> PAGE_SHIFT)
/* Largest run inside a segment: the header occupies the first pages, so
 * the biggest naturally aligned free block is the upper half. */
#define PAGE_ALLOC_MAX_ORDER 9
#define NR_PAGE_ORDERS  (PAGE_ALLOC_MAX_ORDER + 1)
#define MAX_NUMNODES    64
#define MAX_OBJS_PER_SLAB 32767               /* objects:15 */
#define MAX_CACHES      32768                 /* live caches at once */
#define CACHE_LINE_SIZE 64
/* obj index = (offset * reciprocal_size) >> RECIPROCAL_SHIFT, exact for
 * offsets and sizes up to 2^21 (the largest slab). */
#define RECIPROCAL_SHIFT 42

/* --------------------------------------------------- page descriptors */

/* The counters word of a slab, as a value to compute with. */
union slab_counters {
	unsigned long counters;
	struct {
		unsigned inuse : 16;   /* objects not on slab->freelist */
		unsigned objects : 15; /* objects in this slab */
		unsigned frozen : 1;   /* owned by a thread (cpu or cpu partial) */
	};
};

enum page_kind {
	PAGE_NONE = 0,   /* segment header, or inside a free run */
	PAGE_FREE,       /* first page of a free run */
	PAGE_TAIL,       /* a later page of a run in use; see head_offset */
	PAGE_SLAB,       /* first page of a slab of objects */
	PAGE_LARGE,      /* first page of a kmalloc object > 8 KiB */
	PAGE_HUGE,       /* the data page of a mapping of its own */
	PAGE_INTERNAL,   /* unused since metadata moved to meta.c; kfree reports it */
	PAGE_PURGING,    /* first page of a free run being given back (no list) */
};

/*
 * struct slab - one per 4 KiB page, in the header of the page's segment
 * (the kernel's struct page / struct slab).  Only the first page of a run
 * (head) carries the run's state; later pages point back with head_offset.
 */
struct slab {
	union {
		struct {
			union {
				/* slub: first free object not on any cpu freelist. */
				void *freelist;
				/* unified, up to 64 objects: bit i set = object i free. */
				uint64_t bitmap;
			};
			union {
				unsigned long counters;
				struct {
					unsigned inuse : 16;   /* objects not on slab->freelist */
					unsigned objects : 15; /* objects in this slab */
					unsigned frozen : 1;   /* owned by a thread (cpu or cpu partial) */
				};
				/* PAGE_FREE: when the run was freed (ms). */
				uint64_t freed_at;
			};
		};
		/* The double word that cmpxchg16b updates. */
		unsigned __int128 freelist_counters;
	};
	/* PAGE_SLAB: the cache; NULL for every other kind. */
	struct kmem_cache *slab_cache;
	union {
		/* node->partial (under list_lock), or a page allocator free list. */
		struct list_head slab_list;
		struct {
			/* Next slab on the owner thread's cpu partial list. */
			struct slab *next;
			/* Length of the list from here (valid in the first). */
			unsigned int slabs;
		};
	};
	uint16_t head_offset; /* bytes from the run's head descriptor to this one */
	uint8_t order;        /* run length is 2^order pages (heads) */
	uint8_t spare;        /* unused: keeps kind where segment's no_kind lies */
	uint8_t on_partial;   /* on node->partial; under node->list_lock */
	uint8_t on_full;      /* debug caches: on node->full; under list_lock */
	uint8_t node;         /* NUMA node of the memory */
	/* enum page_kind, the top byte of its word: a word of small fields
	 * with a kind set is never a canonical address, so a conservative
	 * scan (memcheck's leak check) never takes it for a pointer. */
	uint8_t kind;
	uint8_t dirty;        /* PAGE_FREE: pages may be resident */
} __attribute__((aligned(CACHE_LINE_SIZE)));

/* One descriptor per cache line: virt_to_slab is shifts only, and the
 * cmpxchg of one slab never bounces the line of its neighbour. */
_Static_assert(sizeof(struct slab) == 64, "page descriptor grew");
/* head_offset holds up to (2^PAGE_ALLOC_MAX_ORDER - 1) descriptors. */
_Static_assert(((1u << PAGE_ALLOC_MAX_ORDER) - 1) * 64 <= 0xffff, "head_offset too narrow");

enum segment_kind {
	SEGMENT_NORMAL,  /* a buddy-managed 4 MiB segment */
	SEGMENT_HUGE,    /* one object larger than any run */
};

/*
 * struct segment - the start of every mapping uslab makes, aligned to
 * SEGMENT_SIZE so that virt_to_slab() is a mask, a shift and an index.
 * The segment's own fields overlay the descriptor of its first page, a
 * header page that is never a run, so pages[] starts at the segment's
 * first byte.  The fields are guarded by the page allocator node lock;
 * those of a huge mapping by huge_lock (page/huge_cache.c).
 */
struct segment {
	union {
		/* These fields lie over pages[0] (a header page): the words
		 * a lookup of a pointer into that page reads as slab_cache,
		 * head_offset and kind stay zero, so that free(segment + 64)
		 * is reported as what it is, not followed (static asserts
		 * below). */
		struct {
			struct list_head seg_list; /* the node's segments, or its empty list */
			void *no_slab_cache;       /* pages[0].slab_cache: NULL */
			size_t mapped_size;        /* bytes mapped (SEGMENT_SIZE unless huge) */
			uint64_t freed_at;         /* when its last page was freed (ms) */
			uint16_t no_head_offset;   /* pages[0].head_offset: 0 */
			uint16_t purging;          /* runs detached for a purge */
			uint16_t first_page;       /* first page after the header */
			uint8_t node;
			uint8_t no_kind;           /* pages[0].kind: PAGE_NONE */
			size_t resident_end;       /* huge: pages below may be resident */
			unsigned int used_pages;   /* pages in runs in use */
			uint8_t kind;              /* enum segment_kind */
			bool empty;                /* on the empty list, runs off the free lists */
			uint8_t huge_list;         /* huge: enum huge_list (huge_cache.c) */
			uint16_t huge_head;        /* huge, in use: its block's first page */
		};
		struct slab pages[SEGMENT_PAGES];
	};
	/* One word per page, 0 unless the page is in a slab: the slab's
	 * cache and order (core/object.h: page_info), so that kfree() and
	 * free() need one load from a dense table, not a descriptor's line
	 * (the descriptors of 1,000 pages fill an L1 cache; their words,
	 * 64 lines).  allocate_slab() writes the words of every page of a
	 * slab before it publishes the slab; the page allocator clears them
	 * when the run is freed. */
	uint32_t page_info[SEGMENT_PAGES];
};

_Static_assert(__builtin_offsetof(struct segment, no_slab_cache) ==
	       __builtin_offsetof(struct slab, slab_cache) &&
	       __builtin_offsetof(struct segment, no_head_offset) ==
	       __builtin_offsetof(struct slab, head_offset) &&
	       __builtin_offsetof(struct segment, no_kind) == __builtin_offsetof(struct slab, kind),
	       "the segment header covers a field that a pointer lookup reads");

/* --------------------------------------------------- page allocators */

struct uslab_page_allocator;

/* The methods of a page allocator; a derived one wraps a base's. */
struct page_allocator_ops {
	/* A naturally aligned run of 2^order pages, head descriptor
	 * returned with kind set to 'kind'; NULL when out of memory. */
	struct slab *(*alloc_pages)(struct uslab_page_allocator *pa, unsigned int order,
				    int node, gfp_t gfp, enum page_kind kind);
	/* A mapping of its own for 'bytes' (> the largest run), data start
	 * aligned to 'align'; its descriptor has kind PAGE_HUGE. */
	struct slab *(*alloc_huge)(struct uslab_page_allocator *pa, size_t bytes,
				   size_t align, int node, gfp_t gfp);
	/* Gives back a run or huge mapping (any kind). */
	void (*free_pages)(struct uslab_page_allocator *pa, struct slab *head);
	/* Optional: a PAGE_HUGE block made 'bytes' long in place, within the
	 * room of its mapping, the grown part zeroed on __GFP_ZERO; false if
	 * it has not the room. */
	bool (*resize_huge)(struct uslab_page_allocator *pa, struct slab *head, size_t bytes,
			    gfp_t gfp);
	void (*destroy)(struct uslab_page_allocator *pa);
};

struct uslab_page_allocator {
	const struct page_allocator_ops *ops;
	struct uslab_page_allocator *base;  /* what a derived allocator wraps */
	const char *name;
};

/* ------------------------------------------------------------- caches */

/* Every object placement of a cache follows from these (cache_layout.c). */
struct kmem_cache_order_objects {
	unsigned int order;
	unsigned int objects;
};

/*
 * struct sheaf - an array of free objects (the unified personality's
 * queue, the kernel's sheaf): alloc pops objects[--size], free pushes
 * objects[size++].  A thread owns its main and spare sheaves; others sit
 * in a node's barn, under the barn lock.
 */
struct sheaf {
	unsigned int size;            /* objects held */
	unsigned int capacity;        /* room for; 0 only in empty_sheaf */
	/* In a barn (under barn.lock), or a pool's free list.  It sits
	 * just below objects[]: objects[-1] and objects[-2] are readable,
	 * never objects, and never written by the fast paths (a load of a
	 * word just partly stored would stall). */
	struct list_head barn_list;
	void *objects[];
};

/* A node's store of whole sheaves, exchanged under one lock. */
struct barn {
	spinlock_t lock;
	struct list_head full;      /* sheaves at capacity */
	struct list_head empty;     /* sheaves with no object */
	unsigned int nr_full, nr_empty;
};

#define MAX_BARN_SHEAVES 10

/*
 * struct kmem_cache_node - per NUMA node state of a cache.
 */
struct kmem_cache_node {
	spinlock_t list_lock;       /* guards partial, nr_partial, on_partial */
	unsigned long nr_partial;   /* slabs on partial (READ_ONCE outside) */
	struct list_head partial;   /* slabs with free objects, not frozen */
	unsigned long nr_slabs;     /* all slabs of the node (atomic) */
	unsigned long total_objects;/* objects in those slabs (atomic) */
	unsigned long nr_pages;     /* pages of those slabs (atomic) */
	unsigned long rcu_slabs;    /* SLAB_TYPESAFE_BY_RCU: discarded slabs */
	unsigned long rcu_pages;    /*   waiting for a grace period (atomic) */
	struct list_head full;      /* debug caches: full slabs, for validation */
	struct barn barn;           /* unified caches */
} __attribute__((aligned(CACHE_LINE_SIZE)));

/*
 * struct kmem_cache_cpu - a thread's state for one cache (the kernel's
 * per-cpu struct).  Only the owner thread touches it, except that a cache
 * being destroyed flushes it and reports read it, both under
 * thread_list_lock, while the owner cannot be using that cache.
 */
struct kmem_cache_cpu {
	/* slub: next object to hand out; owner only.  A CPU's entry that no
	 * slow path holds adds the fast paths' count (SLUB_HEAD_*, below). */
	void *freelist;
	union {
		struct {
			/* unified: the size of the main sheaf, whose own
			 * size field is stale while it is main
			 * (unified/unified.c: attach_main).  Here, a free
			 * finds it without waiting for a load of c->main. */
			unsigned int main_size;
			/* A unified CPU's entry: the fast paths' pops and
			 * pushes since the lock was last taken (always 0 in
			 * a thread's entries, which count in stat[], and in
			 * slub's, which count in freelist).  The commit of
			 * a pop or a push is one store of this word: size
			 * and count move together. */
			uint32_t fast_ops;
		};
		uint64_t fast_word;
	};
	struct slab *slab;     /* slub: the cpu slab, frozen; written WRITE_ONCE */
	union {
		struct sheaf *main;  /* unified: the sheaf alloc and free use */
		/* slub: the head of freelist before the last free pushed one
		 * on it, or not an object (NULL, empty_sheaf); allocated
		 * since, perhaps (slub/slub_fastpath.h: cpu_freelist_recent). */
		void *second;
	};
	/* the token of the thread whose slow path holds a CPU's entry (cpu
	 * mode, core/percpu.c), 0 when none does; the fast paths leave a
	 * held entry alone.  Always 0 in a thread's entries. */
	uint32_t lock;
	union {
		/* unified, a CPU's entry: main_size when the lock was last
		 * let go */
		uint32_t fold_size;
		/* slub: log2 of the cpu slab's bytes: a hardened
		 * freelist's next pointer must share the bits above with
		 * the object it was read from (0: no cpu slab). */
		uint32_t slab_shift;
	};
	/* Set once the entry is used, NULL again when the cache goes.  In
	 * the first line: kfree() and free() find the entry from a page's
	 * info word and take the cache from here (cache/fastpath.h:
	 * slab_free_page). */
	struct kmem_cache *cache;
	/* ALLOC_FASTPATH and FREE_FASTPATH come first: same line as above. */
	uint64_t stat[USLAB_NR_STATS];
	struct slab *partial;  /* slub: cpu partial list of frozen slabs */
	struct sheaf *spare;   /* unified: the second sheaf */
	unsigned long nr_partial;   /* length of partial, for reports */
	unsigned long refills;      /* unified: refills from slabs; the batch grows with them */
	unsigned long pad[64 - 10 - USLAB_NR_STATS];  /* 512 bytes: a shift */
} __attribute__((aligned(16)));

_Static_assert(sizeof(struct kmem_cache_cpu) == 512, "kmem_cache_cpu must stay 512 bytes");

/*
 * A CPU's entry counts its fast paths in fast_ops, not in stat[]: each
 * pop takes one from main_size, each push adds one, both add one to
 * fast_ops, so from the count and the change of main_size since the
 * last fold follow the pops and the pushes.  The holder of the lock folds
 * them into stat[ALLOC_FASTPATH] and stat[FREE_FASTPATH]; readers add
 * what is not folded yet (reading fast_word in one load).  The change is
 * from base, the entry's fold_size (main_size is the sheaf's real size).
 */

static inline void cpu_entry_unfolded(uint32_t fast_ops, uint32_t main_size, uint32_t base,
				      uint64_t *allocs, uint64_t *frees)
{
	/* The fast paths alone keep |d| <= fast_ops < 2^31. */
	int64_t d = (int64_t)main_size - (int64_t)base;
	int64_t a = ((int64_t)fast_ops - d) / 2, f = ((int64_t)fast_ops + d) / 2;

	/* No count: nothing unfolded (a holder changes the size after its
	 * fold). */
	if (!fast_ops)
		a = f = 0;
	/* A racy reader's torn snapshot stays sane. */
	*allocs = a > 0 ? (uint64_t)a : 0;
	*frees = f > 0 ? (uint64_t)f : 0;
}

/*
 * A slub CPU entry's freelist word while no slow path holds the entry: the
 * head's address in bits 0-46 (user addresses lie below 2^47, as
 * virt_to_slab's map), the fast paths' pushes since the last fold in bits
 * 47-54, then a guard bit that a push carrying out of them would set, and
 * their pops in bits 56-63.  A pop or a push commits with one store of
 * this word, head and count together (slub/slub_rseq.h); one that would
 * carry a count out goes to the slow path.  The lock's taker folds the
 * counts into stat[] and leaves the bare pointer: what the slow paths and
 * every thread's entries see, a word with no count being a pointer.
 */
#define SLUB_HEAD_PTR   ((1ULL << 47) - 1)
#define SLUB_HEAD_PUSH  (1ULL << 47)
#define SLUB_HEAD_GUARD 55
#define SLUB_HEAD_POP   (1ULL << 56)

static inline void slub_head_unfolded(uint64_t word, uint64_t *allocs, uint64_t *frees)
{
	*allocs = word >> 56;
	*frees = (word >> 47) & 0xff;
}

_Static_assert(__builtin_offsetof(struct kmem_cache_cpu, stat) + 2 * 8 <= CACHE_LINE_SIZE,
	       "fast path fields must share the first line");

/*
 * struct kmem_cache - one object cache.  The line the fast paths read
 * changes only with the cache's layout (the order tunable, debug flags
 * set on an empty cache).
 *
 * That line is the last before node[], at offset 0x2c0, not the first.
 * The kmalloc descriptors are made back to back at start, 1 KiB of
 * metadata apart: at offset 0 their lines shared address bits 0-11 with
 * the size field of sheaves that the unified fast paths store to, and the
 * next load of the descriptor waited behind that store (4K aliasing;
 * malloc/free of 24-32 bytes: 4.3 ns a pair, 3.6 ns with the line here).
 * At 0x2c0 it meets no field of a thread's entry that a fast path writes
 * (the first 0x30 bytes of 512).  Sheaves land where the metadata
 * allocator puts them, so one can still meet some descriptor's line:
 * this placement is measured, not guaranteed.
 */
struct kmem_cache {
	unsigned int inuse;         /* end of the object and an outside free pointer */
	unsigned int align;
	void (*ctor)(void *);
	struct kmem_cache_order_objects oo;  /* preferred slab order */
	struct kmem_cache_order_objects min; /* fallback: the smallest order */
	unsigned long min_partial;  /* empty slabs kept per node */
	unsigned int cpu_partial;   /* objects a thread may hold in cpu partials */
	unsigned int cpu_partial_slabs; /* the same in slabs */
	unsigned int nr_nodes;      /* entries in node[] */
	unsigned int random_seq_len;   /* entries of random_seq */
	unsigned int *random_seq;   /* SLAB_RANDOM_FREELIST: shuffled indexes */
	const struct personality *ops; /* how objects move: slub or unified */
	unsigned int queue_limit;   /* unified: capacity of new sheaves */
	unsigned int batchcount;    /* unified: objects per refill / flush */
	unsigned int barn_full_max; /* unified: full sheaves a barn keeps */
	bool cmpxchg_double;        /* slab_update_freelist: CAS or slab lock */
	bool dead;                  /* destroyed with objects left; kept alive */
	bool name_static;           /* name is not ours to free */
	bool use_freeptr_offset;    /* kmem_cache_args: freeptr_offset is set */

	/* Registry; all under slab_mutex. */
	const char *name;
	int refcount;               /* 1 + aliases merged into it */
	struct list_head list;      /* slab_caches */
	struct list_head aliases;   /* struct kmem_cache_alias */

	/* Where new slabs come from (NULL: the global one). */
	struct uslab_page_allocator *page_alloc;

	/* Counters of exited threads and threadless paths (atomic adds). */
	uint64_t stat_total[USLAB_NR_STATS];
	/* Sums at the last uslab_cache_stat_clear(): reported = sum - base. */
	uint64_t stat_base[USLAB_NR_STATS];
	/* kmem_cache_args: where a SLAB_TYPESAFE_BY_RCU cache's free
	 * pointer may go inside the object. */
	unsigned int freeptr_offset;
	bool oom_warned;            /* its allocation-failure warning was printed */
	/* A test harness's say over each allocation (SLAB_FAILSLAB caches;
	 * uslab_cache_set_should_fail), or NULL. */
	struct cache_fault *fault;

	/* The fast paths' line. */
	unsigned int cpu_index __attribute__((aligned(CACHE_LINE_SIZE)));
				    /* index into each thread's cpu array */
	unsigned int size;          /* stride: object + metadata, aligned */
	unsigned int offset;        /* free pointer offset in an object slot */
	slab_flags_t flags;
	unsigned int object_size;   /* the size asked for (grows with aliases) */
	unsigned int red_left_pad;  /* debug: bytes of red zone before an object */
	uint64_t reciprocal_size;   /* ceil(2^42 / size): offset -> index, exact */
	uintptr_t slot_mask;        /* size - 1 when slots are size-aligned, else 0 */
	uintptr_t fp_key;           /* hardened freelist: per-cache random key */
	uintptr_t fp_mix;           /* hardened freelist: ~0 mixes in the address */
	/* UINT64_MAX / size + 1: an offset below 2^32 is a multiple of size
	 * iff offset * start_magic < start_magic (mod 2^64; Lemire et al.,
	 * "Faster remainder by direct computation", 2019): object_start(). */
	uint64_t start_magic;

	struct kmem_cache_node node[] __attribute__((aligned(CACHE_LINE_SIZE)));
};

_Static_assert(__builtin_offsetof(struct kmem_cache, node) -
	       __builtin_offsetof(struct kmem_cache, cpu_index) == CACHE_LINE_SIZE,
	       "the fast paths' line is the last before node[]");

struct cache_fault {
	bool (*should_fail)(struct kmem_cache *s, gfp_t gfp, void *ctx);
	void *ctx;
};

/* A name under which kmem_cache_create() returned an existing cache. */
struct kmem_cache_alias {
	struct list_head list;
	const char *name;
};

/* ------------------------------------------------------------ threads */

enum thread_state {
	THREAD_NEW = 0,  /* no cpu array yet */
	THREAD_LIVE,     /* registered: flushed by its exit destructor */
	THREAD_DEAD,     /* after the destructor: threadless paths only */
};

/*
 * A thread's entries never move once handed out: a slow path may keep its
 * entry across a call out (a constructor, reclaim) that makes the thread
 * use other caches.  The first CPU_FAST_ENTRIES cache indexes have their
 * entries in one block per thread, reserved whole at registration and
 * made valid a page (CPU_ENTRIES_STEP entries) at a time, so the fast
 * paths index it as an array; the indexes beyond (programs with more than
 * a thousand caches) have pages of entries through a directory, reached
 * by the slow paths only.
 */
#define CPU_ENTRIES_STEP (PAGE_SIZE / sizeof(struct kmem_cache_cpu))
#define CPU_FAST_ENTRIES 1024U
#define PERCPU_BLOCK_SHIFT 19  /* log2 of CPU_FAST_ENTRIES entries' bytes */
#define CPU_DIR_SLOTS    ((MAX_CACHES - CPU_FAST_ENTRIES) / CPU_ENTRIES_STEP)

/*
 * struct thread_reg - a registered thread, as other threads see it: in
 * metadata, not in TLS, so that a thread that dies without its exit
 * destructor (registered in the last round of key destructors) leaves a
 * record that can still be flushed, never a pointer into reused TLS.
 * Written by the owner only, under thread_list_lock; read by others under
 * it, by the owner without it.
 */
struct thread_reg {
	struct list_head list;            /* thread_list */
	struct kmem_cache_cpu *cpu_slab;  /* the block: CPU_FAST_ENTRIES entries */
	unsigned int nr_cpu_slab;         /* entries of the block made valid */
	unsigned int nr_dir_pages;        /* slots of cpu_dir below this may be set */
	/* Pages of entries for indexes CPU_FAST_ENTRIES + k * CPU_ENTRIES_STEP
	 * and up, or NULL; the directory itself only once one is needed. */
	struct kmem_cache_cpu **cpu_dir;
	pid_t tid;                        /* to tell a thread that is gone */
	/* A CPU's entries (cpu mode, core/percpu.c), not a thread's: never
	 * reaped, forgotten or flushed as a thread's; cpu is its number. */
	bool is_cpu;
	unsigned int cpu;
};

/*
 * struct uslab_thread - per-thread state, in TLS: what the fast paths
 * read (a copy of the registration's block and count), and the state of
 * the thread's slow paths.  Only the owner touches it.
 */
struct uslab_thread {
	struct kmem_cache_cpu *cpu_slab;  /* = reg->cpu_slab */
	unsigned int nr_cpu_slab;         /* = reg->nr_cpu_slab; 0: no fast path */
	uint8_t state;                    /* enum thread_state */
	uint8_t in_thread_list_lock;      /* holding it: no new entries */
	uint8_t in_init;                  /* running the library's init */
	struct thread_reg *reg;           /* NULL until registered, and after exit */
	unsigned long reclaim_epoch;      /* last reclaim this thread drained for */
};

/* Entry idx of a registration, or NULL (thread_list_lock held, or the
 * owner's own). */
static inline struct kmem_cache_cpu *thread_cpu_entry(const struct thread_reg *r, unsigned int idx)
{
	struct kmem_cache_cpu *page;

	if (idx < CPU_FAST_ENTRIES)
		return idx < r->nr_cpu_slab ? &r->cpu_slab[idx] : NULL;
	idx -= CPU_FAST_ENTRIES;
	if (!r->cpu_dir || idx / CPU_ENTRIES_STEP >= r->nr_dir_pages)
		return NULL;
	page = r->cpu_dir[idx / CPU_ENTRIES_STEP];
	return page ? page + idx % CPU_ENTRIES_STEP : NULL;
}

/* The first entry of r at index *i or above (*i moved to it), or NULL. */
static inline struct kmem_cache_cpu *thread_next_entry(const struct thread_reg *r, unsigned int *i)
{
	for (;; (*i)++) {
		struct kmem_cache_cpu *c;

		if (*i < CPU_FAST_ENTRIES) {
			if (*i < r->nr_cpu_slab)
				return &r->cpu_slab[*i];
			*i = CPU_FAST_ENTRIES;
		}
		if (*i >= CPU_FAST_ENTRIES + r->nr_dir_pages * CPU_ENTRIES_STEP)
			return NULL;
		c = thread_cpu_entry(r, *i);
		if (c)
			return c;
	}
}

/* Every entry of a registration (i: an unsigned int to count with). */
#define for_each_thread_entry(r, c, i) \
	for ((i) = 0; ((c) = thread_next_entry((r), &(i))); (i)++)

#endif
