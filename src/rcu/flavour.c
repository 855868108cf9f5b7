/*
 * flavour.c - one liburcu flavour for uslab: compiled once per flavour
 * (CMakeLists.txt: libuslab-rcu, -mb, -qsbr, -bp), with USLAB_RCU_HEADER
 * the flavour's liburcu header, USLAB_RCU_NAME its name and
 * USLAB_RCU_SYNC its synchronize_rcu (urcu_memb_synchronize_rcu, ...) and
 * USLAB_RCU_ONGOING its read_ongoing,
 * which is all uslab needs: its worker only waits for grace periods
 * (core/rcu_defer.c), and any thread may do that; QSBR adds the offline
 * and online of a thread that waits for the worker (USLAB_RCU_QSBR).
 *
 * The library does not link libuslab: uslab_rcu_set_flavour comes from
 * whichever uslab library the program uses (libuslab or the malloc
 * replacement), so that a process never holds two copies of the core.
 */
#include USLAB_RCU_HEADER

#include <uslab_rcu.h>

#ifdef USLAB_RCU_QSBR
/* A QSBR thread that waits for uslab's worker goes offline meanwhile. */
static bool qsbr_offline(void)
{
	if (!urcu_qsbr_read_ongoing())
		return false;
	urcu_qsbr_thread_offline();
	return true;
}

static void qsbr_online(void)
{
	urcu_qsbr_thread_online();
}
#endif

/* Inside a read-side critical section (QSBR: online): kfree_rcu then
 * never waits for the worker. */
static bool read_ongoing(void)
{
	return USLAB_RCU_ONGOING() != 0;
}

static const struct uslab_rcu_flavour flavour = {
	.name = USLAB_RCU_NAME,
	.synchronize_rcu = USLAB_RCU_SYNC,
#ifdef USLAB_RCU_QSBR
	.thread_offline = qsbr_offline,
	.thread_online = qsbr_online,
#endif
	.read_ongoing = read_ongoing,
};

__attribute__((visibility("default"))) int uslab_rcu_init(void)
{
	return uslab_rcu_set_flavour(&flavour);
}

/* Loaded, a shared flavour library registers itself. */
__attribute__((constructor)) static void uslab_rcu_load(void)
{
	uslab_rcu_init();
}
