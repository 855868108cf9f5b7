#!/bin/sh
# Installs the build into a fresh prefix, then builds and runs a program
# against the installed copy through pkg-config, shared and static.
set -eu
build=$1
prog=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix" "$prefix.list" "$prefix.keep"' EXIT
# Its own manifest: make install's list in the build tree stays as it is.
cp "$build/install_manifest.txt" "$prefix.keep" 2>/dev/null || true
cmake --install "$build" --prefix "$prefix" >/dev/null
cp "$build/install_manifest.txt" "$prefix.list"
if [ -f "$prefix.keep" ]; then mv "$prefix.keep" "$build/install_manifest.txt"; else rm -f "$build/install_manifest.txt"; fi
libdir=$(ls -d "$prefix"/lib* | head -n 1)
for f in "$prefix/include/uslab.h" "$libdir/libuslab.so" "$libdir/libuslab.a" \
         "$libdir/pkgconfig/uslab.pc" "$prefix/bin/slabinfo" "$libdir/libuslab-malloc.so" \
         "$libdir/libuslab-malloc.a" "$libdir/pkgconfig/uslab-malloc.pc" \
         "$libdir/cmake/uslab/uslabConfig.cmake" "$libdir/cmake/uslab/uslabConfigVersion.cmake" \
         "$prefix/share/man/man7/uslab.7" "$prefix/share/man/man7/libuslab-malloc.7" \
         "$prefix/share/man/man1/slabinfo.1" "$prefix/share/man/man3/kmem_cache_create.3" \
         "$prefix/share/man/man3/kmalloc.3" "$prefix/share/man/man3/kfree.3" \
         "$prefix/share/man/man3/kmem_cache_alloc.3" "$libdir/pkgconfig/uslab-kernel.pc" \
         "$prefix/include/uslab/kernel/linux/slab.h" "$prefix/include/uslab/kernel/linux/gfp.h" \
         "$prefix/include/uslab/kernel/linux/gfp_types.h" \
         "$prefix/include/uslab/kernel/linux/mempool.h" \
         "$prefix/include/uslab/kernel/linux/shrinker.h"; do
  [ -e "$f" ] || { echo "missing after install: $f"; exit 1; }
done
# Every installed library exports the public API and nothing else: each
# global symbol it defines is declared in uslab.h (libuslab-malloc adds
# the malloc family); the static ones export what the shared ones do.
malloc_family="malloc free calloc realloc reallocarray posix_memalign aligned_alloc memalign
  valloc pvalloc malloc_usable_size malloc_trim malloc_stats mallinfo mallinfo2 mallopt
  free_sized free_aligned_sized cfree"
syms() {
  case "$1" in
    # Defined, global or weak, default visibility: what another object can
    # bind to (the linker lists hidden ones such as __start_uslab_entry too).
    *.so) readelf --dyn-syms -W "$1" |
            awk '$5 ~ /^(GLOBAL|WEAK)$/ && $6 == "DEFAULT" && $7 != "UND" { sub(/@.*/, "", $8); print $8 }' ;;
    *) nm -g --defined-only "$1" | awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' ;;
  esac | sort -u
}
# The headers: uslab.h and the kernel-style ones it includes, where a
# kernel name F is declared once as USLAB_KFN(..., F, ...) for both F and
# uslab_F.
headers="$prefix/include/uslab.h $(find "$prefix/include/uslab" -name '*.h')"
for lib in libuslab.so libuslab.a libuslab-malloc.so libuslab-malloc.a; do
  n=0
  for s in $(syms "$libdir/$lib"); do
    n=$((n + 1))
    grep -qw -- "$s" $headers && continue
    grep -q "^USLAB_KFN([^,]*, ${s#uslab_}," $headers && continue
    case "$lib" in
      libuslab-malloc*) case " $(echo $malloc_family) " in *" $s "*) continue ;; esac ;;
    esac
    echo "$lib exports $s, which is not in uslab.h"; exit 1
  done
  [ "$n" -gt 50 ] || { echo "$lib exports only $n symbols"; exit 1; }
done
[ "$(syms "$libdir/libuslab.a")" = "$(syms "$libdir/libuslab.so")" ] ||
  { echo "libuslab.a and libuslab.so export different symbols"; exit 1; }
