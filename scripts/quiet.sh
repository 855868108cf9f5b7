#!/bin/sh
# quiet.sh LOG WHAT COMMAND... - runs COMMAND with its output in LOG; on
# success prints nothing, on failure the last lines of LOG and its name,
# and exits with COMMAND's status.  Keeps the screen of make run and make
# test for what matters.
set -u
log=$1 what=$2
shift 2
mkdir -p "$(dirname "$log")"
rc=0
"$@" >"$log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] && exit 0
echo "$what failed (exit status $rc); the last lines of $log:" >&2
tail -n 25 "$log" >&2
echo "(the whole output is in $log)" >&2
exit "$rc"
