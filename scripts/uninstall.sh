#!/bin/sh
# uninstall.sh LIST - removes the files that make install listed in LIST
# (a copy of CMake's install_manifest.txt), and the package directory
# lib/cmake/uslab when it is left empty; then refreshes the linker cache.
set -eu
list=$1
[ -f "$list" ] || { echo "nothing to uninstall: no $list (make install writes it)"; exit 1; }
failed=0
# (The last line may lack its newline: read sees it too.)
while IFS= read -r f || [ -n "$f" ]; do
	[ -n "$f" ] || continue
	if [ -e "$f" ] || [ -L "$f" ]; then
		if rm -f "$f"; then echo "removed $f"; else failed=1; fi
	fi
	case "$f" in */cmake/uslab/*) rmdir "$(dirname "$f")" 2>/dev/null || true ;; esac
	# The kernel-style headers' directories, once empty.
	case "$f" in */include/uslab/kernel/*)
		d=$(dirname "$f")
		while case "$d" in */include/uslab*) true ;; *) false ;; esac; do
			rmdir "$d" 2>/dev/null || break
			d=$(dirname "$d")
		done ;;
	esac
done <"$list"
sh "$(dirname "$0")/ldconfig.sh" --quiet "$list"
if [ "$failed" -ne 0 ]; then
	echo "uninstall: some files could not be removed (as root: sudo make uninstall); $list is kept" >&2
	exit 1
fi
rm -f "$list"
