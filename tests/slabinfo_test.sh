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

"$slabinfo" -o "$d/listing" -- sh -c "echo PROGRAM OUTPUT; exec \"$prog\"" >"$d/out2" 2>"$d/err2"
[ "$(cat "$d/out2")" = "PROGRAM OUTPUT" ] || fail "-o: the program's output is not on stdout"
grep -q '^kmalloc-128 ' "$d/listing" || fail "-o: no listing in the file"
grep -q 'PROGRAM OUTPUT' "$d/listing" && fail "-o: the program's output went into the listing"

# Two reports appended to one file: the last is shown, and said.
USLAB_STATS=raw USLAB_STATS_FILE="$d/two" "$prog"
USLAB_STATS=raw USLAB_STATS_FILE="$d/two" "$prog"
"$slabinfo" -f "$d/two" >"$d/out3" 2>"$d/err3"
grep -q '^slabinfo: 2 reports in the input; showing the last, of pid [0-9]* (' "$d/err3" ||
	fail "two reports: $(cat "$d/err3")"
[ "$(grep -c '^kmalloc-128 ' "$d/out3")" -eq 1 ] || fail "two reports: a cache listed twice"

# quiet.sh passes a failure on.
rc=0
sh "$(dirname "$0")/../scripts/quiet.sh" "$d/q.log" "a step" false 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "quiet.sh turned a failure into status $rc"
echo "slabinfo test passed"
