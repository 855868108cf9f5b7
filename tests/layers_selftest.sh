#!/bin/sh
# layers_selftest.sh CC - layers.sh must catch what goes up: base/a calls
# cache/b (an upward call), a weak definition called from below, an object
# outside the folders, an include of an upper header; and pass what goes
# down.
set -eu
cc=$1
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mk() {    # mk DIR/src/LAYER/NAME 'code'
	mkdir -p "$(dirname "$1")"
	echo "$2" >"$tmp/x.c"
	$cc -c "$tmp/x.c" -o "$1.c.o"
}
expect_fail() {   # expect_fail WHAT LINE layers.sh-args...
	what=$1 line=$2
	shift 2
	if out=$(sh "$here/layers.sh" "$@"); then
		fail "$what passed: $out"
	fi
	echo "$out" | grep -qxF "$line" || fail "$what: wrong report: $out"
}

mk "$tmp/up/src/base/a" 'void upper(void); void lower(void) { upper(); }'
mk "$tmp/up/src/cache/b" 'void upper(void) {}'
expect_fail "an upward call" "base/a -> cache/b: upper" "$tmp"/up/src/*/*.o

mk "$tmp/weak/src/base/a" 'void upper(void); void lower(void) { upper(); }'
mk "$tmp/weak/src/cache/b" '__attribute__((weak)) void upper(void) {}'
expect_fail "an upward call to a weak function" "base/a -> cache/b: upper" "$tmp"/weak/src/*/*.o

mk "$tmp/top/src/e" 'void upper(void); void lower(void) { upper(); }'
mk "$tmp/top/src/cache/b" 'void upper(void) {}'
expect_fail "an object outside the folders" "object outside the layers: src/e" \
	"$tmp"/top/src/*.o "$tmp"/top/src/*/*.o

mkdir -p "$tmp/inc/src/core" "$tmp/inc/src/kmalloc"
echo '#include "kmalloc/kmalloc.h"' >"$tmp/inc/src/core/x.c"
echo '#include "core/slab.h"' >"$tmp/inc/src/kmalloc/y.c"
mk "$tmp/inc/src/base/a" 'void lower(void) {}'
expect_fail "an include of an upper header" "core/x.c includes kmalloc/kmalloc.h" \
	--src "$tmp/inc/src" "$tmp"/inc/src/base/*.o

mk "$tmp/down/src/base/a" 'void lower(void) {}'
mk "$tmp/down/src/cache/b" 'void lower(void); void upper(void) { lower(); }'
sh "$here/layers.sh" "$tmp"/down/src/*/*.o >/dev/null || fail "a downward call was refused"
echo "layers self-test: passed"
