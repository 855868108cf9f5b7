/*
 * kernel_names.h - the library's own sources say kmalloc, kmem_cache_free,
 * mempool_alloc, as the kernel does; this header, which the build includes
 * ahead of every library source (-include), turns each such name into its
 * uslab_ one.  So every definition is uslab_<name> and every internal call
 * goes to uslab's function, never to a program's own kmalloc.  The kernel
 * names themselves are weak aliases (USLAB_KERNEL_ALIAS, at the end of each
 * defining file), which a program's own definitions override.
 *
 * Every kernel-named function of the public headers is listed here; the
 * install test checks that each exported kernel name is a weak alias of an
 * exported uslab_ one.
 */
#ifndef USLAB_KERNEL_NAMES_H
#define USLAB_KERNEL_NAMES_H

/* The library defines both forms of kmem_cache_create itself. */
#define USLAB_NO_CREATE_MACRO 1

#define __kmem_cache_create_args uslab___kmem_cache_create_args
#define kcalloc uslab_kcalloc
#define kcalloc_node uslab_kcalloc_node
#define kfree uslab_kfree
#define kfree_bulk uslab_kfree_bulk
#define kfree_const uslab_kfree_const
#define kfree_sensitive uslab_kfree_sensitive
#define kmalloc uslab_kmalloc
#define kmalloc_array uslab_kmalloc_array
#define kmalloc_array_node uslab_kmalloc_array_node
#define kmalloc_node uslab_kmalloc_node
#define kmalloc_size_roundup uslab_kmalloc_size_roundup
#define kmem_buckets_alloc uslab_kmem_buckets_alloc
#define kmem_buckets_alloc_track_caller uslab_kmem_buckets_alloc_track_caller
#define kmem_buckets_create uslab_kmem_buckets_create
#define kmem_buckets_valloc uslab_kmem_buckets_valloc
#define kmem_cache_alloc uslab_kmem_cache_alloc
#define kmem_cache_alloc_bulk uslab_kmem_cache_alloc_bulk
#define kmem_cache_alloc_from_sheaf uslab_kmem_cache_alloc_from_sheaf
#define kmem_cache_alloc_lru uslab_kmem_cache_alloc_lru
#define kmem_cache_alloc_node uslab_kmem_cache_alloc_node
#define kmem_cache_create uslab_kmem_cache_create
#define kmem_cache_create_usercopy uslab_kmem_cache_create_usercopy
#define kmem_cache_destroy uslab_kmem_cache_destroy
#define kmem_cache_free uslab_kmem_cache_free
#define kmem_cache_free_bulk uslab_kmem_cache_free_bulk
#define kmem_cache_name uslab_kmem_cache_name
#define kmem_cache_prefill_sheaf uslab_kmem_cache_prefill_sheaf
#define kmem_cache_refill_sheaf uslab_kmem_cache_refill_sheaf
#define kmem_cache_return_sheaf uslab_kmem_cache_return_sheaf
#define kmem_cache_sheaf_size uslab_kmem_cache_sheaf_size
#define kmem_cache_shrink uslab_kmem_cache_shrink
#define kmem_cache_size uslab_kmem_cache_size
#define kmem_cache_validate uslab_kmem_cache_validate
#define kmem_cache_zalloc uslab_kmem_cache_zalloc
#define kmem_dump_obj uslab_kmem_dump_obj
#define kmem_valid_obj uslab_kmem_valid_obj
#define kmemdup uslab_kmemdup
#define kmemdup_array uslab_kmemdup_array
#define krealloc uslab_krealloc
#define krealloc_array uslab_krealloc_array
#define ksize uslab_ksize
#define kstrdup uslab_kstrdup
#define kstrdup_const uslab_kstrdup_const
#define kstrndup uslab_kstrndup
#define kvcalloc uslab_kvcalloc
#define kvfree uslab_kvfree
#define kvfree_call_rcu uslab_kvfree_call_rcu
#define kvfree_rcu_barrier uslab_kvfree_rcu_barrier
#define kvmalloc uslab_kvmalloc
#define kvmalloc_array uslab_kvmalloc_array
#define kvmalloc_node uslab_kvmalloc_node
#define kvrealloc uslab_kvrealloc
#define kvzalloc uslab_kvzalloc
#define kzalloc uslab_kzalloc
#define kzalloc_node uslab_kzalloc_node
#define mempool_alloc uslab_mempool_alloc
#define mempool_alloc_preallocated uslab_mempool_alloc_preallocated
#define mempool_alloc_slab uslab_mempool_alloc_slab
#define mempool_create uslab_mempool_create
#define mempool_create_kmalloc_pool uslab_mempool_create_kmalloc_pool
#define mempool_create_node uslab_mempool_create_node
#define mempool_create_slab_pool uslab_mempool_create_slab_pool
#define mempool_destroy uslab_mempool_destroy
#define mempool_exit uslab_mempool_exit
#define mempool_free uslab_mempool_free
#define mempool_free_slab uslab_mempool_free_slab
#define mempool_init uslab_mempool_init
#define mempool_init_kmalloc_pool uslab_mempool_init_kmalloc_pool
#define mempool_init_node uslab_mempool_init_node
#define mempool_init_slab_pool uslab_mempool_init_slab_pool
#define mempool_initialized uslab_mempool_initialized
#define mempool_is_saturated uslab_mempool_is_saturated
#define mempool_kfree uslab_mempool_kfree
#define mempool_kmalloc uslab_mempool_kmalloc
#define mempool_resize uslab_mempool_resize
#define register_shrinker uslab_register_shrinker
#define shrinker_alloc uslab_shrinker_alloc
#define shrinker_free uslab_shrinker_free
#define shrinker_register uslab_shrinker_register
#define unregister_shrinker uslab_unregister_shrinker

/* The kernel's name for uslab_<name>: weak, so a program's own wins; the
 * assembler name is written out so that the rename above does not apply,
 * and gcc copies the target's attributes (malloc) onto the alias. */
#if defined(__clang__)
#define USLAB_ALIAS_COPY(target)
#else
#define USLAB_ALIAS_COPY(target) copy(target),
#endif
#define USLAB_KERNEL_ALIAS(name)                                                       \
	extern __typeof__(uslab_##name) uslab_kernel_alias_##name __asm__(#name)       \
		__attribute__((USLAB_ALIAS_COPY(uslab_##name) weak,                    \
			       alias("uslab_" #name), visibility("default")))

#endif /* USLAB_KERNEL_NAMES_H */
