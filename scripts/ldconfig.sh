#!/bin/sh
# ldconfig.sh MANIFEST - after make install / make uninstall: when the
# libraries' directory is one the dynamic linker searches (/usr/lib,
# /usr/local/lib and the directories of /etc/ld.so.conf), refresh its
# cache (as root) so that programs and LD_PRELOAD=libuslab-malloc.so find
# the libraries by name; otherwise say which variables a private prefix
# needs (not with --quiet: after make uninstall).
set -eu
quiet=""
[ "$1" != --quiet ] || { quiet=1; shift; }
manifest=$1
lib=$(grep '/libuslab\.so\.[0-9]*$' "$manifest" | head -n 1) || true
[ -n "$lib" ] || exit 0
libdir=$(dirname "$lib")
searched() {
	for d in /lib /usr/lib /lib64 /usr/lib64; do
		[ "$1" = "$d" ] && return 0
	done
	# The directories of ld.so.conf (and the files it includes), as
	# ldconfig reads them; -N: no cache rebuilt, -v: the directories.
	ldconfig -N -v 2>/dev/null | grep -q "^$1:"
}
if searched "$libdir"; then
	if [ "$(id -u)" -eq 0 ]; then
		ldconfig
	else
		echo "run ldconfig as root so that the dynamic linker finds the libraries of $libdir"
	fi
elif [ -z "$quiet" ]; then
	prefix=${libdir%/*}
	echo "$libdir is not searched by the dynamic linker; to use this prefix:"
	echo "  export LD_LIBRARY_PATH=$libdir    # or build with -Wl,-rpath,$libdir"
	echo "  export PKG_CONFIG_PATH=$libdir/pkgconfig"
	echo "  export CMAKE_PREFIX_PATH=$prefix"
fi
