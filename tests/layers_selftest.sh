#!/bin/sh
# layers_selftest.sh CC - layers.sh must catch a reference that goes up:
# base/a calls cache/b (fails), cache/b calls base/a (passes).
set -eu
cc=$1
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/up/src/base" "$tmp/up/src/cache" "$tmp/down/src/base" "$tmp/down/src/cache"
echo 'void upper(void); void lower(void) { upper(); }' >"$tmp/a.c"
echo 'void upper(void) {}' >"$tmp/b.c"
$cc -c "$tmp/a.c" -o "$tmp/up/src/base/a.c.o"
$cc -c "$tmp/b.c" -o "$tmp/up/src/cache/b.c.o"
echo 'void lower(void) {}' >"$tmp/c.c"
echo 'void lower(void); void upper(void) { lower(); }' >"$tmp/d.c"
$cc -c "$tmp/c.c" -o "$tmp/down/src/base/a.c.o"
$cc -c "$tmp/d.c" -o "$tmp/down/src/cache/b.c.o"
if out=$(sh "$here/layers.sh" "$tmp/up"); then
	echo "FAIL: an upward call passed: $out"
	exit 1
fi
echo "$out" | grep -q '^base/a -> cache/b: upper$' || { echo "FAIL: wrong report: $out"; exit 1; }
sh "$here/layers.sh" "$tmp/down" >/dev/null || { echo "FAIL: a downward call was refused"; exit 1; }
echo "layers self-test: passed"
