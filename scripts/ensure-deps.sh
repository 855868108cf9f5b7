#!/bin/sh
# Installs the Debian packages named on the command line that are not
# installed yet (checked with dpkg -s); does nothing when all are there.
# Runs apt-get as root, or through sudo when not root.  apt's output goes
# to $DEPS_LOG (default /tmp/uslab-deps.log); the screen gets one line, or
# the log's last lines when apt fails.  Services a package would start are
# not started (policy-rc.d for the time of the install).
set -eu
missing=""
if ! command -v dpkg >/dev/null 2>&1; then
  echo "ensure-deps: not a Debian system; make sure these are installed: $*" >&2
  exit 0
fi
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
log=${DEPS_LOG:-/tmp/uslab-deps.log}
mkdir -p "$(dirname "$log")"
echo "ensure-deps: installing$missing (apt's output: $log)"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# No package starts a daemon during the install (invoke-rc.d and
# deb-systemd-invoke ask policy-rc.d; 101: action forbidden).  Only where
# no policy exists already, and removed again whatever happens.
policy=/usr/sbin/policy-rc.d
marker="# uslab ensure-deps: removed when its install ends"
own_policy=""
# A policy a killed run of ours left behind goes first.
if [ -e "$policy" ] && grep -qF "$marker" "$policy" 2>/dev/null; then
	$sudo rm -f "$policy"
fi
if [ ! -e "$policy" ]; then
	if printf '#!/bin/sh\n%s\nexit 101\n' "$marker" | $sudo tee "$policy" >/dev/null &&
	   $sudo chmod 755 "$policy"; then
		own_policy=1
	fi
fi
cleanup() { [ -z "$own_policy" ] || $sudo rm -f "$policy"; own_policy=""; }
trap cleanup EXIT
# A signal runs no EXIT trap in every shell: exit through it.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
install() {
	# shellcheck disable=SC2086
	$sudo apt-get install -y -q --no-install-recommends $missing
}
if ! install >"$log" 2>&1; then
	if ! { $sudo apt-get update -q && install; } >>"$log" 2>&1; then
		echo "ensure-deps: apt-get failed; the last lines of $log:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
fi
