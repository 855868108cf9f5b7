/*
 * test_percpu.c - cpu mode (core/percpu.c, slub/slub_rseq.h,
 * unified/unified_rseq.h): the caches' state per CPU, in either
 * personality, under migration and signals that abort
 * critical sections, drains from other threads, a slow path that blocks
 * in a constructor while another thread uses its CPU, fork, the mode
 * switch, and memory bounded by CPUs rather than threads.
 *
 * Run as is (auto: cpu where rseq works), with USLAB_CPU_MODE=thread, and
 * with glibc's rseq off (GLIBC_TUNABLES=glibc.pthread.rseq=0), where the
 * mode must be thread and say why; every test holds in every mode.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "check.h"
#include "base/lock.h"
#include "core/slab.h"

/* The personality follows USLAB_ALLOCATOR: slub as is, unified in the
 * :unified variants (tests/CMakeLists.txt). */
#define PC_FLAGS SLAB_NO_MERGE

#define LIVE 0x4c4956454c495645ULL   /* "LIVELIVE": handed out, not freed */
#define DEAD 0x4445414444454144ULL

struct obj {
	_Atomic uint64_t state;
	uint64_t owner;
	uint64_t pattern[6];
};

/* Every object is handed out once: its state word goes from anything
 * but LIVE to LIVE at allocation, from LIVE to DEAD before the free. */
static int take(struct obj *o, uint64_t owner)
{
	if (atomic_exchange(&o->state, LIVE) == LIVE)
		return 0;
	o->owner = owner;
	for (int i = 0; i < 6; i++)
		o->pattern[i] = owner * 7919 + (uint64_t)i;
	return 1;
}

static int give(struct obj *o, uint64_t owner)
{
	for (int i = 0; i < 6; i++)
		if (o->pattern[i] != owner * 7919 + (uint64_t)i)
			return 0;
	if (o->owner != owner)
		return 0;
	return atomic_exchange(&o->state, DEAD) == LIVE;
}

static int nr_cpus_online(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

/* ------------------------------------------------ migration and signals */

struct churn {
	struct kmem_cache *s;
	_Atomic int stop;
	_Atomic long allocs, frees, bad;
	_Atomic pid_t tids[8];
	_Atomic int started;
	pthread_t threads[8];
	int nr;
};

static void *churn_worker(void *arg)
{
	struct churn *c = arg;
	struct obj *held[64] = { 0 };
	uint64_t me = (uint64_t)syscall(SYS_gettid);
	unsigned int rnd = (unsigned int)me;
	long allocs = 0, frees = 0, bad = 0;

	atomic_store(&c->tids[atomic_fetch_add(&c->started, 1)], (pid_t)me);
	while (!atomic_load(&c->stop)) {
		unsigned int k;

		rnd = rnd * 1103515245u + 12345u;
		k = (rnd >> 16) % 64;
		if (held[k]) {
			bad += !give(held[k], me);
			if ((rnd >> 8) & 1)
				kmem_cache_free(c->s, held[k]);
			else
				kfree(held[k]);
			held[k] = NULL;
			frees++;
		} else {
			held[k] = kmem_cache_alloc(c->s, GFP_KERNEL);
			if (!held[k]) {
				bad++;
				continue;
			}
			bad += !take(held[k], me);
			allocs++;
		}
	}
	for (int k = 0; k < 64; k++) {
		if (!held[k])
			continue;
		bad += !give(held[k], me);
		kmem_cache_free(c->s, held[k]);
		frees++;
	}
	atomic_fetch_add(&c->allocs, allocs);
	atomic_fetch_add(&c->frees, frees);
	atomic_fetch_add(&c->bad, bad);
	return NULL;
}

static _Atomic long signals_seen;

static void on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals_seen, 1);
}

static uint64_t fast_and_slow(struct kmem_cache *s, enum uslab_stat_item fast,
			      enum uslab_stat_item slow)
{
	return uslab_cache_stat(s, fast) + uslab_cache_stat(s, slow);
}

