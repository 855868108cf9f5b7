/*
 * kmalloc_helpers.c - the helpers today's kernel builds on the kmalloc
 * family (kvmalloc_array, kvcalloc, kvrealloc, kmemdup_array,
 * kstrdup_const, kfree_const, kfree_sensitive), and the two questions a
 * pointer can be asked (kmem_valid_obj, kmem_dump_obj).
 *
 * There is no vmalloc area in user space: the kv* calls are the kmalloc
 * ones, whose large sizes come from the page allocator already.  A size
 * that overflows fails, as the kernel's size_mul() saturates.
 *
 * "Read-only data" (kstrdup_const) is what the kernel's is: a string in a
 * segment of the main program that is not writable (its string
 * literals), which lives as long as the program and is never copied.
 *
 * kmem_dump_obj reads a slab's objects and descriptors without a lock:
 * what it prints is a snapshot of a pointer the caller owns or is
 * debugging, as the kernel's is.
 */
#include <link.h>
#include <string.h>

#include "base/report.h"
#include "base/start.h"
#include "cache/cache.h"
#include "core/object.h"
#include "debug/debug.h"
#include "kmalloc/kmalloc.h"
#include "page/page_alloc.h"
#include "page/segment.h"

USLAB_ENTRY void *kvmalloc_node(size_t size, gfp_t flags, int node)
{
	return kmalloc_node(size, flags, node);
}

USLAB_ENTRY void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags);
}

USLAB_ENTRY void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	return kcalloc(n, size, flags);
}

USLAB_ENTRY void *kvrealloc(const void *p, size_t size, gfp_t flags)
{
	return krealloc(p, size, flags);
}

USLAB_ENTRY void *kmemdup_array(const void *src, size_t count, size_t element_size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(count, element_size, &bytes))
		return NULL;
	return kmemdup(src, bytes, gfp);
}

struct rodata_query {
	uintptr_t addr;
	bool found;
};

/* The main program's segments only (the first object listed): a
 * library's may be unloaded (dlclose), as the kernel's is_kernel_rodata
 * covers the kernel and not its modules. */
static int rodata_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct rodata_query *q = arg;

	(void)size;
	if (info->dlpi_name && info->dlpi_name[0])
		return 1;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && q->addr - start < ph->p_memsz) {
			q->found = !(ph->p_flags & PF_W);
			return 1;
		}
	}
	return 0;
}

/* Is p in a loaded object's read-only segment? */
static bool is_rodata(const void *p)
{
	struct rodata_query q = { .addr = (uintptr_t)p, .found = false };

	if (!p || segment_is_mapped(p))
		return false;
	dl_iterate_phdr(rodata_segment, &q);
	return q.found;
}

USLAB_ENTRY const char *kstrdup_const(const char *s, gfp_t gfp)
{
	if (is_rodata(s))
		return s;
	return kstrdup(s, gfp);
}

USLAB_ENTRY void kfree_const(const void *p)
{
	if (!is_rodata(p))
		kfree(p);
}

/* The whole of the block (what ksize says) is wiped with a store the
 * compiler may not drop, then freed; only the start of a block is wiped
 * (kfree reports any other pointer), and a slub object's free-pointer
 * word is left to the free, which overwrites it: were the object free
 * already (a double free), that word is its freelist's link. */
USLAB_ENTRY void kfree_sensitive(const void *p)
{
	struct slab *slab = ZERO_OR_NULL_PTR(p) ? NULL : virt_to_slab_checked(p);
	struct kmem_cache *s = slab ? READ_ONCE(slab->slab_cache) : NULL;
	char *c = (char *)p;

	if (s && object_start(s, slab, p)) {
		size_t ks = ksize(p), fp = s->offset;

		if (!(s->flags & SLAB_UNIFIED) && fp + sizeof(void *) <= ks) {
			explicit_bzero(c, fp);
			explicit_bzero(c + fp + sizeof(void *), ks - fp - sizeof(void *));
		} else {
			explicit_bzero(c, ks);
		}
	} else if (slab && !s && (slab->kind == PAGE_LARGE || slab->kind == PAGE_HUGE) &&
		   p == slab_address(slab)) {
		explicit_bzero(c, ksize(p));
	}
	kfree(p);
}

