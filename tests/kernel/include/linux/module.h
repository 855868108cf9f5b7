/*
 * linux/module.h (test harness) - what the kernel-style modules of
 * tests/kernel need of a module: module_init/module_exit register the
 * module with the harness (kmod_test.c), which loads and unloads it.
 * Not uslab's: uslab provides only the slab, gfp and mempool headers.
 */
#ifndef KMOD_SHIM_MODULE_H
#define KMOD_SHIM_MODULE_H

#include <linux/printk.h>

struct kmod {
	const char *name;
	int (*init)(void);
	void (*exit)(void);
	struct kmod *next;
};
void kmod_register(struct kmod *m);

#define __init
#define __exit
#define MODULE_LICENSE(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_AUTHOR(x)

#define module_init(fn)                                                         \
	static struct kmod __kmod_this = { .name = KBUILD_MODNAME, .init = fn };  \
	static void __attribute__((constructor)) __kmod_register(void)          \
	{                                                                       \
		kmod_register(&__kmod_this);                                    \
	}
#define module_exit(fn)                                                         \
	static void __attribute__((constructor(200))) __kmod_set_exit(void)     \
	{                                                                       \
		__kmod_this.exit = fn;                                          \
	}

#endif