# Each kernel name is a weak alias of its uslab_ name: same address.
readelf --dyn-syms -W "$libdir/libuslab.so" |
  awk '$6 == "DEFAULT" && $7 != "UND" { sub(/@.*/, "", $8); bind[$8] = $5; addr[$8] = $2 }
       END { n = 0
             for (s in addr) {
               if (s ~ /^uslab_/ || !(("uslab_" s) in addr)) continue
               n++
               if (bind[s] != "WEAK" || addr[s] != addr["uslab_" s]) { print "bad alias " s; exit 1 }
             }
             if (n < 70) { print "only " n " kernel names"; exit 1 } }' ||
  { echo "libuslab.so: a kernel name that is not a weak alias"; exit 1; }
for s in $(syms "$libdir/libuslab.so"); do
  case "$s" in uslab_*) continue ;; esac
  case " $(syms "$libdir/libuslab.so" | tr '\n' ' ') " in *" uslab_$s "*) ;;
    *) echo "libuslab.so exports $s without uslab_$s"; exit 1 ;; esac
done
# A program with its own report_bug and discard_slab links the static library.
cat >"$prefix/clash.c" <<'EOF2'
#include <uslab.h>
int report_bug(void) { return 1; }
int discard_slab = 2;
int main(void)
{
	void *p = kmalloc(10, GFP_KERNEL);

	kfree(p);
	return p && report_bug() + discard_slab == 3 ? 0 : 1;
}
EOF2
cc -I"$prefix/include" -o "$prefix/clash" "$prefix/clash.c" "$libdir/libuslab.a" -lpthread
"$prefix/clash"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# pkg-config's prefix is the configured one; point it at the test prefix.
pc="pkg-config --define-variable=prefix=$prefix"
# A kernel-style source through the kernel-style headers (uslab-kernel.pc),
# with uslab.h after them; and a program with its own kmalloc and
# kmem_cache_* (a kernel test harness) that reaches uslab's through the
# prefixed names, linked shared and static.
cat >"$prefix/k.c" <<'EOF2'
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mempool.h>
#include <linux/shrinker.h>
#include <uslab.h>
struct item { int key; };
int main(void)
{
	struct kmem_cache_args args = { .align = 16 };
	struct kmem_cache *s = kmem_cache_create("item", sizeof(struct item), &args, 0);
	mempool_t *pool = mempool_create_slab_pool(2, s);
	struct item *i = mempool_alloc(pool, GFP_KERNEL);
	void *p = kmalloc(64, GFP_KERNEL);

	mempool_free(i, pool);
	mempool_destroy(pool);
	kmem_cache_destroy(s);
	kfree(p);
	return i && p && gfpflags_allow_blocking(GFP_KERNEL) && !gfpflags_allow_blocking(GFP_NOWAIT) &&
	       ((uintptr_t)i & 15) == 0 ? 0 : 1;
}
EOF2
cc -Wall -Wextra -Werror -o "$prefix/k-shared" "$prefix/k.c" $($pc --cflags --libs uslab-kernel)
LD_LIBRARY_PATH="$libdir" "$prefix/k-shared"
cat >"$prefix/harness.c" <<'EOF2'
#define USLAB_NO_CREATE_MACRO
#include <stdio.h>
#include <linux/slab.h>
/* The harness's own allocator: counts, then hands over to uslab. */
static int allocs, frees, creates;
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	creates++;
	return uslab_kmem_cache_create(name, size, align, flags, ctor);
}
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	allocs++;
	return uslab_kmem_cache_alloc(s, gfp);
}
void kmem_cache_free(struct kmem_cache *s, void *p)
{
	frees++;
	uslab_kmem_cache_free(s, p);
}
void *kmalloc(size_t size, gfp_t gfp)
{
	allocs++;
	return uslab_kmalloc(size, gfp);
}
void kfree(const void *p)
{
	frees++;
	uslab_kfree(p);
}
int main(void)
{
	struct kmem_cache *s = kmem_cache_create("h", 40, 0, 0, NULL);
	void *o = kmem_cache_alloc(s, GFP_KERNEL), *p = kmalloc(100, GFP_KERNEL);
	/* uslab's own kcalloc and kmemdup use uslab's kmalloc, not ours. */
	char *d = kmemdup("abc", 4, GFP_KERNEL);

	kmem_cache_free(s, o);
	kfree(p);
	uslab_kfree(d);
	kmem_cache_destroy(s);
	printf("creates %d allocs %d frees %d\n", creates, allocs, frees);
	return creates == 1 && allocs == 2 && frees == 2 && o && p && d ? 0 : 1;
}
EOF2
cc -Wall -Wextra -Werror -o "$prefix/harness-shared" "$prefix/harness.c" $($pc --cflags --libs uslab-kernel)
LD_LIBRARY_PATH="$libdir" "$prefix/harness-shared"
cc -Wall -Wextra -Werror -o "$prefix/harness-static" "$prefix/harness.c" $($pc --cflags uslab-kernel) \
   "$libdir/libuslab.a" -lpthread