USLAB_API bool kmem_valid_obj(void *p)
{
	struct slab *slab = virt_to_slab_checked(p);

	return slab && READ_ONCE(slab->slab_cache) != NULL;
}

/* An object's state where the cache keeps a red zone: its left red
 * zone's last byte says allocated or free; elsewhere uslab cannot tell
 * without walking freelists that other threads change. */
static const char *object_state(struct kmem_cache *s, const uint8_t *object)
{
	uint8_t red;

	if (!(s->flags & SLAB_RED_ZONE) || !s->red_left_pad)
		return "";
	kasan_copy(&red, object - 1, 1);
	if (red == SLUB_RED_ACTIVE)
		return ", allocated";
	if (red == SLUB_RED_INACTIVE)
		return ", free";
	return ", red zone overwritten";
}

/* True when p is in a slab (the kernel's answer since 6.5); what uslab
 * knows of it is reported either way. */
USLAB_API bool kmem_dump_obj(void *p)
{
	struct slab *slab = virt_to_slab_checked(p);
	struct kmem_cache *s = NULL;
	struct report_buf r;

	report_init(&r);
	if (!slab) {
		report_add(&r, segment_in_huge_tail(p) ?
			   "uslab: kmem_dump_obj(%p): inside a large kmalloc block\n" :
			   "uslab: kmem_dump_obj(%p): not uslab's memory\n", p);
	} else if ((s = READ_ONCE(slab->slab_cache))) {
		char *start = slab_address(slab);
		unsigned int objects = slab_objects(slab);
		unsigned int idx = (uintptr_t)p - (uintptr_t)start < s->red_left_pad ?
				   0 : obj_to_index(s, slab, p);

		if (idx >= objects) {
			report_add(&r, "uslab: kmem_dump_obj(%p): slab %s, in the slab's tail past its %u objects\n",
				   p, s->name, objects);
		} else {
			char *object = slab_object(s, start, idx);

			report_add(&r, "uslab: kmem_dump_obj(%p): slab %s start %p pointer offset %td size %u%s\n",
				   p, s->name, (void *)object, (char *)p - object, s->object_size,
				   object_state(s, (uint8_t *)object));
			print_tracking(&r, s, object);
		}
	} else if ((slab->kind == PAGE_LARGE || slab->kind == PAGE_HUGE)) {
		char *start = slab_address(slab);
		size_t size = slab->kind == PAGE_HUGE ? huge_usable_size(slab) : slab_bytes(slab);

		report_add(&r, "uslab: kmem_dump_obj(%p): large kmalloc block start %p pointer offset %td size %zu\n",
			   p, (void *)start, (char *)p - start, size);
	} else {
		report_add(&r, "uslab: kmem_dump_obj(%p): uslab's memory in no slab or block (free pages)\n",
			   p);
	}
	report_emit(&r);
	return s != NULL;
}

/* The kernel's names (base/kernel_names.h). */
USLAB_KERNEL_ALIAS(kvmalloc_node);
USLAB_KERNEL_ALIAS(kvmalloc_array);
USLAB_KERNEL_ALIAS(kvcalloc);
USLAB_KERNEL_ALIAS(kvrealloc);
USLAB_KERNEL_ALIAS(kmemdup_array);
USLAB_KERNEL_ALIAS(kstrdup_const);
USLAB_KERNEL_ALIAS(kfree_const);
USLAB_KERNEL_ALIAS(kfree_sensitive);
USLAB_KERNEL_ALIAS(kmem_valid_obj);
USLAB_KERNEL_ALIAS(kmem_dump_obj);