TEST(migration_and_signals_keep_every_object_single_and_counts_exact)
{
	struct churn c = { .s = kmem_cache_create("pc-churn", sizeof(struct obj), 0,
						  PC_FLAGS, NULL),
			   .nr = 4 };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	int cpus = nr_cpus_online(), rounds = TEST_ASAN ? 2000 : 20000;
	long moves = 0;

	sigemptyset(&sa.sa_mask);
	CHECK(c.s);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	for (int i = 0; i < c.nr; i++)
		pthread_create(&c.threads[i], NULL, churn_worker, &c);
	while (atomic_load(&c.started) < c.nr)
		sched_yield();
	/* The main thread moves the workers between CPUs and signals them,
	 * each a few microseconds apart. */
	for (int r = 0; r < rounds; r++) {
		int i = r % c.nr;
		pid_t tid = atomic_load(&c.tids[i]);

		if (tid && cpus > 1) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET((r / c.nr) % cpus, &set);
			moves += !sched_setaffinity(tid, sizeof(set), &set);
		}
		if (tid)
			syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
	}
	atomic_store(&c.stop, 1);
	for (int i = 0; i < c.nr; i++)
		pthread_join(c.threads[i], NULL);
	CHECK_EQ(atomic_load(&c.bad), 0);
	CHECK(atomic_load(&signals_seen) > 0);
	CHECK(cpus == 1 || moves > 0);
	/* Exact: every allocation and free counted once, on whichever CPU. */
	CHECK_EQ(fast_and_slow(c.s, USLAB_STAT_ALLOC_FASTPATH, USLAB_STAT_ALLOC_SLOWPATH),
		 atomic_load(&c.allocs));
	CHECK_EQ(fast_and_slow(c.s, USLAB_STAT_FREE_FASTPATH, USLAB_STAT_FREE_SLOWPATH),
		 atomic_load(&c.frees));
	CHECK_EQ(cache_info(c.s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(c.s), 0);
	signal(SIGUSR1, SIG_DFL);
}

/* -------------------------------------------------------------- drains */

static void *reclaimer(void *arg)
{
	struct churn *c = arg;

	while (!atomic_load(&c->stop)) {
		uslab_reclaim(NULL);
		kmem_cache_shrink(c->s);
		uslab_thread_flush();
	}
	return NULL;
}

