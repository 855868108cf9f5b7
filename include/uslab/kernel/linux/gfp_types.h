/*
 * linux/gfp_types.h - gfp_t and every flag of the kernel's gfp_types.h,
 * with the kernel's values (uslab's kernel-style headers).
 *
 * What they mean in uslab: an allocation that fails runs reclaim (the
 * shrinkers, the caches' free memory) and tries again only with
 * __GFP_DIRECT_RECLAIM (GFP_KERNEL; not GFP_ATOMIC or GFP_NOWAIT), then
 * fails: every allocation is bounded as __GFP_NORETRY and
 * __GFP_RETRY_MAYFAIL ask (the kernel's "too small to fail" loop is not
 * kept); __GFP_NOFAIL never returns NULL (it waits and reclaims until
 * memory comes back); __GFP_ZERO zeroes; __GFP_NOWARN silences the
 * allocation-failure warning; __GFP_THISNODE forbids another node.  The
 * others are accepted and mean nothing in user space.
 */
#ifndef USLAB_LINUX_GFP_TYPES_H
#define USLAB_LINUX_GFP_TYPES_H

typedef unsigned int gfp_t;

#define __GFP_DMA             0x01u     /* accepted: no DMA zone in user space */
#define __GFP_HIGHMEM         0x02u     /* accepted: no highmem */
#define __GFP_DMA32           0x04u     /* accepted: no DMA32 zone */
#define __GFP_MOVABLE         0x08u     /* accepted (no page mobility groups) */
#define __GFP_RECLAIMABLE     0x10u     /* accepted (no page mobility groups) */
#define __GFP_HIGH            0x20u     /* accepted (no reserves to dip into) */
#define __GFP_IO              0x40u     /* accepted (no I/O to avoid) */
#define __GFP_FS              0x80u     /* accepted (no filesystem to avoid) */
#define __GFP_ZERO            0x100u    /* zeroes the object (the size asked for) */
#define __GFP_DIRECT_RECLAIM  0x400u    /* may block: reclaim and shrinkers run, then a retry */
#define __GFP_KSWAPD_RECLAIM  0x800u    /* accepted (no kswapd; PSI watcher instead) */
#define __GFP_WRITE           0x1000u   /* accepted */
#define __GFP_NOWARN          0x2000u   /* no allocation-failure warning, no fault-injection line */
#define __GFP_RETRY_MAYFAIL   0x4000u   /* bounded as every allocation is: may fail */
#define __GFP_NOFAIL          0x8000u   /* never NULL: waits and reclaims until memory comes */
#define __GFP_NORETRY         0x10000u  /* at most one reclaim pass, then NULL */
#define __GFP_MEMALLOC        0x20000u  /* accepted (no emergency reserves) */
#define __GFP_COMP            0x40000u  /* accepted (large blocks are runs already) */
#define __GFP_NOMEMALLOC      0x80000u  /* accepted */
#define __GFP_HARDWALL        0x100000u /* accepted (no cpusets) */
#define __GFP_THISNODE        0x200000u /* only the node asked for, no fallback */
#define __GFP_ACCOUNT         0x400000u /* accepted (no memcg) */
#define __GFP_ZEROTAGS        0x800000u /* accepted (no memory tags) */
#define __GFP_SKIP_ZERO       0x1000000u /* accepted */
#define __GFP_SKIP_KASAN      0x2000000u /* accepted */
#define __GFP_NOLOCKDEP       0x4000000u /* accepted (uslab's lockdep checks its own locks only) */
#define __GFP_NO_OBJ_EXT      0x8000000u /* accepted (no object extensions) */

#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC    (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL    (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
/* Since 6.15 GFP_NOWAIT carries __GFP_NOWARN: its failures are expected. */
#define GFP_NOWAIT    (__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO      (__GFP_RECLAIM)
#define GFP_NOFS      (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER      (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA       __GFP_DMA
#define GFP_DMA32     __GFP_DMA32
#define GFP_HIGHUSER  (GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN)
#define GFP_TRANSHUGE_LIGHT ((GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | \
			      __GFP_NOWARN) & ~__GFP_RECLAIM)
#define GFP_TRANSHUGE (GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

#endif /* USLAB_LINUX_GFP_TYPES_H */
