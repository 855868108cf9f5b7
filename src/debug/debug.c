/*
 * debug.c - the path of debug caches: one object at a time under
 * node->list_lock, with red zones, poison, owner tracks, consistency
 * checks, tracing, failslab, validation, and the sanitizer hooks.
 *
 * Invariants: a debug cache has no cpu slab and no cpu partial slabs;
 * its slabs are on node->partial (free objects) or node->full, or
 * isolated (frozen, on no list, leaked on purpose after corruption).  All
 * changes to its slabs and objects' metadata happen under list_lock.
 * Every problem found is reported (SLUB's form, debug_report.c), fixed
 * where it can be, and the program goes on.
 */
#include <execinfo.h>
#include <sched.h>
#include <string.h>

#include "base/os.h"
#include "base/start.h"
#include "core/object.h"
#include "debug/debug.h"


/* ------------------------------------------------------------- helpers */

static uint8_t *memchr_inv(uint8_t *start, uint8_t value, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		if (start[i] != value)
			return start + i;
	return NULL;
}

/* Free objects of a slab, one bit each. */
#define FREE_MAP_WORDS (MAX_OBJS_PER_SLAB / 64 + 1)

static bool map_test(const uint64_t *map, unsigned int i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void map_set(uint64_t *map, unsigned int i)
{
	map[i / 64] |= 1ULL << (i % 64);
}

static bool slub_debug_orig_size(const struct kmem_cache *s)
{
	return (s->flags & SLAB_STORE_USER) && (s->flags & SLAB_KMALLOC);
}

static unsigned long *orig_size_slot(struct kmem_cache *s, void *object)
{
	return (unsigned long *)((char *)object + get_info_end(s) + 2 * sizeof(struct track));
}

static size_t get_orig_size(struct kmem_cache *s, void *object)
{
	size_t n;

	if (!slub_debug_orig_size(s))
		return s->object_size;
	n = *orig_size_slot(s, object);
	return n && n <= s->object_size ? n : s->object_size;
}

static uint8_t *slot_of(struct kmem_cache *s, void *object)
{
	return (uint8_t *)object - s->red_left_pad;
}

static union slab_counters read_counters(struct slab *slab)
{
	union slab_counters cnt = { .counters = READ_ONCE(slab->counters) };

	return cnt;
}

static void write_slab(struct slab *slab, void *freelist, union slab_counters cnt)
{
	WRITE_ONCE(slab->freelist, freelist);
	WRITE_ONCE(slab->counters, cnt.counters);
}

/* Sanitizers: uslab itself may touch the whole slot now... */
static void open_slot(struct kmem_cache *s, void *object)
{
	kasan_unpoison(slot_of(s, object), s->size);
	tool_access(slot_of(s, object), s->size);
}

/* ...and afterwards only the object of an allocated slot is addressable. */
static void seal_slot(struct kmem_cache *s, void *object, bool allocated, size_t orig_size)
{
	uint8_t *slot = slot_of(s, object);

	if (!allocated && (s->flags & SLAB_TYPESAFE_BY_RCU)) {
		/* Type-safe: a freed object may still be read. */
		kasan_poison(slot, s->red_left_pad);
		return;
	}
	kasan_poison(slot, s->size);
	tool_noaccess(slot, s->size);
	if (allocated) {
		kasan_unpoison(object, orig_size);
		tool_alloc(object, orig_size, 0);
		tool_access(object, orig_size);
	}
}

/* ------------------------------------------------------ object checks */

static bool check_valid_pointer(struct kmem_cache *s, struct slab *slab, void *p)
{
	union slab_counters cnt = read_counters(slab);
	uint8_t *base = slab_address(slab);
	size_t off;

	if (!p)
		return true;
	if ((uint8_t *)p < base + s->red_left_pad)
		return false;
	off = (size_t)((uint8_t *)p - base) - s->red_left_pad;
	return off % s->size == 0 && off / s->size < cnt.objects;
}

/* A bad object: the report, and the fix applied (NULL: none). */
static void object_err(struct kmem_cache *s, struct slab *slab, uint8_t *object, const char *reason,
		       const char *fix)
{
	struct report_buf r;

	report_init(&r);
	slab_bug(&r, s, "%s", reason);
	print_trailer(&r, s, slab, object);
	if (fix)
		slab_fix(&r, s, "%s", fix);
	report_emit(&r);
}

static void slab_err(struct kmem_cache *s, struct slab *slab, const char *fix, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));

