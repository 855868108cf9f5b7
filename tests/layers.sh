#!/bin/sh
# layers.sh [--src DIR] OBJECT... - the layering rule of docs/DESIGN.md:
#  - every call or data reference between the library's object files goes
#    to a layer below, or within the same folder (nm: defined T D B R V W
#    C i, referenced U w v);
#  - with --src, every #include "folder/file.h" of DIR's files names the
#    same folder or one below (headers carry inline functions and macros
#    that no symbol shows).
# An object or file outside the known folders is an error.  The one
# exception is the library's start (base/start.h: uslab_init_slow,
# uslab_initialised), which every entry point reaches.  Prints each
# reference that breaks the rule.
set -eu
NM=${NM:-nm}
src=""
if [ "${1:-}" = --src ]; then
	src=$2
	shift 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/defs"
: >"$tmp/uses"
: >"$tmp/incs"
for obj in "$@"; do
	case "$obj" in
	*.o) ;;
	*) continue ;;
	esac
	# .../src/<layer>/<file>.c.o
	layer=$(basename "$(dirname "$obj")")
	file=$(basename "$obj" .o)
	file=${file%.c}
	$NM --defined-only "$obj" >"$tmp/nm" || { echo "layers.sh: nm failed on $obj"; exit 2; }
	awk -v l="$layer" -v f="$file" '$2 ~ /^[TDBRVWCi]$/ { print $3, l, f }' "$tmp/nm" >>"$tmp/defs"
	$NM -u "$obj" >"$tmp/nm" || { echo "layers.sh: nm failed on $obj"; exit 2; }
	awk -v l="$layer" -v f="$file" '{ print $NF, l, f }' "$tmp/nm" >>"$tmp/uses"
done
[ -s "$tmp/defs" ] || { echo "layers.sh: no objects among $*"; exit 2; }
if [ -n "$src" ]; then
	for f in "$src"/*/*.c "$src"/*/*.h; do
		[ -f "$f" ] || continue
		layer=$(basename "$(dirname "$f")")
		sed -n 's/^#include "\([a-z_]*\)\/\([a-z_]*\)\.h".*/\1 \2/p' "$f" |
			while read -r to header; do
				echo "$to $layer $(basename "$f") $header"
			done >>"$tmp/incs"
	done
	for f in "$src"/*.c "$src"/*.h; do
		[ -f "$f" ] && echo "include-file-outside-layers src $(basename "$f") -" >>"$tmp/incs"
	done
fi
awk '
BEGIN {
	n = split("base page core slub:unified:debug cache kmalloc mempool introspect malloc lib", lv, " ")
	for (i = 1; i <= n; i++) { m = split(lv[i], same, ":"); for (j = 1; j <= m; j++) rank[same[j]] = i }
	allowed["uslab_init_slow"] = allowed["uslab_initialised"] = 1
}
function up(from, to) {
	return rank[to] > rank[from] || (rank[to] == rank[from] && to != from)
}
FILENAME ~ /defs$/ {
	if (!($2 in rank)) { print "object outside the layers: " $2 "/" $3; bad++ }
	layer[$1] = $2; file[$1] = $3; next
}
FILENAME ~ /uses$/ {
	if (($1 in layer) && !($1 in allowed) && up($2, layer[$1])) {
		print $2 "/" $3 " -> " layer[$1] "/" file[$1] ": " $1; bad++
	}
	next
}
{
	if (!($2 in rank)) { print "file outside the layers: " $2 "/" $3; bad++; next }
	if (!($1 in rank)) { print $2 "/" $3 " includes " $1 "/" $4 ".h: not a layer"; bad++; next }
	if (up($2, $1)) { print $2 "/" $3 " includes " $1 "/" $4 ".h"; bad++ }
}
END { if (bad) { print bad " reference(s) against the layers"; exit 1 } print "layers: every reference goes down" }
' "$tmp/defs" "$tmp/uses" "$tmp/incs"
