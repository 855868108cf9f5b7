#!/bin/sh
# exit_report_test.sh PROG - USLAB_STATS at exit: the report reaches the
# user although the program closed stderr, names the process, follows
# %p/%e in USLAB_STATS_FILE, is appended (never truncates another
# process's), and a report that cannot be written is said.
set -eu
prog=$1
name=$(basename "$prog")
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. stderr closed by the program's own atexit handler.
USLAB_STATS=1 "$prog" close-stderr 2>"$d/err1"
grep -q "^# uslab report at exit of pid [0-9]* ($name)\$" "$d/err1" || fail "no header: $(head -3 "$d/err1")"
grep -q '^slabinfo - version: 2.1$' "$d/err1" || fail "no slabinfo report on the saved stderr"

# 2. %e and %p.
USLAB_STATS=1 USLAB_STATS_FILE="$d/r-%e-%p.txt" "$prog"
set -- "$d"/r-"$name"-*.txt
[ $# -eq 1 ] && [ -f "$1" ] || fail "USLAB_STATS_FILE with %e-%p made: $(ls "$d")"
pid=${1##*-}; pid=${pid%.txt}
grep -q "^# uslab report at exit of pid $pid ($name)\$" "$1" || fail "the file's header does not name pid $pid"

# 3. Two processes, one file: both reports, whole.
USLAB_STATS=1 USLAB_STATS_FILE="$d/all.txt" "$prog"
USLAB_STATS=1 USLAB_STATS_FILE="$d/all.txt" "$prog"
[ "$(grep -c '^# uslab report at exit of pid' "$d/all.txt")" -eq 2 ] || fail "a report was overwritten"
[ "$(grep -c '^slabinfo - version: 2.1$' "$d/all.txt")" -eq 2 ] || fail "a report is not whole"
[ "$(grep '^# uslab report' "$d/all.txt" | sort -u | wc -l)" -eq 2 ] || fail "the two reports name one pid"

# 4. A file that cannot take the report.
if [ -w /dev/full ]; then
	USLAB_STATS=1 USLAB_STATS_FILE=/dev/full "$prog" 2>"$d/err4"
	grep -q '^uslab: the report at exit could not be written to /dev/full: No space left on device$' \
		"$d/err4" || fail "/dev/full: $(cat "$d/err4")"
fi

# 5. A path that cannot be opened: said, and the report goes to stderr.
USLAB_STATS=1 USLAB_STATS_FILE="$d/no/such/dir/r.txt" "$prog" 2>"$d/err5"
grep -q "^uslab: USLAB_STATS_FILE $d/no/such/dir/r.txt: No such file or directory; the report goes to standard error\$" \
	"$d/err5" || fail "bad path: $(head -2 "$d/err5")"
grep -q '^slabinfo - version: 2.1$' "$d/err5" || fail "bad path: no report on stderr"
# 6. A FIFO without a reader does not hold the exit: refused, said.
mkfifo "$d/fifo"
USLAB_STATS=1 USLAB_STATS_FILE="$d/fifo" timeout 20 "$prog" 2>"$d/err6" || fail "FIFO: exit status $?"
grep -q "^uslab: USLAB_STATS_FILE $d/fifo: " "$d/err6" || fail "FIFO: $(head -2 "$d/err6")"

# 7. fd 2 closed and its number reused by a file of the program: the
#    report does not go into that file.
echo "precious" >"$d/precious"
USLAB_STATS=1 "$prog" close-stderr 2>"$d/err7" 9>>"$d/precious"
[ "$(cat "$d/precious")" = "precious" ] || fail "a file of the program got the report"
echo "exit report test passed"