static void slab_err(struct kmem_cache *s, struct slab *slab, const char *fix, const char *fmt, ...)
{
	struct report_buf r;
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	report_init(&r);
	slab_bug(&r, s, "%s", what);
	print_slab_info(&r, slab);
	report_add(&r, "\n");
	if (fix)
		slab_fix(&r, s, "%s", fix);
	report_emit(&r);
}

/* Checks that bytes hold 'value'; reports the run that does not, restores
 * it, and returns false. */
static bool check_bytes_and_report(struct kmem_cache *s, struct slab *slab, uint8_t *object,
				   const char *what, uint8_t *start, uint8_t value, size_t bytes)
{
	uint8_t *fault = memchr_inv(start, value, bytes), *end = start + bytes;
	struct report_buf r;

	if (!fault)
		return true;
	while (end > fault && end[-1] == value)
		end--;
	report_init(&r);
	slab_bug(&r, s, "%s overwritten", what);
	report_add(&r, "INFO: %p-%p @offset=%lu. First byte 0x%x instead of 0x%x\n",
		   (void *)fault, (void *)(end - 1),
		   (unsigned long)(fault - (uint8_t *)slab_address(slab)), fault[0], value);
	print_trailer(&r, s, slab, object);
	memset(fault, value, (size_t)(end - fault));
	slab_fix(&r, s, "Restoring %s %p-%p=0x%x", what, (void *)fault, (void *)(end - 1),
		 value);
	report_emit(&r);
	return false;
}

/* Bytes between the metadata and the end of the slot: POISON_INUSE. */
static bool check_pad_bytes(struct kmem_cache *s, struct slab *slab, uint8_t *p)
{
	unsigned int off = get_info_end(s);

	if (s->flags & SLAB_STORE_USER) {
		off += 2 * (unsigned int)sizeof(struct track);
		if (slub_debug_orig_size(s))
			off += sizeof(unsigned long);
	}
	if (s->size - s->red_left_pad == off)
		return true;
	return check_bytes_and_report(s, slab, p, "Object padding", p + off, POISON_INUSE,
				      s->size - s->red_left_pad - off);
}

static bool check_object(struct kmem_cache *s, struct slab *slab, void *object, uint8_t val)
{
	uint8_t *p = object, *endobject = p + s->object_size;
	bool ok = true;

	if (s->flags & SLAB_RED_ZONE) {
		ok &= check_bytes_and_report(s, slab, p, "Left Redzone", p - s->red_left_pad, val,
					     s->red_left_pad);
		ok &= check_bytes_and_report(s, slab, p, "Right Redzone", endobject, val,
					     s->inuse - s->object_size);
		if (slub_debug_orig_size(s) && val == SLUB_RED_ACTIVE) {
			size_t orig = get_orig_size(s, object);

			if (orig < s->object_size)
				ok &= check_bytes_and_report(s, slab, p, "kmalloc Redzone", p + orig,
							     val, s->object_size - orig);
		}
	} else if ((s->flags & SLAB_POISON) && s->object_size < s->inuse) {
		ok &= check_bytes_and_report(s, slab, p, "Alignment padding", endobject,
					     POISON_INUSE, s->inuse - s->object_size);
	}
	if (s->flags & SLAB_POISON) {
		if (val != SLUB_RED_ACTIVE && (s->flags & __OBJECT_POISON)) {
			ok &= check_bytes_and_report(s, slab, p, "Poison", p, POISON_FREE,
						     s->object_size - 1);
			ok &= check_bytes_and_report(s, slab, p, "End Poison", endobject - 1,
						     POISON_END, 1);
		}
		ok &= check_pad_bytes(s, slab, p);
	}
	if (val != SLUB_RED_ACTIVE && !check_valid_pointer(s, slab, get_freepointer(s, p))) {
		object_err(s, slab, p, "Freepointer corrupt", "Free pointer cleared");
		set_freepointer(s, p, NULL);
		ok = false;
	}
	return ok;
}

