#!/bin/sh
# uninstall.sh LIST - removes the files that make install listed in LIST
# (a copy of CMake's install_manifest.txt), and the package directory
# lib/cmake/uslab when it is left empty; then refreshes the linker cache.
set -eu
list=$1
[ -f "$list" ] || { echo "nothing to uninstall: no $list (make install writes it)"; exit 1; }
{ cat "$list"; echo; } | sed '/^$/d' | while read -r f; do
	rm -f "$f" && echo "removed $f"
	case "$f" in */cmake/uslab/*) rmdir "$(dirname "$f")" 2>/dev/null || true ;; esac
done
sh "$(dirname "$0")/ldconfig.sh" --quiet "$list"
rm -f "$list"
