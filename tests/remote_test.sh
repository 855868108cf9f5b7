#!/bin/sh
# remote_test.sh SLABINFO PROG-SHARED PROG-STATIC - slabinfo -p PID: the
# live figures of a running program, read from outside, are the ones it
# reports about itself; a program linked statically (and stripped) is
# read too; the refusals each have their own message.
set -u
slabinfo=$1
d=$(mktemp -d)
pids=""
cleanup() {
	exec 3>&- 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$d"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# start NAME PROG: runs PROG until fd 3 is closed; sets $pid.
start() {
	rm -f "$d/in"
	mkfifo "$d/in"
	"$2" "$d/$1.self" <"$d/in" >"$d/$1.out" &
	pid=$!
	pids="$pids $pid"
	exec 3>"$d/in"
	tries=0
	until grep -q ready "$d/$1.out" 2>/dev/null; do
		tries=$((tries + 1))
		[ $tries -lt 400 ] && kill -0 "$pid" 2>/dev/null || fail "$1 did not get ready"
		sleep 0.05
	done
}

cp "$3" "$d/stripped" && strip "$d/stripped"
for variant in shared:"$2" static:"$3" stripped:"$d/stripped"; do
	name=${variant%%:*} prog=${variant#*:}
	start "$name" "$prog"
	"$slabinfo" -p "$pid" -R >"$d/$name.remote" 2>"$d/$name.err" || fail "$name: $(cat "$d/$name.err")"
	grep -E '^(cache|alias) ' "$d/$name.self" >"$d/$name.a"
	grep -E '^(cache|alias) ' "$d/$name.remote" >"$d/$name.b"
	[ -s "$d/$name.a" ] || fail "$name: no report of its own"
	cmp -s "$d/$name.a" "$d/$name.b" || { diff "$d/$name.a" "$d/$name.b" | head; fail "$name: figures differ"; }
	"$slabinfo" -p "$pid" >"$d/$name.list" || fail "$name: no listing"
	grep -Eq '^remote_conn +1500 +120 ' "$d/$name.list" || fail "$name: listing: $(cat "$d/$name.list")"
	grep -Eq '^remote_req +400 +40 ' "$d/$name.list" || fail "$name: listing misses remote_req"
	exec 3>&-
	wait "$pid"
	echo "ok $name: $(wc -l <"$d/$name.b") lines identical"
done

# --watch ends, with a message, when the process does.
start watch "$2"
timeout 30 "$slabinfo" -p "$pid" --watch=0.2 -N 2 >"$d/watch" 2>&1 3>&- &
watcher=$!
tries=0
until [ "$(grep -c '^remote_conn ' "$d/watch")" -ge 2 ]; do
	tries=$((tries + 1)); [ $tries -lt 400 ] || fail "--watch did not refresh: $(cat "$d/watch")"
	sleep 0.05
done
exec 3>&-
wait "$pid"
wait "$watcher" || fail "--watch: exit status $?"
grep -q "^slabinfo: process $pid has exited$" "$d/watch" || fail "--watch: $(tail -2 "$d/watch")"
echo "ok watch"

# Refusals.
sleep 60 3>&- &
other=$!
pids="$pids $other"
out=$("$slabinfo" -p "$other" 2>&1) && fail "a process without uslab was read"
[ "$out" = "slabinfo: cannot read process $other: it does not use uslab (no uslab_remote_anchor in its objects)" ] ||
	fail "without uslab: $out"
kill "$other"
wait "$other" 2>/dev/null
out=$("$slabinfo" -p "$other" 2>&1) && fail "a process that is gone was read"
[ "$out" = "slabinfo: no process $other" ] || fail "no process: $out"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	start perm "$2"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$slabinfo" -p "$pid" 2>&1) &&
		fail "another user read the process"
	case "$out" in
	"slabinfo: cannot read process $pid: permission denied"*) ;;
	*) fail "another user: $out" ;;
	esac
	exec 3>&-
	echo "ok permission"
fi
echo "remote test passed"
