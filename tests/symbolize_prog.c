/* symbolize_prog - built without -rdynamic: owners and callers in reports
 * are still named from the program's own symbol table. */
#include <uslab.h>

static __attribute__((noinline)) void *make_conn(struct kmem_cache *s)
{
	return kmem_cache_alloc(s, GFP_KERNEL);
}

int main(void)
{
	struct kmem_cache *s = kmem_cache_create("conn", 48, 0, SLAB_STORE_USER, NULL);

	if (!s || !make_conn(s))
		return 1;
	kmem_cache_destroy(s);     /* one object left: reported with its owner */
	return 0;
}
