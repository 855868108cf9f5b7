/* linux/printk.h (test harness): pr_* print "<module>: <text>" to stdout. */
#ifndef KMOD_SHIM_PRINTK_H
#define KMOD_SHIM_PRINTK_H

#include <stdio.h>

#ifndef pr_fmt
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#endif
#define pr_info(fmt, ...) printf(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...) printf(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printf(pr_fmt(fmt), ##__VA_ARGS__)

#endif
