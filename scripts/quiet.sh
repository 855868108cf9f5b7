#!/bin/sh
# quiet.sh LOG WHAT COMMAND... - runs COMMAND with its output in LOG; on
# success prints nothing, on failure the last lines of LOG and its name.
# Keeps the screen of make run and make test for what matters.
set -u
log=$1 what=$2
shift 2
mkdir -p "$(dirname "$log")"
if "$@" >"$log" 2>&1; then
	exit 0
fi
rc=$?
echo "$what failed (exit status $rc); the last lines of $log:" >&2
tail -n 25 "$log" >&2
echo "(the whole output is in $log)" >&2
exit $rc