/* Red zones and poison of an object going to 'val' (active / inactive). */
static void init_object(struct kmem_cache *s, void *object, uint8_t val, size_t orig_size)
{
	uint8_t *p = object;

	if (s->flags & SLAB_RED_ZONE)
		memset(p - s->red_left_pad, val, s->red_left_pad);
	if ((s->flags & __OBJECT_POISON) && val == SLUB_RED_INACTIVE) {
		memset(p, POISON_FREE, s->object_size - 1);
		p[s->object_size - 1] = POISON_END;
	}
	if (s->flags & SLAB_RED_ZONE) {
		memset(p + s->object_size, val, s->inuse - s->object_size);
		/* The slack of a kmalloc object past the size asked for. */
		if (val == SLUB_RED_ACTIVE && orig_size < s->object_size && slub_debug_orig_size(s))
			memset(p + orig_size, val, s->object_size - orig_size);
	}
}

/*
 * Walks the freelist of a slab: finds 'search' (true if found), checks
 * every pointer, cuts a corrupt chain, and fixes a wrong inuse count.
 * With search NULL, marks the free objects in 'free_map' (if given).
 */
static bool on_freelist(struct kmem_cache *s, struct slab *slab, void *search, uint64_t *free_map)
{
	union slab_counters cnt = read_counters(slab);
	void *fp = READ_ONCE(slab->freelist), *object = NULL;
	unsigned int nr = 0, max_objects = cnt.objects;

	while (fp && nr <= max_objects) {
		if (fp == search)
			return true;
		if (!check_valid_pointer(s, slab, fp)) {
			if (object) {
				object_err(s, slab, object, "Freechain corrupt",
					   "Isolate corrupted freechain");
				set_freepointer(s, object, NULL);
			} else {
				slab_err(s, slab, "Freelist cleared", "Freepointer corrupt");
				cnt.inuse = cnt.objects;
				write_slab(slab, NULL, cnt);
				return false;
			}
			break;
		}
		if (free_map) {
			unsigned int idx = (unsigned int)(((uint8_t *)fp - (uint8_t *)slab_address(slab) -
							   s->red_left_pad) / s->size);

			if (map_test(free_map, idx)) {
				/* Seen before: the list loops. */
				slab_err(s, slab, "Freelist loop cut", "Freelist cycle at %p", fp);
				set_freepointer(s, object, NULL);
				break;
			}
			map_set(free_map, idx);
		}
		object = fp;
		fp = get_freepointer(s, object);
		nr++;
	}
	cnt = read_counters(slab);
	if (nr > max_objects) {
		slab_err(s, slab, "Freelist cut", "Freelist longer than its %u objects", max_objects);
		set_freepointer(s, object, NULL);
		nr = max_objects;
	}
	if (cnt.inuse != max_objects - nr) {
		slab_err(s, slab, "Object count adjusted",
			 "Wrong object count. Counter is %u but counted were %u", cnt.inuse,
			 max_objects - nr);
		cnt.inuse = max_objects - nr;
		write_slab(slab, READ_ONCE(slab->freelist), cnt);
	}
	return search == NULL;
}

/* ---------------------------------------------------------- new slabs */

static void setup_slab_debug(struct kmem_cache *s, struct slab *slab, void *start)
{
	if (s->flags & SLAB_POISON)
		memset(start, POISON_INUSE, slab_bytes(slab));
}

static void setup_object_debug(struct kmem_cache *s, void *object)
{
	if (s->flags & SLAB_STORE_USER)
		memset(get_track(s, object, TRACK_ALLOC), 0, 2 * sizeof(struct track));
	init_object(s, object, SLUB_RED_INACTIVE, s->object_size);
}

