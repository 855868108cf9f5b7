/* linux/bug.h (test harness): WARN_ON prints where and counts; the
 * harness fails a module that warned. */
#ifndef KMOD_SHIM_BUG_H
#define KMOD_SHIM_BUG_H

#include <stdio.h>

extern int kmod_warnings;
#define WARN_ON(cond)                                                           \
	({                                                                      \
		int __c = !!(cond);                                             \
		if (__c) {                                                      \
			printf("WARNING: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			kmod_warnings++;                                        \
		}                                                               \
		__c;                                                            \
	})

#endif
