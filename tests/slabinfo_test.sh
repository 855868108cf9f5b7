#!/bin/sh
# slabinfo_test.sh SLABINFO PROG - the slabinfo tool as a newcomer meets
# it: with nothing to read on a terminal it prints its usage (it does not
# wait on the terminal); running a program, its listing does not mix with
# the program's output (stderr, or -o FILE).
set -eu
slabinfo=$1 prog=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# A terminal on stdin (script(1) gives it one), nothing else.
if command -v script >/dev/null 2>&1; then
	timeout 20 script -qec "$slabinfo" /dev/null </dev/null >"$d/tty" 2>&1 || true
	grep -q '^usage: slabinfo' "$d/tty" || fail "no usage on a terminal: $(head -3 "$d/tty")"
fi

"$slabinfo" -- sh -c "echo PROGRAM OUTPUT; exec \"$prog\"" >"$d/out" 2>"$d/err"
[ "$(cat "$d/out")" = "PROGRAM OUTPUT" ] || fail "stdout holds more than the program's: $(head -3 "$d/out")"
grep -q '^Name ' "$d/err" || fail "no listing on stderr: $(head -3 "$d/err")"
grep -q '^kmalloc-128 ' "$d/err" || fail "the listing misses kmalloc-128"

"$slabinfo" -o "$d/listing" -- "$prog" >"$d/out2" 2>"$d/err2"
[ ! -s "$d/out2" ] || fail "-o: stdout not empty"
grep -q '^kmalloc-128 ' "$d/listing" || fail "-o: no listing in the file"
echo "slabinfo test passed"