/* Handed to the core (slab_set_debug_hooks) when debug starts. */
const struct slab_debug_hooks debug_slab_hooks = {
	.setup_slab = setup_slab_debug,
	.setup_object = setup_object_debug,
};

/* --------------------------------------------------------- list moves */

static void remove_from_list(struct kmem_cache_node *n, struct slab *slab)
{
	if (slab->on_partial) {
		remove_partial(n, slab);
	} else if (slab->on_full) {
		list_del(&slab->slab_list);
		slab->on_full = 0;
	}
}

static void add_full(struct kmem_cache_node *n, struct slab *slab)
{
	list_add(&slab->slab_list, &n->full);
	slab->on_full = 1;
}

/* A slab whose metadata cannot be trusted: off every list, all objects
 * counted as used, frozen so that nobody takes it again. */
static void isolate_slab(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab)
{
	union slab_counters cnt = read_counters(slab);
	struct report_buf r;

	remove_from_list(n, slab);
	cnt.inuse = cnt.objects;
	cnt.frozen = 1;
	write_slab(slab, NULL, cnt);
	report_init(&r);
	slab_fix(&r, s, "Marking all objects used (slab %p isolated)", slab_address(slab));
	report_emit(&r);
}

/* ------------------------------------------------------------- trace */

static void trace(struct kmem_cache *s, struct slab *slab, void *object, const char *what)
{
	union slab_counters cnt = read_counters(slab);
	struct report_buf r;
	char sym[256];
	void *frames[12];
	int n;

	if (!(s->flags & SLAB_TRACE))
		return;
	report_init(&r);
	report_add(&r, "TRACE %s %s %p inuse=%u fp=%p\n", s->name, what, object, cnt.inuse,
		   READ_ONCE(slab->freelist));
	n = backtrace(frames, 12);
	for (int i = 2; i < n; i++) {
		format_address(sym, sizeof(sym), (uintptr_t)frames[i]);
		report_add(&r, "\t%s\n", sym);
	}
	report_emit(&r);
}

/* ------------------------------------------------------------- alloc */

/* The counters of a slab make sense. */
static bool check_slab(struct kmem_cache *s, struct slab *slab)
{
	union slab_counters cnt = read_counters(slab);
	unsigned int expected = (unsigned int)(slab_bytes(slab) / s->size);

	if (cnt.objects != expected) {
		slab_err(s, slab, NULL, "Wrong number of objects. Found %u but should be %u",
			 cnt.objects, expected);
		return false;
	}
	if (cnt.inuse >= cnt.objects) {
		/* A slab with a free object on its list cannot be all in use. */
		slab_err(s, slab, NULL, "inuse %u >= max %u with a free object", cnt.inuse,
			 cnt.objects);
		return false;
	}
	return true;
}

/* Checks the object at the head of the freelist before it is handed out;
 * *next is its successor.  False: the slab must be isolated. */
static bool alloc_checks(struct kmem_cache *s, struct slab *slab, void *object, void **next)
{
	if ((s->flags & SLAB_CONSISTENCY_CHECKS) && !check_slab(s, slab))
		return false;
	if (!object) {
		slab_err(s, slab, NULL, "Freelist empty on the partial list");
		return false;
	}
	if ((s->flags & SLAB_CONSISTENCY_CHECKS) && !check_valid_pointer(s, slab, object)) {
		slab_err(s, slab, NULL, "Freelist Pointer check fails: %p", object);
		return false;
	}
	open_slot(s, object);
	if ((s->flags & (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON)) &&
	    !check_object(s, slab, object, SLUB_RED_INACTIVE))
		return false;
	*next = get_freepointer(s, object);
	if (!check_valid_pointer(s, slab, *next)) {
		object_err(s, slab, object, "Freepointer corrupt", NULL);
		return false;
	}
	return true;
}

