/*
 * uslab_rcu.h - uslab's RCU on liburcu: the flavour libraries.
 *
 * One small library per liburcu flavour, each handing uslab that
 * flavour's synchronize_rcu (uslab_rcu_set_flavour in <uslab.h>):
 *   libuslab-rcu        liburcu's default, "memb" (<urcu.h>, -lurcu-memb)
 *   libuslab-rcu-mb     <urcu/urcu-mb.h>
 *   libuslab-rcu-qsbr   <urcu/urcu-qsbr.h>
 *   libuslab-rcu-bp     <urcu/urcu-bp.h>
 * Link the one whose rcu_read_lock() the program's readers call, with
 * libuslab or libuslab-malloc, and include this header in one file at
 * least: it refers to uslab_rcu_init, so that the linker keeps the
 * library (--as-needed, or a static archive), whose constructor then
 * registers the flavour before main.  kfree_rcu, kvfree_rcu_barrier and
 * the rest are in <uslab.h>.
 */
#ifndef USLAB_RCU_H
#define USLAB_RCU_H

#include <uslab.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Registers this library's flavour: 0, or -1 (with a report) when the
 * process registered another one already. */
int uslab_rcu_init(void);

/* The reference that keeps the flavour library in the link. */
static int (*const uslab_rcu_link_ref)(void) __attribute__((used)) = uslab_rcu_init;

#ifdef __cplusplus
}
#endif
#endif /* USLAB_RCU_H */