TEST(drains_from_other_threads_lose_nothing)
{
	struct churn c = { .s = kmem_cache_create("pc-drain", sizeof(struct obj), 0,
						  PC_FLAGS, NULL),
			   .nr = 3 };
	pthread_t r;

	CHECK(c.s);
	for (int i = 0; i < c.nr; i++)
		pthread_create(&c.threads[i], NULL, churn_worker, &c);
	pthread_create(&r, NULL, reclaimer, &c);
	usleep(TEST_ASAN ? 100000 : 300000);
	atomic_store(&c.stop, 1);
	for (int i = 0; i < c.nr; i++)
		pthread_join(c.threads[i], NULL);
	pthread_join(r, NULL);
	CHECK_EQ(atomic_load(&c.bad), 0);
	CHECK(atomic_load(&c.allocs) > 0);
	CHECK_EQ(fast_and_slow(c.s, USLAB_STAT_ALLOC_FASTPATH, USLAB_STAT_ALLOC_SLOWPATH),
		 atomic_load(&c.allocs));
	CHECK_EQ(fast_and_slow(c.s, USLAB_STAT_FREE_FASTPATH, USLAB_STAT_FREE_SLOWPATH),
		 atomic_load(&c.frees));
	/* Everything is free again: a drain gives every slab back. */
	uslab_thread_flush();
	kmem_cache_shrink(c.s);
	CHECK_EQ(cache_info(c.s).queued_objs, 0);
	CHECK_EQ(cache_info(c.s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(c.s), 0);
}

/* ------------------------------------- a slow path blocked in a ctor */

static pthread_mutex_t ctor_mutex = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int ctor_armed, ctor_waiting;

static void blocking_ctor(void *p)
{
	memset(p, 0x5a, 64);
	if (atomic_exchange(&ctor_armed, 0)) {
		atomic_store(&ctor_waiting, 1);
		pthread_mutex_lock(&ctor_mutex);
		pthread_mutex_unlock(&ctor_mutex);
	}
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *alloc_in_ctor(void *arg)
{
	struct kmem_cache *s = arg;

	pin_to(0);
	/* A new slab: its constructor blocks, this slow path holding the
	 * entry of CPU 0 (cpu mode). */
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	return NULL;
}

TEST(a_slow_path_blocked_in_a_constructor_does_not_block_its_cpu)
{
	struct kmem_cache *s = kmem_cache_create("pc-ctor", 64, 0, PC_FLAGS,
						 blocking_ctor);
	cpu_set_t all;
	void *p[200];
	pthread_t th;

	CHECK(s);
	CHECK_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
	pin_to(0);
	pthread_mutex_lock(&ctor_mutex);
	atomic_store(&ctor_armed, 1);
	pthread_create(&th, NULL, alloc_in_ctor, s);
	while (!atomic_load(&ctor_waiting))
		sched_yield();
	/* Same CPU, same cache, the entry held by a thread that waits for
	 * us: these go around it, to the slabs. */
	for (int i = 0; i < 200; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(p[i] && ((unsigned char *)p[i])[63] == 0x5a);
	}
	for (int i = 0; i < 200; i++)
		kmem_cache_free(s, p[i]);
	pthread_mutex_unlock(&ctor_mutex);
	pthread_join(th, NULL);
	sched_setaffinity(0, sizeof(all), &all);
	CHECK_EQ(fast_and_slow(s, USLAB_STAT_ALLOC_FASTPATH, USLAB_STAT_ALLOC_SLOWPATH), 201);
	CHECK_EQ(fast_and_slow(s, USLAB_STAT_FREE_FASTPATH, USLAB_STAT_FREE_SLOWPATH), 201);
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* A destroy that cannot take a CPU's entry (a constructor holds it, its
 * slow path blocked) keeps the cache: freed, its index and descriptor
 * would pass to the next cache made while the entry still names it. */
static struct kmem_cache *held_cache;
static void *volatile held_object;
static _Atomic int hold_armed, hold_published, hold_go;

static void holding_ctor(void *p)
{
	(void)p;
	if (!atomic_exchange(&hold_armed, 0))
		return;
	/* A node request: a slow path of held_cache, on CPU 0's entry. */
	held_object = kmem_cache_alloc_node(held_cache, GFP_KERNEL, 0);
	atomic_store(&hold_published, 1);
	while (!atomic_load(&hold_go))
		usleep(1000);
}

static void *alloc_holding(void *arg)
{
	struct kmem_cache *t = arg;

	pin_to(0);
	kmem_cache_free(t, kmem_cache_alloc(t, GFP_KERNEL));
	return NULL;
}

TEST(destroy_keeps_a_cache_whose_cpu_entry_a_slow_path_holds)
{
	struct kmem_cache *t = kmem_cache_create("pc-holder", 64, 0, PC_FLAGS,
						 holding_ctor);
	struct kmem_cache *next;
	unsigned int idx;
	pthread_t th;
	void *p[100];

	held_cache = kmem_cache_create("pc-held", 64, 0, PC_FLAGS, NULL);
	CHECK(t && held_cache);
	idx = held_cache->cpu_index;
	atomic_store(&hold_armed, 1);
	pthread_create(&th, NULL, alloc_holding, t);
	while (!atomic_load(&hold_published))
		usleep(1000);
	CHECK(held_object);
	kmem_cache_free(held_cache, held_object);
	capture_start();
	kmem_cache_destroy(held_cache);
	if (cpu_mode())
		CHECK_STR_CONTAINS(capture_stop(), "kmem_cache_destroy(pc-held): another thread's slow path of it still holds a CPU's entry");
	else {
		int reports = capture_count();

		capture_stop();
		CHECK_EQ(reports, 0);
	}
	atomic_store(&hold_go, 1);
	pthread_join(th, NULL);
	/* The next cache gets another index (cpu mode) and is whole. */
	next = kmem_cache_create("pc-next", 128, 0, PC_FLAGS, NULL);
	CHECK(next);
	if (cpu_mode())
		CHECK(next->cpu_index != idx);
	for (int r = 0; r < 20; r++) {
		for (int i = 0; i < 100; i++)
			CHECK((p[i] = kmem_cache_alloc(next, GFP_KERNEL)));
		for (int i = 0; i < 100; i++)
			kmem_cache_free(next, p[i]);
	}
	CHECK_EQ(fast_and_slow(next, USLAB_STAT_ALLOC_FASTPATH, USLAB_STAT_ALLOC_SLOWPATH), 2000);
	CHECK_EQ(cache_info(next).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(next), 0);
	CHECK_EQ(destroy_counting_reports(t), 0);
}

/* A slow path that takes more entries than it can hold (a constructor
 * using many caches): the ones it lets go at once keep their counts. */
#define MANY 10
static struct kmem_cache *many[MANY];
static _Atomic int many_armed;

static void many_ctor(void *p)
{
	(void)p;
	if (!atomic_exchange(&many_armed, 0))
		return;
	for (int i = 0; i < MANY; i++)
		kmem_cache_free(many[i], kmem_cache_alloc_node(many[i], GFP_KERNEL, 0));
}

TEST(entries_beyond_the_held_list_keep_exact_counts)
{
	struct kmem_cache *a = kmem_cache_create("pc-many-a", 64, 0, PC_FLAGS,
						 many_ctor);
	void *p[MANY][7];
	cpu_set_t all;

	CHECK(a);
	CHECK_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
	pin_to(0);
	for (int i = 0; i < MANY; i++) {
		static char names[MANY][16];

		snprintf(names[i], sizeof(names[i]), "pc-many-%d", i);
		CHECK((many[i] = kmem_cache_create(names[i], 64, 0,
						   PC_FLAGS, NULL)));
		kmem_cache_free(many[i], kmem_cache_alloc(many[i], GFP_KERNEL));
		/* Fast pops, not folded yet. */
		for (int k = 0; k < 7; k++)
			p[i][k] = kmem_cache_alloc(many[i], GFP_KERNEL);
	}
	atomic_store(&many_armed, 1);
	kmem_cache_free(a, kmem_cache_alloc(a, GFP_KERNEL));
	for (int i = 0; i < MANY; i++) {
		CHECK_EQ(fast_and_slow(many[i], USLAB_STAT_ALLOC_FASTPATH,
				       USLAB_STAT_ALLOC_SLOWPATH), 9);
		CHECK_EQ(fast_and_slow(many[i], USLAB_STAT_FREE_FASTPATH,
				       USLAB_STAT_FREE_SLOWPATH), 2);
		for (int k = 0; k < 7; k++)
			kmem_cache_free(many[i], p[i][k]);
		CHECK_EQ(cache_info(many[i]).active_objs, 0);
		CHECK_EQ(destroy_counting_reports(many[i]), 0);
	}
	sched_setaffinity(0, sizeof(all), &all);
	CHECK_EQ(destroy_counting_reports(a), 0);
}

/* A signal handler whose slow paths take entries while the interrupted
 * slow path takes or lets go of its own: every entry is let go.  The
 * handler allocates only (node requests: straight from half-full slabs,
 * under its own cache's list lock, never a sheaf, a new slab or a lock
 * the interrupted code may hold), and only between uslab's locks; the
 * main thread frees what it got.  Not under ThreadSanitizer, which
 * delivers signals inside its mutex interceptors, where the handler's
 * lock would be one taken while another is being taken: a lock-order
 * report about the handler, which is right. */
#define SIG_OBJECTS 30000
static struct kmem_cache *sig_cache;
static struct obj *sig_objs[SIG_OBJECTS];
static _Atomic int sig_next;
static _Atomic long sig_bad;

static void allocating_handler(int sig)
{
	struct obj *o;
	int i;

	(void)sig;
	for (int k = 0; k < 3; k++) {
		if (lock_context()->locks_held || atomic_load(&sig_next) >= SIG_OBJECTS)
			return;
		o = kmem_cache_alloc_node(sig_cache, GFP_KERNEL, 0);
		if (!o || !take(o, 99)) {
			atomic_fetch_add(&sig_bad, 1);
			return;
		}
		i = atomic_fetch_add(&sig_next, 1);
		if (i < SIG_OBJECTS)
			sig_objs[i] = o;
		else
			atomic_fetch_add(&sig_bad, 1);
	}
}

/* Node requests only: every allocation a slow path that takes and lets
 * go of an entry, the windows the handlers aim at. */
static void *node_worker(void *arg)
{
	struct churn *c = arg;
	uint64_t me = (uint64_t)syscall(SYS_gettid);
	long allocs = 0, bad = 0;

	atomic_store(&c->tids[atomic_fetch_add(&c->started, 1)], (pid_t)me);
	while (!atomic_load(&c->stop)) {
		struct obj *o = kmem_cache_alloc_node(c->s, GFP_KERNEL, 0);

		if (!o || !take(o, me) || !give(o, me))
			bad++;
		if (o)
			kmem_cache_free(c->s, o);
		allocs++;
	}
	atomic_fetch_add(&c->allocs, allocs);
	atomic_fetch_add(&c->frees, allocs);
	atomic_fetch_add(&c->bad, bad);
	return NULL;
}

TEST(signal_handlers_with_slow_paths_leave_no_entry_held)
{
	struct churn c = { .s = kmem_cache_create("pc-sig-a", sizeof(struct obj), 0,
						  PC_FLAGS, NULL),
			   .nr = 3 };
	struct sigaction sa = { .sa_handler = allocating_handler, .sa_flags = SA_RESTART };
	void *p[8], **keep = calloc(2 * SIG_OBJECTS, sizeof(void *));
	int got;

	cpu_set_t all;

	/* Thread mode's structures promise nothing to a handler that
	 * allocates (registration, pages of entries): cpu mode's held list
	 * is what this is about. */
#if defined(__SANITIZE_THREAD__)
	kmem_cache_destroy(c.s);
	free(keep);
	return;
#endif
	if (!cpu_mode()) {
		kmem_cache_destroy(c.s);
		free(keep);
		return;
	}
	sig_cache = kmem_cache_create("pc-sig-d", sizeof(struct obj), 0,
				      PC_FLAGS, NULL);
	CHECK(c.s && sig_cache && keep);
	/* Every CPU's registration and entries made now: the handler's slow
	 * paths then take no lock of the thread list. */
	CHECK_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &all))
			continue;
		pin_to(cpu);
		kmem_cache_free(sig_cache, kmem_cache_alloc_node(sig_cache, GFP_KERNEL, 0));
		kmem_cache_free(c.s, kmem_cache_alloc_node(c.s, GFP_KERNEL, 0));
	}
	sched_setaffinity(0, sizeof(all), &all);
	/* Half-full slabs: the handler's node requests find free objects. */
	for (int i = 0; i < 2 * SIG_OBJECTS; i++)
		CHECK((keep[i] = kmem_cache_alloc(sig_cache, GFP_KERNEL)));
	for (int i = 0; i < 2 * SIG_OBJECTS; i += 2)
		kmem_cache_free(sig_cache, keep[i]);
	/* Out of this thread's sheaves, back on the slabs. */
	uslab_thread_flush();
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGUSR2, &sa, NULL), 0);
	for (int i = 0; i < c.nr; i++)
		pthread_create(&c.threads[i], NULL, node_worker, &c);
	while (atomic_load(&c.started) < c.nr)
		sched_yield();
	for (int r = 0; r < (TEST_ASAN ? 20000 : 100000) && atomic_load(&sig_next) < SIG_OBJECTS;
	     r++)
		syscall(SYS_tgkill, getpid(), atomic_load(&c.tids[r % c.nr]), SIGUSR2);
	atomic_store(&c.stop, 1);
	for (int i = 0; i < c.nr; i++)
		pthread_join(c.threads[i], NULL);
	signal(SIGUSR2, SIG_DFL);
	CHECK_EQ(atomic_load(&c.bad), 0);
	CHECK_EQ(atomic_load(&sig_bad), 0);
	got = atomic_load(&sig_next);
	CHECK(got > 0);
	for (int i = 0; i < got && i < SIG_OBJECTS; i++) {
		CHECK(give(sig_objs[i], 99));
		kmem_cache_free(sig_cache, sig_objs[i]);
	}
	/* No entry was left held: the fast paths serve both caches. */
	for (int k = 0; k < 2; k++) {
		struct kmem_cache *s = k ? sig_cache : c.s;
		uint64_t fast = uslab_cache_stat(s, USLAB_STAT_ALLOC_FASTPATH);
		cpu_set_t was = pin_here();

		for (int r = 0; r < 100; r++) {
			for (int i = 0; i < 8; i++)
				p[i] = kmem_cache_alloc(s, GFP_KERNEL);
			for (int i = 0; i < 8; i++)
				kmem_cache_free(s, p[i]);
		}
		unpin(was);
		CHECK(uslab_cache_stat(s, USLAB_STAT_ALLOC_FASTPATH) - fast >= 700);
	}
	for (int i = 1; i < 2 * SIG_OBJECTS; i += 2)
		kmem_cache_free(sig_cache, keep[i]);
	free(keep);
	CHECK_EQ(destroy_counting_reports(c.s), 0);
	CHECK_EQ(destroy_counting_reports(sig_cache), 0);
}