void *alloc_debug(struct kmem_cache *s, gfp_t gfpflags, int node, size_t orig_size,
		  uintptr_t caller)
{
	int searchnode = node == NUMA_NO_NODE ? os_current_node() : node;
	struct kmem_cache_node *n = get_node(s, searchnode);
	union slab_counters cnt;
	struct slab *slab;
	void *object, *next = NULL;

	spin_lock(&n->list_lock);
	tool_quiet_begin();
	for (;;) {
		if (list_empty(&n->partial)) {
			tool_quiet_end();
			spin_unlock(&n->list_lock);
			slab = new_slab(s, gfpflags, node, NULL);
			if (!slab) {
				slab_out_of_memory(s, gfpflags, node);
				return NULL;
			}
			n = get_node(s, slab_nid(slab));
			spin_lock(&n->list_lock);
			tool_quiet_begin();
			add_partial(n, slab, false);
		} else {
			slab = list_first_entry(&n->partial, struct slab, slab_list);
		}
		object = READ_ONCE(slab->freelist);
		if (alloc_checks(s, slab, object, &next))
			break;
		isolate_slab(s, n, slab);
	}
	cnt = read_counters(slab);
	cnt.inuse++;
	write_slab(slab, next, cnt);
	if (!next) {
		remove_from_list(n, slab);
		add_full(n, slab);
	}
	if (slub_debug_orig_size(s))
		*orig_size_slot(s, object) = orig_size;
	/* A free pointer left inside the object would look like a reference
	 * to its neighbour (to memcheck's leak scan, to the curious). */
	if (s->offset < s->inuse)
		kasan_store_word((char *)object + s->offset, NULL);
	init_object(s, object, SLUB_RED_ACTIVE, orig_size);
	if (s->flags & SLAB_STORE_USER)
		set_track(s, object, TRACK_ALLOC, caller);
	trace(s, slab, object, "alloc");
	seal_slot(s, object, true, orig_size);
	stat(s, NULL, ALLOC_SLOWPATH);
	tool_quiet_end();
	spin_unlock(&n->list_lock);
	return object;
}

/* -------------------------------------------------------------- free */

/* The free pointer word of an object whose free was refused (damaged red
 * zone): it stays allocated, and a second free of it is a double free. An
 * odd value: never an object's address. */
#define REFUSED_FREE ((void *)0x5a5a5a5a5a5a5a5bUL)

static bool free_checks(struct kmem_cache *s, struct slab *slab, void *object)
{
	struct report_buf r;

	if (!check_valid_pointer(s, slab, object)) {
		slab_err(s, slab, "Object not freed", "Invalid object pointer %p", object);
		return false;
	}
	open_slot(s, object);
	if (kasan_load_word((char *)object + s->offset) == REFUSED_FREE) {
		report_init(&r);
		slab_bug(&r, s, "Object already free");
		print_trailer(&r, s, slab, object);
		slab_fix(&r, s, "Object %p, whose free was refused before, not freed", object);
		report_emit(&r);
		seal_slot(s, object, true, get_orig_size(s, object));
		return false;
	}
	if (on_freelist(s, slab, object, NULL) ||
	    ((s->flags & SLAB_RED_ZONE) && !(s->flags & SLAB_CONSISTENCY_CHECKS) &&
	     *((uint8_t *)object - 1) == SLUB_RED_INACTIVE)) {
		report_init(&r);
		slab_bug(&r, s, "Object already free");
		print_trailer(&r, s, slab, object);
		slab_fix(&r, s, "Object %p not freed again; freelist intact", object);
		report_emit(&r);
		seal_slot(s, object, false, 0);
		return false;
	}
	if ((s->flags & (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE)) &&
	    !check_object(s, slab, object, SLUB_RED_ACTIVE)) {
		report_init(&r);
		slab_fix(&r, s, "Object at %p not freed", object);
		report_emit(&r);
		/* The program has freed it: a second free is reported. */
		kasan_store_word((char *)object + s->offset, REFUSED_FREE);
		seal_slot(s, object, true, get_orig_size(s, object));
		return false;
	}
	return true;
}