"$prefix/harness-static"
# USLAB_PREFIXED_ONLY: a file whose own kmalloc and kfree differ from the
# kernel's still sees uslab's prefixed names.
cat >"$prefix/prefixed.c" <<'EOF2'
#define USLAB_PREFIXED_ONLY
#include <uslab.h>
static int kfree(int how) { return how; }
static long kmalloc;
int main(void)
{
	void *p = uslab_kmalloc(8, GFP_KERNEL);

	uslab_kfree(p);
	return p && !kfree(0) && !kmalloc ? 0 : 1;
}
EOF2
cc -Wall -Wextra -Werror -o "$prefix/harness-prefixed" "$prefix/prefixed.c" $($pc --cflags --libs uslab)
LD_LIBRARY_PATH="$libdir" "$prefix/harness-prefixed"
cc -o "$prefix/prog-shared" "$prog" $($pc --cflags --libs uslab)
LD_LIBRARY_PATH="$libdir" "$prefix/prog-shared"
cc -o "$prefix/prog-static" "$prog" $($pc --cflags uslab) "$libdir/libuslab.a" $($pc --static --libs-only-l uslab | sed 's/-luslab//')
"$prefix/prog-static"
# The static program does not need the shared library.
if ldd "$prefix/prog-static" | grep -q libuslab; then
  echo "static program links libuslab.so"; exit 1
fi
# malloc itself from the installed libuslab-malloc: linked (-luslab-malloc)
# and preloaded into a program that knows nothing of uslab.
cat >"$prefix/m.c" <<'EOF2'
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
	void *p = malloc(100);
	size_t n = malloc_usable_size(p);   /* 112 from kmalloc-112; glibc says 104 */
	free(p);
	printf("usable %zu\n", n);
	return n == 112 ? 0 : 1;
}
EOF2
cc -fno-builtin -o "$prefix/m-linked" "$prefix/m.c" $($pc --cflags --libs uslab-malloc)
LD_LIBRARY_PATH="$libdir" "$prefix/m-linked"
cc -fno-builtin -o "$prefix/m-plain" "$prefix/m.c"
LD_PRELOAD="$libdir/libuslab-malloc.so" "$prefix/m-plain"
if "$prefix/m-plain" >/dev/null; then
  echo "glibc's malloc_usable_size(malloc(100)) should not be 112"; exit 1
fi
# RCU from the installed flavour library (liburcu's memb): a cache of
# type-stable memory and kfree_rcu, through pkg-config, with libuslab.
if [ -e "$libdir/libuslab-rcu.so" ]; then
  for f in "$prefix/include/uslab_rcu.h" "$libdir/pkgconfig/uslab-rcu.pc" "$libdir/libuslab-rcu.a" \
           "$libdir/libuslab-rcu-qsbr.so" "$libdir/libuslab-rcu-bp.so" "$libdir/libuslab-rcu-mb.so"; do
    [ -e "$f" ] || { echo "missing after install: $f"; exit 1; }
  done
  [ "$(syms "$libdir/libuslab-rcu.so")" = "uslab_rcu_init" ] ||
    { echo "libuslab-rcu.so exports: $(syms "$libdir/libuslab-rcu.so")"; exit 1; }
  cat >"$prefix/r.c" <<'EOF2'
#include <urcu.h>
#include <stdio.h>
#include <string.h>
#include <uslab_rcu.h>
struct obj { long v; struct rcu_head rh; };
int main(void)
{
	struct kmem_cache *s = kmem_cache_create("obj", sizeof(struct obj), 0, SLAB_TYPESAFE_BY_RCU, NULL);
	struct obj *o = kmem_cache_alloc(s, GFP_KERNEL), *k = kmalloc(sizeof(*k), GFP_KERNEL);
	const char *f = uslab_rcu_flavour_name();

	rcu_register_thread();
	kmem_cache_free(s, o);
	kfree_rcu(k, rh);
	kvfree_rcu_barrier();
	kmem_cache_destroy(s);
	rcu_unregister_thread();
	printf("flavour %s\n", f ? f : "none");
	return f && !strcmp(f, "memb") ? 0 : 1;
}
EOF2
  cc -o "$prefix/r-shared" "$prefix/r.c" $($pc --cflags --libs uslab-rcu uslab)
  LD_LIBRARY_PATH="$libdir" "$prefix/r-shared"
