#!/bin/sh
# layers.sh OBJDIR... - the layering rule, checked on the built objects:
# every call or data reference between files of src/ goes to a layer
# below (or to the same folder).  The one exception is the library's
# start (base/start.h: uslab_init_slow, uslab_initialised), which every
# entry point reaches.  Prints each edge that breaks the rule.
set -eu
NM=${NM:-nm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dir in "$@"; do
	find "$dir" -name '*.c.o' | while read -r obj; do
		# .../src/<layer>/<file>.c.o
		layer=$(basename "$(dirname "$obj")")
		file=$(basename "$obj" .c.o)
		[ "$layer" != src ] || continue     # objects of an older tree
		$NM --defined-only "$obj" | awk -v l="$layer" -v f="$file" \
			'$2 ~ /^[TDBRV]$/ { print $3, l, f }' >>"$tmp/defs"
		$NM -u "$obj" | awk -v l="$layer" -v f="$file" '{ print $2, l, f }' >>"$tmp/uses"
	done
done
[ -s "$tmp/defs" ] || { echo "layers.sh: no objects under $*"; exit 2; }
awk '
BEGIN {
	n = split("base page core slub:unified:debug cache kmalloc introspect malloc lib", lv, " ")
	for (i = 1; i <= n; i++) { m = split(lv[i], same, ":"); for (j = 1; j <= m; j++) rank[same[j]] = i }
	allowed["uslab_init_slow"] = allowed["uslab_initialised"] = 1
}
NR == FNR { layer[$1] = $2; file[$1] = $3; next }
($1 in layer) && !($1 in allowed) {
	to = layer[$1]; from = $2
	if (!(from in rank) || !(to in rank)) { print "unknown layer: " from " or " to; bad++; next }
	if (rank[to] > rank[from] || (rank[to] == rank[from] && to != from)) {
		print from "/" $3 " -> " to "/" file[$1] ": " $1; bad++
	}
}
END { if (bad) { print bad " reference(s) against the layers"; exit 1 } print "layers: every reference goes down" }
' "$tmp/defs" "$tmp/uses"