void free_debug(struct kmem_cache *s, struct slab *slab, void *object, uintptr_t caller)
{
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	union slab_counters cnt;
	bool discard = false;
	void *prior;

	spin_lock(&n->list_lock);
	tool_quiet_begin();
	if (!free_checks(s, slab, object)) {
		tool_quiet_end();
		spin_unlock(&n->list_lock);
		return;
	}
	tool_free(object);
	tool_access(slot_of(s, object), s->size);
	if (s->flags & SLAB_STORE_USER)
		set_track(s, object, TRACK_FREE, caller);
	init_object(s, object, SLUB_RED_INACTIVE, s->object_size);
	prior = READ_ONCE(slab->freelist);
	set_freepointer(s, object, prior);
	cnt = read_counters(slab);
	cnt.inuse--;
	write_slab(slab, object, cnt);
	trace(s, slab, object, "free");
	seal_slot(s, object, false, 0);
	stat(s, NULL, FREE_SLOWPATH);
	if (!prior) {
		remove_from_list(n, slab);
		WRITE_ONCE(n->nr_partial, n->nr_partial + 1);
		list_add_tail(&slab->slab_list, &n->partial);
		slab->on_partial = 1;
	}
	if (!cnt.inuse && !keep_empty_slab(s, n, true)) {
		remove_from_list(n, slab);
		discard = true;
	}
	tool_quiet_end();
	spin_unlock(&n->list_lock);
	if (discard) {
		discard_slab(s, slab);
		stat(s, NULL, FREE_SLAB);
	}
}

/* ---------------------------------------------------------- validate */

static unsigned int validate_slab(struct kmem_cache *s, struct slab *slab)
{
	union slab_counters cnt = read_counters(slab);
	unsigned long before = debug_problems;
	uint8_t *base = slab_address(slab);
	uint64_t free_map[FREE_MAP_WORDS];
	unsigned int expected = (unsigned int)(slab_bytes(slab) / s->size);

	kasan_unpoison(base, slab_bytes(slab));
	tool_access(base, slab_bytes(slab));
	if (cnt.objects != expected && expected <= MAX_OBJS_PER_SLAB) {
		slab_err(s, slab, "Number of objects adjusted",
			 "Wrong number of objects. Found %u but should be %u", cnt.objects, expected);
		cnt.objects = expected;
		write_slab(slab, READ_ONCE(slab->freelist), cnt);
	}
	if (cnt.inuse > cnt.objects) {
		slab_err(s, slab, "Object count adjusted", "inuse %u > max %u", cnt.inuse,
			 cnt.objects);
		cnt.inuse = cnt.objects;
		write_slab(slab, READ_ONCE(slab->freelist), cnt);
	}
	memset(free_map, 0, sizeof(free_map));
	on_freelist(s, slab, NULL, free_map);
	for (unsigned int i = 0; i < cnt.objects; i++) {
		uint8_t *p = base + s->red_left_pad + (size_t)i * s->size;

		check_object(s, slab, p, map_test(free_map, i) ? SLUB_RED_INACTIVE : SLUB_RED_ACTIVE);
	}
	if (s->flags & SLAB_POISON) {
		size_t used = (size_t)cnt.objects * s->size;

		if (slab_bytes(slab) > used)
			check_bytes_and_report(s, slab, base + used, "Padding", base + used,
					       POISON_INUSE, slab_bytes(slab) - used);
	}
	for (unsigned int i = 0; i < cnt.objects; i++) {
		uint8_t *p = base + s->red_left_pad + (size_t)i * s->size;

		seal_slot(s, p, !map_test(free_map, i), map_test(free_map, i) ? 0 : get_orig_size(s, p));
	}
	return (unsigned int)(debug_problems - before);
}

USLAB_API int kmem_cache_validate(struct kmem_cache *s)
{
	unsigned int problems = 0;

	if (!s)
		return -1;
	if (!kmem_cache_debug(s)) {
		uslab_reportf("uslab: kmem_cache_validate(%s): not a debug cache (see USLAB_DEBUG)\n",
			      s->name);
		return -1;
	}
	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		struct kmem_cache_node *n = get_node(s, (int)i);
		struct slab *slab;

		spin_lock(&n->list_lock);
		tool_quiet_begin();
		list_for_each_entry(slab, &n->partial, slab_list)
			problems += validate_slab(s, slab);
		list_for_each_entry(slab, &n->full, slab_list)
			problems += validate_slab(s, slab);
		tool_quiet_end();
		spin_unlock(&n->list_lock);
	}
	return (int)problems;
}

