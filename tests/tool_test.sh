#!/bin/sh
# Runs tool_prog under a tool and checks the tool's report.
#   tool_test.sh asan <asan-built tool_prog>
#   tool_test.sh valgrind <tool_prog>
set -u
tool=$1
prog=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0

expect() {   # expect <mode> <text>...
  mode=$1; shift
  for text in "$@"; do
    if ! grep -qF -- "$text" "$out"; then
      echo "FAIL: $tool $mode: no \"$text\" in:"; cat "$out"; fail=1
    fi
  done
}

case $tool in
asan)
  ASAN_OPTIONS=halt_on_error=1 "$prog" overflow >"$out" 2>&1
  expect overflow "ERROR: AddressSanitizer: use-after-poison" "WRITE of size 1" "in overflow_site"
  ASAN_OPTIONS=halt_on_error=1 "$prog" uaf >"$out" 2>&1
  expect uaf "ERROR: AddressSanitizer: use-after-poison" "READ of size 8" "in uaf_site"
  ;;
valgrind)
  if ! command -v valgrind >/dev/null; then echo "valgrind missing"; exit 1; fi
  vg="valgrind --vex-guest-chase=no --leak-check=full --error-exitcode=0"
  $vg "$prog" overflow >"$out" 2>&1
  # uslab's own accesses to its metadata are never the program's errors
  if grep -q "Invalid read" "$out"; then echo "FAIL: uslab's own reads reported"; cat "$out"; fail=1; fi
  expect overflow "Invalid write of size 1" "overflow_site" "0 bytes after a block of size 24 alloc'd"
  $vg "$prog" uaf >"$out" 2>&1
  expect uaf "Invalid read of size 8" "uaf_site" "0 bytes inside a block of size 48 free'd"
  $vg "$prog" leak >"$out" 2>&1
  expect leak "definitely lost: 244 bytes in 4 blocks" "leak_site" \
    "100 bytes in 1 blocks are definitely lost" "leak_kmalloc_site"
  ;;
esac
[ $fail -eq 0 ] && echo "$tool reports every fault of tool_prog"
exit $fail
