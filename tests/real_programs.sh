#!/bin/sh
# real_programs.sh LIB SRC WORK [program...]
# Runs real programs twice, plainly and with LD_PRELOAD=LIB (libuslab-
# malloc.so), and fails unless each completes both times with identical
# output and uslab reported nothing.  Programs: python sqlite git gcc redis
# (default: all).  SRC is the project's source tree (its files and its git
# repository are the input); WORK a scratch directory.
set -u
LIB=$1 SRC=$2 WORK=$3
shift 3
[ $# -gt 0 ] || set -- python sqlite git gcc redis
REAL=$SRC/tests/real
failed=0
mkdir -p "$WORK"

need() {
	for b in "$@"; do
		if ! command -v "$b" >/dev/null 2>&1; then
			echo "FAIL: $b is not installed (make test installs it)"
			return 1
		fi
	done
}

# session NAME: runs NAME_session twice, with RUN empty and with RUN
# preloading uslab (every command of a session is prefixed with $RUN).
session() {
	RUN=""
	"$1_session" plain >"$WORK/$1.plain" 2>&1
	rc_plain=$?
	RUN="env LD_PRELOAD=$LIB"
	"$1_session" uslab >"$WORK/$1.uslab" 2>&1
	rc_uslab=$?
	check "$1" "$rc_plain" "$rc_uslab"
}

check() {
	if [ "$2" != 0 ] || [ "$3" != 0 ]; then
		echo "FAIL $1: exit status plain $2, uslab $3"
		tail -5 "$WORK/$1.uslab"
		failed=1
	elif ! cmp -s "$WORK/$1.plain" "$WORK/$1.uslab"; then
		echo "FAIL $1: output differs"
		diff "$WORK/$1.plain" "$WORK/$1.uslab" | head -20
		failed=1
	elif grep -Eq '^(uslab: |BUG )' "$WORK/$1.uslab"; then
		echo "FAIL $1: uslab reported something"
		grep -E '^(uslab: |BUG )' "$WORK/$1.uslab" | head -5
		failed=1
	else
		echo "ok $1: identical output ($(wc -l <"$WORK/$1.uslab") lines)"
	fi
}

python_session() {
	$RUN python3 "$REAL/dicts.py"
}

sqlite_session() {
	rm -f "$WORK/db.sqlite"
	$RUN sqlite3 "$WORK/db.sqlite" <"$REAL/sqlite.sql"
}

git_session() {
	copy=$WORK/git-copy.git
	rm -rf "$copy"
	$RUN git -C "$SRC" log --format='%H %an %s' -n 300 &&
	$RUN git -C "$SRC" status --porcelain --untracked-files=no &&
	# The repository itself (in a worktree, .git is only a pointer to it).
	cp -R "$(cd "$SRC" && cd "$(git rev-parse --git-common-dir)" && pwd)" "$copy" &&
	$RUN git --git-dir="$copy" -c gc.auto=0 gc --quiet &&
	$RUN git --git-dir="$copy" fsck --no-progress &&
	$RUN git --git-dir="$copy" rev-list --all --objects | sort | cksum &&
	$RUN git --git-dir="$copy" log --format='%H %s' -n 50 --stat
}

gcc_session() {
	$RUN gcc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE \
		-I"$SRC/include" -I"$SRC/src" -c "$SRC/src/unified/unified.c" -o "$WORK/unified-$1.o" &&
	cksum <"$WORK/unified-$1.o"
}

# A free loopback port: the kernel's choice for a socket bound to port 0
# (the shell may be dash, which has no /dev/tcp to probe with).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Debian's redis-tools has the server too, as redis-check-rdb: the binary
# acts as the server under the name redis-server.  The redis-server
# package is not needed, and with it no system service is installed.
redis_server_binary() {
	if command -v redis-server >/dev/null 2>&1; then
		return 0
	fi
	rdb=$(command -v redis-check-rdb) || return 1
	mkdir -p "$WORK/bin"
	ln -sf "$rdb" "$WORK/bin/redis-server"
	PATH=$WORK/bin:$PATH
}

redis_session() {
	port=$(free_port)
	$RUN redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--logfile "$WORK/redis-$1.log" &
	server=$!
	tries=0
	# Waits for the server to answer (bounded), then talks to it.
	until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do
		tries=$((tries + 1))
		if [ $tries -gt 500 ] || ! kill -0 $server 2>/dev/null; then
			echo "redis-server did not start"
			kill $server 2>/dev/null
			return 1
		fi
		sleep 0.02
	done
	$RUN redis-cli -p "$port" set greeting hello &&
	$RUN redis-cli -p "$port" incrby counter 41 &&
	$RUN redis-cli -p "$port" rpush list a b c d &&
	$RUN redis-cli -p "$port" lrange list 0 -1 &&
	$RUN redis-cli -p "$port" hset h f1 v1 f2 v2 &&
	$RUN redis-cli -p "$port" hgetall h &&
	$RUN redis-benchmark -p "$port" -q -n 20000 -c 8 -d 200 -t set,get,incr,lpush,sadd >/dev/null &&
	$RUN redis-cli -p "$port" dbsize &&
	$RUN redis-cli -p "$port" get counter:__rand_int__ &&
	$RUN redis-cli -p "$port" llen mylist &&
	$RUN redis-cli -p "$port" scard myset
	rc=$?
	redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
	wait $server
	return $rc
}

for prog in "$@"; do
	case $prog in
	python) need python3 && session python || failed=1 ;;
	sqlite) need sqlite3 && session sqlite || failed=1 ;;
	git)
		if [ ! -e "$SRC/.git" ]; then
			echo "FAIL git: $SRC is not a git checkout"
			failed=1
		else
			need git && session git || failed=1
		fi ;;
	gcc) need gcc && session gcc || failed=1 ;;
	redis) redis_server_binary; need redis-server redis-cli redis-benchmark && session redis || failed=1 ;;
	*) echo "FAIL: unknown program $prog"; failed=1 ;;
	esac
done
exit $failed