/* -------------------------------------------------------------- fork */

TEST(fork_child_allocates_from_the_cpu_entries_it_inherited)
{
	struct kmem_cache *s = kmem_cache_create("pc-fork", sizeof(struct obj), 0,
						 PC_FLAGS, NULL);
	int parent_mode = cpu_mode(), status;
	struct obj *p[100];
	pid_t pid;

	CHECK(s);
	for (int i = 0; i < 100; i++)
		CHECK((p[i] = kmem_cache_alloc(s, GFP_KERNEL)) && take(p[i], 1));
	for (int i = 0; i < 50; i++) {
		CHECK(give(p[i], 1));
		kmem_cache_free(s, p[i]);
	}
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct obj *q[300];
		int bad = 0;

		for (int i = 0; i < 300; i++)
			bad += !(q[i] = kmem_cache_alloc(s, GFP_KERNEL)) || !take(q[i], 2);
		for (int i = 50; i < 100; i++)
			bad += !give(p[i], 1);
		for (int i = 0; i < 300; i++) {
			bad += !give(q[i], 2);
			kmem_cache_free(s, q[i]);
		}
		/* The child keeps the mode (its membarrier registration made
		 * again). */
		_exit(bad ? 1 : cpu_mode() != parent_mode ? 2 : 0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	for (int i = 50; i < 100; i++) {
		CHECK(give(p[i], 1));
		kmem_cache_free(s, p[i]);
	}
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* ------------------------------------------------- the mode and memory */

TEST(the_mode_says_why_and_can_be_switched)
{
	const char *env = getenv("USLAB_CPU_MODE");
	const char *tun = getenv("GLIBC_TUNABLES");
	int was_cpu = cpu_mode();
	long was = uslab_option_get(USLAB_OPT_CPU_MODE);
	struct kmem_cache *s = kmem_cache_create("pc-switch", 64, 0, PC_FLAGS,
						 NULL);
	void *p[100];

	CHECK(s);
	CHECK(uslab_cpu_mode_reason() && *uslab_cpu_mode_reason());
	if (tun && strstr(tun, "glibc.pthread.rseq=0")) {
		CHECK(!was_cpu);
		CHECK_STR_CONTAINS(uslab_cpu_mode_reason(), "rseq");
		capture_start();
		CHECK_EQ(uslab_option_set(USLAB_OPT_CPU_MODE, 1), -1);
		CHECK_STR_CONTAINS(capture_stop(), "USLAB_CPU_MODE=cpu: not available here");
		CHECK(!cpu_mode());
	}
	if (env && !strcmp(env, "thread"))
		CHECK(!was_cpu);
	/* Objects cached by one mode are freed and reused under the other. */
	for (int i = 0; i < 100; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(uslab_option_set(USLAB_OPT_CPU_MODE, 0), 0);
	CHECK(!cpu_mode());
	CHECK_EQ(uslab_option_get(USLAB_OPT_CPU_MODE), 0);
	for (int i = 0; i < 100; i++)
		kmem_cache_free(s, p[i]);
	CHECK_EQ(uslab_option_set(USLAB_OPT_CPU_MODE, was), 0);
	for (int i = 0; i < 100; i++)
		CHECK((p[i] = kmem_cache_alloc(s, GFP_KERNEL)));
	for (int i = 0; i < 100; i++)
		kmem_cache_free(s, p[i]);
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
	CHECK_EQ(cpu_mode(), was_cpu);
}

static _Atomic int holders_ready, holders_go;

static void *hold_one(void *arg)
{
	struct kmem_cache *s = arg;
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, p);
	atomic_fetch_add(&holders_ready, 1);
	while (!atomic_load(&holders_go))
		usleep(1000);
	return NULL;
}

TEST(cached_state_is_bounded_by_cpus_not_threads)
{
	struct kmem_cache *s = kmem_cache_create("pc-bound", 256, 0, PC_FLAGS,
						 NULL);
	pthread_t th[32];
	unsigned long entries;

	CHECK(s);
	for (int i = 0; i < 32; i++)
		pthread_create(&th[i], NULL, hold_one, s);
	while (atomic_load(&holders_ready) < 32)
		usleep(1000);
	/* 32 live threads have each used the cache. */
	entries = cache_info(s).cpu_slabs;
	atomic_store(&holders_go, 1);
	for (int i = 0; i < 32; i++)
		pthread_join(th[i], NULL);
	if (cpu_mode())
		CHECK(entries >= 1 && entries <= (unsigned long)sysconf(_SC_NPROCESSORS_CONF));
	else
		CHECK_EQ(entries, 32);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* A thread that has entries of its own (left from thread mode) still
 * takes its CPU's: its slow paths do not fill the thread's entry while
 * the fast paths look at the CPU's. */
TEST(a_thread_with_its_own_entries_still_uses_its_cpus)
{
	struct kmem_cache *own = kmem_cache_create("pc-own-a", 64, 0, PC_FLAGS, NULL);
	long was = uslab_option_get(USLAB_OPT_CPU_MODE);
	struct kmem_cache *u;
	cpu_set_t was_pinned;

	CHECK(own);
	CHECK_EQ(uslab_option_set(USLAB_OPT_CPU_MODE, 0), 0);
	kmem_cache_free(own, kmem_cache_alloc(own, GFP_KERNEL));
	CHECK_EQ(uslab_option_set(USLAB_OPT_CPU_MODE, was), 0);
	u = kmem_cache_create("pc-own-b", 64, 0, PC_FLAGS, NULL);
	CHECK(u);
	was_pinned = pin_here();
	for (int i = 0; i < 100000; i++) {
		kmem_cache_free(u, kmem_cache_alloc(u, GFP_KERNEL));
		kmem_cache_free(own, kmem_cache_alloc(own, GFP_KERNEL));
	}
	unpin(was_pinned);
	CHECK(uslab_cache_stat(u, USLAB_STAT_ALLOC_FASTPATH) >= 99000);
	CHECK(uslab_cache_stat(own, USLAB_STAT_ALLOC_FASTPATH) >= 99000);
	CHECK_EQ(destroy_counting_reports(u), 0);
	CHECK_EQ(destroy_counting_reports(own), 0);
}

/* ------------------------------------------------ slow frees */

static int pc_cpus[2];

static void *free_first_elsewhere(void *arg)
{
	void **objs = arg;

	pin_to(pc_cpus[1]);
	kmem_cache_free(objs[1], objs[0]);
	return NULL;
}

/*
 * In cpu mode a slow free takes the CPU's entry only when it needs it: a
 * free that makes a full slab the entry's cpu partial one.  On a CPU
 * whose entry for the cache has never been used, that entry must become
 * the cache's (its counts summed, its partial slab flushed by destroy).
 */
TEST(a_free_that_takes_a_full_slab_on_a_new_cpu_counts_and_flushes)
{
	enum { N = 4000 };
	struct kmem_cache *s = kmem_cache_create("pc-freeze", 64, 0, PC_FLAGS, NULL);
	static void *objs[N];
	void *arg[2];
	cpu_set_t all;
	pthread_t t;
	int k = 0;

	CHECK(s);
	CHECK_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
	for (int cpu = 0; cpu < CPU_SETSIZE && k < 2; cpu++)
		if (CPU_ISSET(cpu, &all))
			pc_cpus[k++] = cpu;
	if (k < 2 || (s->flags & SLAB_UNIFIED)) {
		kmem_cache_destroy(s);
		return;
	}
	pin_to(pc_cpus[0]);
	for (int i = 0; i < N; i++)
		CHECK((objs[i] = kmem_cache_alloc(s, GFP_KERNEL)) != NULL);
	/* objs[0]'s slab is full and no cpu slab by now. */
	arg[0] = objs[0];
	arg[1] = s;
	pthread_create(&t, NULL, free_first_elsewhere, arg);
	pthread_join(t, NULL);
	CHECK_EQ(cache_info(s).active_objs, N - 1);
	CHECK_EQ(uslab_cache_stat(s, USLAB_STAT_CPU_PARTIAL_FREE), 1);
	for (int i = 1; i < N; i++)
		kmem_cache_free(s, objs[i]);
	sched_setaffinity(0, sizeof(all), &all);
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

/* ------------------------------------------------ the fast-path count */

TEST(the_fast_count_gives_pops_and_pushes)
{
	uint64_t a, f;

	/* Ten fast operations, the size two up: six pushes, four pops. */
	cpu_entry_unfolded(10, 5, 3, &a, &f);
	CHECK_EQ(a, 4);
	CHECK_EQ(f, 6);
	cpu_entry_unfolded(7, 0, 7, &a, &f);
	CHECK_EQ(a, 7);
	CHECK_EQ(f, 0);
	/* A slub entry counts in its freelist word, above the head. */
	slub_head_unfolded(0x7f0012345678ULL | 6 * SLUB_HEAD_POP | 4 * SLUB_HEAD_PUSH, &a, &f);
	CHECK_EQ(a, 6);
	CHECK_EQ(f, 4);
	slub_head_unfolded(0x7f0012345678ULL, &a, &f);
	CHECK_EQ(a + f, 0);
	slub_head_unfolded(255 * SLUB_HEAD_POP | 255 * SLUB_HEAD_PUSH, &a, &f);
	CHECK_EQ(a, 255);
	CHECK_EQ(f, 255);
	/* A torn read never goes negative. */
	cpu_entry_unfolded(0, 9, 0, &a, &f);
	CHECK_EQ(a, 0);
}

TEST(a_count_near_its_limit_goes_slow_and_is_folded)
{
	struct kmem_cache *s = kmem_cache_create("pc-count", 64, 0, PC_FLAGS,
						 NULL);
	uint64_t allocs, frees, slow;
	struct kmem_cache_cpu *c;
	cpu_set_t all;
	uint32_t k;
	void *p[2];

	CHECK(s);
	if (!cpu_mode()) {
		kmem_cache_destroy(s);
		return;
	}
	CHECK_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
	pin_to(0);
	for (int i = 0; i < 4; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	c = (struct kmem_cache_cpu *)(percpu_fast.base + ((size_t)0 << PERCPU_BLOCK_SHIFT)) +
	    s->cpu_index;
	CHECK(c->cache == s);
	allocs = fast_and_slow(s, USLAB_STAT_ALLOC_FASTPATH, USLAB_STAT_ALLOC_SLOWPATH);
	frees = fast_and_slow(s, USLAB_STAT_FREE_FASTPATH, USLAB_STAT_FREE_SLOWPATH);
	slow = uslab_cache_stat(s, USLAB_STAT_ALLOC_SLOWPATH);
	/* As if k pops and k pushes had run: the count at its limit (slub:
	 * 255 of each in the freelist word; unified: 2^31 - 1 or - 2). */
	if (s->flags & SLAB_UNIFIED) {
		k = (0x7fffffffu - c->fast_ops) / 2;
		c->fast_ops += 2 * k;
	} else {
		uint64_t w = (uintptr_t)c->freelist, a0, f0;

		slub_head_unfolded(w, &a0, &f0);
		k = 255 - (uint32_t)(a0 > f0 ? a0 : f0);
		c->freelist = (void *)(uintptr_t)(w + k * SLUB_HEAD_POP + k * SLUB_HEAD_PUSH);
	}
	CHECK_EQ(fast_and_slow(s, USLAB_STAT_ALLOC_FASTPATH, USLAB_STAT_ALLOC_SLOWPATH),
		 allocs + k);
	p[0] = kmem_cache_alloc(s, GFP_KERNEL);
	p[1] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p[0] && p[1]);
	/* One of them would have carried the count to 2^31: the slow path
	 * took it and folded, and nothing was lost. */
	CHECK(uslab_cache_stat(s, USLAB_STAT_ALLOC_SLOWPATH) >= slow + 1);
	if (s->flags & SLAB_UNIFIED) {
		CHECK(c->fast_ops < 8);
	} else {
		uint64_t a0, f0;

		slub_head_unfolded((uintptr_t)c->freelist, &a0, &f0);
		CHECK(a0 + f0 < 8);
	}
	CHECK_EQ(fast_and_slow(s, USLAB_STAT_ALLOC_FASTPATH, USLAB_STAT_ALLOC_SLOWPATH),
		 allocs + k + 2);
	kmem_cache_free(s, p[0]);
	kmem_cache_free(s, p[1]);
	CHECK_EQ(fast_and_slow(s, USLAB_STAT_FREE_FASTPATH, USLAB_STAT_FREE_SLOWPATH),
		 frees + k + 2);
	sched_setaffinity(0, sizeof(all), &all);
	CHECK_EQ(cache_info(s).active_objs, 0);
	CHECK_EQ(destroy_counting_reports(s), 0);
}

TEST_MAIN()
