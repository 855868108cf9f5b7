#!/bin/sh
# Installs the build into a fresh prefix, then builds and runs a program
# against the installed copy through pkg-config, shared and static.
set -eu
build=$1
prog=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib* | head -n 1)
for f in "$prefix/include/uslab.h" "$libdir/libuslab.so" "$libdir/libuslab.a" \
         "$libdir/pkgconfig/uslab.pc" "$prefix/bin/slabinfo" "$libdir/libuslab-malloc.so" \
         "$libdir/libuslab-malloc.a" "$libdir/pkgconfig/uslab-malloc.pc"; do
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
    *.so) nm -D --defined-only "$1" ;;
    *) nm -g --defined-only "$1" ;;
  esac | awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' | sort -u
}
for lib in libuslab.so libuslab.a libuslab-malloc.so libuslab-malloc.a; do
  n=0
  for s in $(syms "$libdir/$lib"); do
    n=$((n + 1))
    grep -qw -- "$s" "$prefix/include/uslab.h" && continue
    case "$lib" in
      libuslab-malloc*) case " $(echo $malloc_family) " in *" $s "*) continue ;; esac ;;
    esac
    echo "$lib exports $s, which is not in uslab.h"; exit 1
  done
  [ "$n" -gt 50 ] || { echo "$lib exports only $n symbols"; exit 1; }
done
[ "$(syms "$libdir/libuslab.a")" = "$(syms "$libdir/libuslab.so")" ] ||
  { echo "libuslab.a and libuslab.so export different symbols"; exit 1; }
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
echo "install test passed"