fi
# One version everywhere: the header's macros, the library, pkg-config,
# the CMake package.
header_version=$(sed -n 's/^#define USLAB_VERSION_STRING "\(.*\)"$/\1/p' "$prefix/include/uslab.h")
for pcname in uslab uslab-malloc; do
  v=$($pc --modversion $pcname)
  [ "$v" = "$header_version" ] || { echo "$pcname.pc says $v, uslab.h $header_version"; exit 1; }
done
cat >"$prefix/v.c" <<'EOF2'
#include <stdio.h>
#include <string.h>
#include <uslab.h>
int main(void)
{
	printf("%s\n", uslab_version());
	return strcmp(uslab_version(), USLAB_VERSION_STRING) ||
	       USLAB_VERSION_NUMBER != USLAB_VERSION_MAJOR * 10000 + USLAB_VERSION_MINOR * 100 +
					       USLAB_VERSION_PATCH;
}
EOF2
# CMake users: find_package(uslab CONFIG) and its imported targets.
mkdir -p "$prefix/cmake-user"
cp "$prog" "$prefix/cmake-user/prog.c"
cp "$prefix/v.c" "$prefix/m.c" "$prefix/k.c" "$prefix/cmake-user/"
cat >"$prefix/cmake-user/CMakeLists.txt" <<EOF2
cmake_minimum_required(VERSION 3.16)
project(uslab_user C)
find_package(uslab $header_version CONFIG REQUIRED)
if(NOT uslab_VERSION STREQUAL "$header_version")
  message(FATAL_ERROR "uslab_VERSION is \${uslab_VERSION}")
endif()
add_executable(prog-shared prog.c)
target_link_libraries(prog-shared uslab::uslab)
add_executable(prog-static prog.c)
target_link_libraries(prog-static uslab::uslab_static)
add_executable(k-cmake k.c)
target_link_libraries(k-cmake uslab::kernel uslab::uslab)
add_executable(version v.c)
target_link_libraries(version uslab::uslab)
add_executable(m-linked m.c)
target_compile_options(m-linked PRIVATE -fno-builtin)
target_link_libraries(m-linked uslab::malloc)
add_executable(m-static m.c)
target_compile_options(m-static PRIVATE -fno-builtin)
target_link_libraries(m-static uslab::malloc_static)
EOF2
if [ -e "$libdir/libuslab-rcu.so" ]; then
  cp "$prefix/r.c" "$prefix/cmake-user/"
  cat >>"$prefix/cmake-user/CMakeLists.txt" <<'EOF2'
add_executable(r-cmake r.c)
target_link_libraries(r-cmake uslab::rcu uslab::uslab)
EOF2
fi
cmake -S "$prefix/cmake-user" -B "$prefix/cmake-user/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-user/build" >/dev/null
rprog=""
[ -e "$libdir/libuslab-rcu.so" ] && rprog=r-cmake
for p in prog-shared version m-linked k-cmake $rprog; do
  LD_LIBRARY_PATH="$libdir" "$prefix/cmake-user/build/$p" >/dev/null || { echo "cmake-built $p failed"; exit 1; }
done
for p in prog-static m-static; do
  "$prefix/cmake-user/build/$p" >/dev/null || { echo "cmake-built $p failed"; exit 1; }
  if ldd "$prefix/cmake-user/build/$p" | grep -q libuslab; then
    echo "cmake-built $p links a shared uslab"; exit 1
  fi
done
# A major version that does not exist is refused.
sed -i "s/find_package(uslab [^ ]* CONFIG REQUIRED)/find_package(uslab 99 CONFIG REQUIRED)/" \
  "$prefix/cmake-user/CMakeLists.txt"
if cmake -S "$prefix/cmake-user" -B "$prefix/cmake-user/build99" -DCMAKE_PREFIX_PATH="$prefix" \
     >/dev/null 2>&1; then
  echo "find_package(uslab 99) succeeded"; exit 1
fi
# make uninstall's script removes every installed file and nothing else.
rm -rf "$prefix/cmake-user" "$prefix"/*.c "$prefix"/prog-* "$prefix"/m-* "$prefix"/r-* "$prefix"/clash \
       "$prefix"/k-* "$prefix"/harness-*
sh "$(dirname "$0")/../scripts/uninstall.sh" "$prefix.list" >/dev/null
left=$(find "$prefix" -type f)
[ ! -d "$prefix/include/uslab" ] || { echo "left after uninstall: $prefix/include/uslab"; exit 1; }
[ -z "$left" ] || { echo "left after uninstall: $left"; exit 1; }
echo "install test passed"
