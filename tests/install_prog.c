/* A program built against the installed uslab through pkg-config. */
#include <stdio.h>
#include <string.h>
#include <uslab.h>

struct point {
	double x, y;
};

int main(void)
{
	struct kmem_cache *s = KMEM_CACHE(point, 0);
	struct point *p = kmem_cache_alloc(s, GFP_KERNEL);
	char *msg = kstrdup("installed uslab works", GFP_KERNEL);

	if (!s || !p || !msg)
		return 1;
	p->x = 1;
	p->y = 2;
	printf("%s (%s), point %.0f,%.0f\n", msg, uslab_version(), p->x, p->y);
	kmem_cache_free(s, p);
	kfree(msg);
	kmem_cache_destroy(s);
	return strcmp(kmem_cache_name(uslab_kmalloc_cache(64)), "kmalloc-64") != 0;
}
