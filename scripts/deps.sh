#!/bin/sh
# Install what netrig needs from Debian (as root). Does nothing when all is there.
set -eu
PKGS="gcc make pkg-config libsqlite3-dev libfyaml-dev libjansson-dev
libzstd-dev libssl-dev libcurl4-openssl-dev libmicrohttpd-dev libpq-dev
iproute2 iperf3 sockperf python3 sqlite3 openssh-server openssh-client bc"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "netrig: missing Debian packages:$missing" >&2
	echo "netrig: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "netrig: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