USLAB_API long uslab_validate_all(void)
{
	struct kmem_cache *s;
	long problems = 0;

	uslab_ensure_init();
	slab_mutex_lock();
	list_for_each_entry(s, &slab_caches, list)
		if (kmem_cache_debug(s))
			problems += kmem_cache_validate(s);
	slab_mutex_unlock();
	return problems;
}

/* ------------------------------------------------------------- leaks */

void list_remaining_objects(struct kmem_cache *s, struct report_buf *r)
{
	unsigned int shown = 0, more = 0;

	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		struct kmem_cache_node *n = get_node(s, (int)i);
		struct list_head *lists[2] = { &n->partial, &n->full };

		spin_lock(&n->list_lock);
		tool_quiet_begin();
		for (int l = 0; l < 2; l++) {
			struct slab *slab;

			list_for_each_entry(slab, lists[l], slab_list) {
				union slab_counters cnt = read_counters(slab);
				uint8_t *base = slab_address(slab);
				uint64_t free_map[FREE_MAP_WORDS];

				kasan_unpoison(base, slab_bytes(slab));
				tool_access(base, slab_bytes(slab));
				memset(free_map, 0, sizeof(free_map));
				on_freelist(s, slab, NULL, free_map);
				for (unsigned int k = 0; k < cnt.objects; k++) {
					uint8_t *p = base + s->red_left_pad + (size_t)k * s->size;

					if (map_test(free_map, k))
						continue;
					if (shown++ >= 16) {
						more++;
						continue;
					}
					report_add(r, "INFO: Object %p @offset=%lu\n", (void *)p,
						   (unsigned long)(p - base));
					print_tracking(r, s, p);
				}
				for (unsigned int k = 0; k < cnt.objects; k++) {
					uint8_t *p = base + s->red_left_pad + (size_t)k * s->size;

					seal_slot(s, p, !map_test(free_map, k),
						  map_test(free_map, k) ? 0 : get_orig_size(s, p));
				}
			}
		}
		tool_quiet_end();
		spin_unlock(&n->list_lock);
	}
	if (more)
		report_add(r, "INFO: ... and %u more objects\n", more);
}

/* ------------------------------------------------------------ krealloc */

void debug_resize_object(struct kmem_cache *s, void *object, size_t new_size, bool zero)
{
	struct slab *slab = virt_to_slab(object);
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	size_t old_size;

	if (!slub_debug_orig_size(s))
		return;
	spin_lock(&n->list_lock);
	tool_quiet_begin();
	open_slot(s, object);
	old_size = get_orig_size(s, object);
	/* Growing into what was red zone: zeros if asked, as new memory. */
	if (zero && new_size > old_size)
		memset((uint8_t *)object + old_size, 0, new_size - old_size);
	if ((s->flags & SLAB_RED_ZONE) && new_size < s->object_size)
		memset((uint8_t *)object + new_size, SLUB_RED_ACTIVE, s->object_size - new_size);
	*orig_size_slot(s, object) = new_size;
	seal_slot(s, object, true, new_size);
	tool_quiet_end();
	spin_unlock(&n->list_lock);
}

size_t debug_object_size(struct kmem_cache *s, void *object)
{
	struct slab *slab = virt_to_slab(object);
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	size_t size;

	if (!slub_debug_orig_size(s))
		return s->object_size;
	spin_lock(&n->list_lock);
	tool_quiet_begin();
	open_slot(s, object);
	size = get_orig_size(s, object);
	seal_slot(s, object, true, size);
	tool_quiet_end();
	spin_unlock(&n->list_lock);
	return size;
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(kmem_cache_validate);
