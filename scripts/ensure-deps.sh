#!/bin/sh
# Installs the Debian packages named on the command line that are not
# installed yet (checked with dpkg -s); does nothing when all are there.
# Runs apt-get as root, or through sudo when not root.
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
echo "ensure-deps: installing$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $sudo apt-get install -y -q --no-install-recommends $missing; then
  $sudo apt-get update -q
  # shellcheck disable=SC2086
  $sudo apt-get install -y -q --no-install-recommends $missing
fi
