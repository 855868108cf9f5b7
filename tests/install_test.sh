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
